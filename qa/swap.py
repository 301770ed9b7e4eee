"""A pipeline's index, swappable while it serves: asks already running finish on the build they
started with, new ones take the new build."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from qa.read import LineRanker, Reader
    from qa.retrieve import Retriever
    from qa.store import Store


@dataclass
class Loaded:
    """One build of the index with what searches it."""

    store: Store
    retriever: Retriever
    lines: LineRanker
    reader: Reader | None = None


class Swappable:
    """Mixin: store, retriever, lines and reader read from the build this thread's ask pinned,
    else from the live one; swap() replaces the live one under a lock."""

    _live: Loaded
    _pins: threading.local
    _swap_lock: threading.Lock

    def _loaded(self) -> Loaded:
        pinned = getattr(self._pins, "loaded", None) if hasattr(self, "_pins") else None
        return pinned or self._live

    def _init_loaded(self, loaded: Loaded) -> None:
        self._pins, self._swap_lock, self._live = threading.local(), threading.Lock(), loaded

    @property
    def store(self) -> Store:
        """The index this ask reads (the live one outside an ask)."""
        return self._loaded().store

    @property
    def retriever(self) -> Retriever:
        """Searches the store."""
        return self._loaded().retriever

    @property
    def lines(self) -> LineRanker:
        """Ranks the lines of retrieved passages."""
        return self._loaded().lines

    @property
    def reader(self) -> Reader:
        """Reads the answer out of the lines."""
        return self._loaded().reader  # type: ignore[return-value]

    @reader.setter
    def reader(self, reader: Reader) -> None:
        self._live.reader = reader

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within it, this thread keeps reading the build that was live when it began."""
        outer = getattr(self._pins, "loaded", None)  # an ask within an ask keeps the outer's
        with self._swap_lock:
            self._pins.loaded = outer or self._live
        try:
            yield
        finally:
            self._pins.loaded = outer

    def swap(self, loaded: Loaded, make_reader: Any) -> None:
        """Make `loaded` live (its reader made by make_reader(self) once it is)."""
        old = self._live
        old_docs, new_docs = old.store.documents, loaded.store.documents
        cached = dict(old.lines.cache)  # a copy: asks still running on the old build add to it
        loaded.lines.cache.update(  # line vectors of files that did not change
            (key, vec)
            for key, vec in cached.items()
            if key[0] in new_docs and new_docs[key[0]].sha256 == old_docs[key[0]].sha256
        )
        with self._swap_lock:
            self._live = loaded
            self.reader = make_reader(self)
