"""Fakes for unit tests: a deterministic embedder and a scripted generator."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


class FakeEmbedder:
    """Bag-of-words hashed into 64 dimensions: similar words, similar vectors."""

    name = "fake-embedder"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.strip(".,?!\"'").encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out


class FakeGenerator:
    """Replies from a script, recording every prompt."""

    name = "fake-model"

    def __init__(self, replies: list[str] | None = None) -> None:
        self.replies = list(replies or [])
        self.history: list[list[dict]] = []

    def enqueue(self, reply: str) -> None:
        self.replies.append(reply)

    def stream(self, messages, max_tokens, stats=None, should_stop=None, stop=None, choices=None):
        self.history.append(messages)
        reply = self.replies.pop(0) if self.replies else "not stated"
        for word in reply.split(" "):
            if stats is not None:
                stats.completion_tokens += 1
            yield word + " "
            if should_stop is not None and should_stop():
                break


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    docs = tmp_path / "docs"
    docs.mkdir()
    for f in SEEDS.glob("*.txt"):
        (docs / f.name).write_bytes(f.read_bytes())
    # the fake model is asked even where the span finder has candidates, to test that path
    return Settings(docs=docs, index_dir=tmp_path / "index", min_score=0.0, reader="choice")


@pytest.fixture
def fake_pipeline(settings: Settings):
    from qa.build import build_index
    from qa.pipeline import Pipeline

    embedder = FakeEmbedder()
    store, _ = build_index(settings, embedder)
    return Pipeline(settings, store, embedder, FakeGenerator())


def pytest_addoption(parser):
    parser.addoption(
        "--store",
        default="local",
        choices=("local", "milvus"),
        help="The store the end-to-end tests' shared index uses (milvus: a Milvus Lite file).",
    )
