"""The pipeline all interfaces use: question -> retrieve -> generate -> cite -> Answer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qa.answer import ABSTAIN_TEXT, Answer, Timings
from qa.cite import cite, content_words
from qa.embed import Embedder, SentenceTransformerEmbedder
from qa.errors import IndexMissingError, IndexStaleError, InputError
from qa.generate import GenerationStats, Generator, LlamaGenerator
from qa.prompt import load_prompts
from qa.retrieve import Passage, Retriever
from qa.settings import Settings
from qa.store import BuildReport, Progress, Store, build_index, load_store

log = logging.getLogger(__name__)

NOT_STATED = re.compile(
    r"^\W*(not stated|not mentioned|unknown|none|n/?a|no answer"
    r"|the (lines|articles|passages) do not)",
    re.IGNORECASE,
)


@dataclass
class Token:
    """A piece of the model's reply, as it is written."""

    text: str


COPULA = re.compile(r"\b(?:is|was|are|were|of|as|by|in|to)\s+", re.IGNORECASE)


def drop_echo(text: str, question: str) -> str:
    """Cut a restated question off the front of a reply: 'The mayor of Kyiv is X' -> 'X'."""
    asked = content_words(question) | {"answer", "article", "articles"}
    best = text
    for match in COPULA.finditer(text):
        head, tail = text[: match.start()], text[match.end() :]
        head_words = content_words(head)
        if head_words and head_words <= asked and content_words(tail) - asked:
            best = tail.strip()  # the longest echoed head wins
    return best


def clean(raw: str, question: str = "") -> str:
    """The reply a person reads: first line, no label or echo, no trailing punctuation."""
    text = raw.strip().splitlines()[0] if raw.strip() else ""
    text = text.lstrip("-*• ").strip()
    text = re.sub(r"^(short answer|the answer is|answer)\s*:?\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\[\d+\]", "", text)
    text = drop_echo(text, question) if question else text
    return text.strip().strip("\"'“”").rstrip(" .;,").strip()


def format_passages(passages: list[Passage], store: Store) -> str:
    """Each non-blank line of the passages on its own line, article by article."""
    out = []
    for p in passages:
        for number in range(p.start_line, p.end_line + 1):
            line = store.documents[p.file].lines[number - 1].strip()
            if line:
                out.append(line)
    return "\n".join(out)


class Pipeline:
    """Loaded models, index and prompts; ask() turns a question into an Answer."""

    def __init__(
        self, settings: Settings, store: Store, embedder: Embedder, generator: Generator
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.generator = generator
        self.prompts = load_prompts(settings.prompts_dir)
        self.retriever = Retriever(store, embedder, settings.hybrid)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        on_build: Callable[[str], None] | None = None,
        progress: Progress | None = None,
    ) -> Pipeline:
        """Load everything, building the index first when there is none or it is stale."""
        embedder = SentenceTransformerEmbedder(settings.embedder_path(), settings.threads)
        store = open_store(settings, embedder, on_build, progress)
        generator = LlamaGenerator(
            settings.model_path(), settings.n_ctx, settings.threads, settings.seed
        )
        return cls(settings, store, embedder, generator)

    def check_question(self, question: str) -> str:
        """The question stripped, or InputError."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise InputError(
                f"the question is {len(question)} characters; "
                f"the limit is {self.settings.max_question_chars}"
            )
        return question.strip()

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        """Retrieval only."""
        return self.retriever.search(self.check_question(question), k or self.settings.retrieve_k)

    def ask(self, question: str, top_k: int | None = None, **kw) -> Answer:
        """Answer a question (see ask_stream)."""
        for event in self.ask_stream(question, top_k, **kw):
            if isinstance(event, Answer):
                return event
        raise AssertionError("ask_stream ended without an answer")

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        search_question: str | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Iterator[Token | Answer]:
        """Yield Tokens as the model writes, then the Answer."""
        started = time.perf_counter()
        question = self.check_question(question)
        query = (search_question or question).strip()
        k = top_k or self.settings.top_k
        retrieved = self.retriever.search(query, max(k, self.settings.retrieve_k))
        passages = retrieved[:k]
        retrieve_ms = (time.perf_counter() - started) * 1000
        result = Answer(
            question=question,
            answer=ABSTAIN_TEXT,
            abstained=True,
            citations=[],
            retrieved=retrieved,
            timings_ms=Timings(retrieve=round(retrieve_ms, 1)),
            model=self.generator.name,
            search_question=query if query != question else "",
        )
        if not passages or max(p.score for p in passages) < self.settings.min_score:
            result.abstain_reason = "no passage is close enough to the question"
        else:
            stats = GenerationStats()
            messages = [
                {"role": "system", "content": self.prompts["system"].render()},
                {
                    "role": "user",
                    "content": self.prompts["answer"].render(
                        passages=format_passages(passages, self.store), question=query
                    ),
                },
            ]
            raw = []
            gen_start = time.perf_counter()
            for piece in self.generator.stream(
                messages, self.settings.max_tokens, stats, should_stop, stop=["\n"]
            ):
                raw.append(piece)
                yield Token(piece)
            result.timings_ms.generate = round((time.perf_counter() - gen_start) * 1000, 1)
            result.raw_answer = "".join(raw)
            result.prompt_tokens = stats.prompt_tokens
            result.completion_tokens = stats.completion_tokens
            self._decide(result, query, passages)
        result.timings_ms.total = round((time.perf_counter() - started) * 1000, 1)
        yield result

    def _decide(self, result: Answer, question: str, passages: list[Passage]) -> None:
        """Turn the raw reply into an answer with citations, or an abstention with a reason."""
        text = clean(result.raw_answer, question)
        if not text or NOT_STATED.match(text):
            result.abstain_reason = "the model found no answer in the passages"
            return
        if not content_words(text):
            result.abstain_reason = "the reply has no content"
            return
        citations = cite(text, question, passages, self.store)
        if not citations:
            result.abstain_reason = "no retrieved line supports the reply"
            return
        result.answer, result.abstained, result.citations = text, False, citations


def open_store(
    settings: Settings,
    embedder: Embedder,
    on_build: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> Store:
    """The index for these settings, built (or rebuilt when stale) if needed."""
    fingerprint = settings.index_fingerprint(embedder.name, embedder.dim)
    try:
        return load_store(settings.index_dir, fingerprint)
    except (IndexMissingError, IndexStaleError) as exc:
        if isinstance(exc, IndexMissingError) and (settings.index_dir / "current").exists():
            raise  # corrupt: never silently replaced, the message says to rebuild
        if on_build:
            on_build(f"{exc}; building the index now")
    store, report = index_now(settings, embedder, progress=progress)
    if on_build:
        on_build(f"index built: {report.summary()}")
    return store


def index_now(
    settings: Settings, embedder: Embedder, rebuild: bool = False, progress: Progress | None = None
) -> tuple[Store, BuildReport]:
    """Build or update the index."""
    return build_index(settings, embedder, rebuild=rebuild, progress=progress)
