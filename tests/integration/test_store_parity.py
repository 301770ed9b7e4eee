"""The local store and Milvus Lite give the same best lines with the real MiniLM embedder."""

import json

from qa.embed import SentenceTransformerEmbedder
from qa.read import LineRanker
from qa.settings import Settings
from qa.stores import open_store_for

from .conftest import ROOT, copy_seeds

GOLD = ROOT / "tests" / "gold" / "dev.jsonl"


def top_lines(store, reader, embedder, settings, question: str) -> list[tuple[str, int]]:
    """The pipeline's path to its best lines: retrieve, then rank the top passages' lines."""
    vector = embedder.embed_batch([question])[0]
    passages = store.search(question, max(settings.top_k, settings.retrieve_k), vector)
    lines = reader.rank_lines(question, passages[: settings.top_k], vector)
    return [(ln.file, ln.number) for ln in lines[:3]]


def test_local_and_milvus_lite_agree_on_top3_lines(tmp_path):
    docs = copy_seeds(tmp_path / "docs")
    settings = Settings(docs=docs, index_dir=tmp_path / "index")
    embedder = SentenceTransformerEmbedder(settings.embedder_path(), settings.threads)
    local = open_store_for(settings, embedder)
    milvus = open_store_for(settings.model_copy(update={"store": str(tmp_path / "m.db")}), embedder)
    readers = {id(s): LineRanker(s, embedder) for s in (local, milvus)}
    questions = [json.loads(line)["question"] for line in GOLD.read_text().splitlines()]
    same, differ = 0, []
    for q in questions:
        a, b = (top_lines(s, readers[id(s)], embedder, settings, q) for s in (local, milvus))
        same += a == b
        if a != b:
            differ.append((q, a, b))
    share = same / len(questions)
    print(f"identical top-3 lines: {same}/{len(questions)} = {share:.3f}")
    assert share >= 0.95, differ
    milvus.close()
