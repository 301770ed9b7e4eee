"""The Store seam: what the pipeline needs from an index, wherever it lives.

Two implementations: `LocalStore` (FAISS + BM25 files under index_dir, qa/store.py) and
`MilvusStore` (qa/milvus_store.py: a Milvus Lite file or a Milvus server). `open_store_for`
picks one from `settings.store` and builds it when it is missing or stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.build import BuildReport, Progress, build_index
from qa.corpus import Document
from qa.embed import Embedder
from qa.errors import IndexMissingError, IndexStaleError, InputError
from qa.retrieve import Passage, Retriever
from qa.settings import Settings
from qa.store import load_store


class Store(Protocol):
    """An index of one corpus: build it, search it, quote its lines."""

    kind: str
    manifest: dict
    documents: Mapping[str, Document]
    path: Path  # names the published build (a folder; for Milvus, its collection)
    size: int  # chunks in the published build

    def load(self) -> None:
        """Open the published build; IndexMissingError / IndexStaleError when there is none
        or it was built with other settings."""

    def published(self) -> bool:
        """True when a build is published (loadable or not)."""

    def build(self, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
        """Bring the index up to date with settings.docs (add, replace and remove files,
        re-embedding only what changed) and publish it atomically."""

    def search(self, question: str, k: int, vector: np.ndarray | None = None) -> list[Passage]:
        """The k passages most relevant to the question (dense + BM25, RRF), best first."""

    def lines(self, file: str, start: int, end: int) -> str:
        """The exact text of lines start..end (1-based, inclusive) of a corpus file."""

    def close(self) -> None:
        """Release files and connections."""


class LocalStore:
    """The embedded store: qa/store.py's files searched by qa/retrieve.py's Retriever."""

    kind = "local"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.fingerprint = settings.index_fingerprint(embedder.name, embedder.dim)
        self.loaded = None
        self.retriever: Retriever | None = None

    def _use(self, loaded) -> None:
        self.loaded = loaded
        self.retriever = Retriever(loaded, self.embedder, self.settings.hybrid)

    def load(self) -> None:
        """Open the current build (see Store.load)."""
        self._use(load_store(self.settings.index_dir, self.fingerprint))

    def published(self) -> bool:
        """See Store.published."""
        return (self.settings.index_dir / "current").exists()

    def build(self, rebuild: bool = False, progress: Progress | None = None) -> BuildReport:
        """Update or rebuild the index folder (see Store.build)."""
        loaded, report = build_index(self.settings, self.embedder, rebuild, progress)
        self._use(loaded)
        return report

    @property
    def manifest(self) -> dict:
        """The published build's manifest."""
        return self.loaded.manifest

    @property
    def path(self) -> Path:
        """The published build's folder."""
        return self.loaded.path

    @property
    def size(self) -> int:
        """Chunks in the published build."""
        return self.loaded.size

    @property
    def documents(self) -> Mapping[str, Document]:
        """Every indexed file by its path relative to the corpus."""
        return self.loaded.documents

    @property
    def rarity_counts(self) -> dict[str, int]:
        """In how many lines each word occurs, counted at index time."""
        return self.loaded.rarity_counts

    @property
    def line_total(self) -> int:
        """Non-blank lines in the index."""
        return self.loaded.line_total

    def search(self, question: str, k: int, vector: np.ndarray | None = None) -> list[Passage]:
        """See Store.search."""
        return self.retriever.search(question, k, vector)

    def lines(self, file: str, start: int, end: int) -> str:
        """See Store.lines."""
        return self.loaded.lines(file, start, end)

    def close(self) -> None:
        """Nothing to release: the files are read at load."""


def make_store(settings: Settings, embedder: Embedder) -> Store:
    """The store settings.store names, not yet loaded."""
    if settings.local_store:
        return LocalStore(settings, embedder)
    where = settings.store.strip()
    if where.startswith(("milvus://", "http://", "https://", "tcp://")) or where.endswith(".db"):
        from qa.milvus_store import MilvusStore

        return MilvusStore(settings, embedder)
    raise InputError(
        f"store {where!r} is neither 'local', a Milvus Lite file (*.db) nor milvus://host:port"
    )


def open_store_for(
    settings: Settings,
    embedder: Embedder,
    on_build: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> Store:
    """The loaded store for these settings, built (or rebuilt when stale) if needed; a corrupt
    local index is never silently replaced."""
    store = make_store(settings, embedder)
    try:
        store.load()
        return store
    except (IndexMissingError, IndexStaleError) as exc:
        if isinstance(exc, IndexMissingError) and store.published():
            raise  # corrupt: never silently replaced, the message says to rebuild
        if on_build:
            on_build(f"{exc}; building the index now")
    report = store.build(progress=progress)
    if on_build:
        on_build(f"index built: {report.summary()}")
    return store
