"""The local index as loaded: a build's segments (qa/segment.py), which of their rows are live,
and the word counts; qa/build.py writes builds.

Layout of the index folder::

    current -> build-<time>-<pid>-<id>/   (a symlink, replaced atomically when a build completes)
    build-*/manifest.json   embedder, dimension, chunking, fingerprint, file records, segments
                            (each with the numbers of its files no longer live), checksums
    build-*/rarity.json     in how many lines each word occurs (the reader's word rarity)
    segments/seg-*/         the text, chunks, BM25 terms and vectors of some files
    partial/<fingerprint>/  vectors of files embedded by a build that did not finish (resumed)
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.corpus import Document
from qa.errors import IndexMissingError, IndexStaleError
from qa.integrity import check_build
from qa.segment import Segment
from qa.text import words


class Documents(Mapping):
    """Every live file by name; its lines are read from the segment on demand."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: OrderedDict[str, Document] = OrderedDict()
        self.lock = threading.Lock()  # requests read documents side by side

    def __getitem__(self, file: str) -> Document:
        with self.lock:
            if file in self.cache:
                self.cache.move_to_end(file)
                return self.cache[file]
        seg, no = self.store.where[file]  # KeyError for a file that is not indexed
        segment = self.store.segments[seg]
        rec = segment.files[no]
        doc = Document(file, segment.lines(no), rec["sha256"], rec["size"], rec["mtime_ns"],
                       rec["encoding"])  # fmt: skip
        with self.lock:
            self.cache[file] = doc
            if len(self.cache) > 256:
                self.cache.popitem(last=False)
        return doc

    def __iter__(self) -> Iterator[str]:
        return iter(self.store.where)

    def __len__(self) -> int:
        return len(self.store.where)


class Chunks(Sequence):
    """The live chunks in index order, made on demand (a million need not sit in memory)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __len__(self) -> int:
        return self.store.size

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i) + (len(self) if i < 0 else 0)
        if not 0 <= i < len(self):
            raise IndexError("chunk index out of range")
        seg, row = self.store.locate(i)
        return self.store.segments[seg].chunk(row)


@dataclass
class Store:
    """A loaded build: its segments, which of their rows are live, and the word counts."""

    manifest: dict
    segments: list[Segment]
    dead: list[list[int]]
    path: Path
    rarity_counts: dict[str, int] = field(default_factory=dict, repr=False)
    line_total: int = 0

    def __post_init__(self) -> None:
        self.where: dict[str, tuple[int, int]] = {}
        self.live: list[np.ndarray | None] = []  # per segment: live rows, None when all are
        self.rows: list[np.ndarray] = []  # per segment: its live rows, in order
        for i, (seg, dead) in enumerate(zip(self.segments, self.dead, strict=True)):
            gone = set(dead)
            for no, rec in enumerate(seg.files):
                if no not in gone:
                    self.where[rec["file"]] = (i, no)
            mask = ~np.isin(seg.spans[:, 0], dead) if dead else None
            self.live.append(mask)
            self.rows.append(
                np.flatnonzero(mask) if mask is not None else np.arange(len(seg.spans))
            )
        self.where = dict(sorted(self.where.items()))
        rank = {file: r for r, file in enumerate(self.where)}
        self.file_rank = [  # per segment, each file's place among the live files by name
            np.asarray([rank.get(rec["file"], -1) for rec in seg.files], np.int64)
            for seg in self.segments
        ]
        self.base = np.cumsum([0] + [len(r) for r in self.rows])  # first index of each segment
        self.size = int(self.base[-1])
        lengths = sum(
            float(s.postings.lengths[r].sum())
            for s, r in zip(self.segments, self.rows, strict=True)
        )
        self.avgdl = lengths / max(self.size, 1)
        self.documents = Documents(self)
        self.chunks = Chunks(self)

    def locate(self, index: int) -> tuple[int, int]:
        """(segment, row) of the index-th live chunk."""
        seg = int(np.searchsorted(self.base, index, side="right")) - 1
        return seg, int(self.rows[seg][index - self.base[seg]])

    def place(self, seg: int, rows: np.ndarray) -> np.ndarray:
        """A key that orders chunks by file name, then position in the file, whatever segment
        holds them (what a fresh build's order is)."""
        if not len(rows):
            return np.zeros(0, np.int64)
        return (self.file_rank[seg][self.segments[seg].spans[rows, 0]] << 32) + rows

    def index_of(self, seg: int, rows: np.ndarray) -> np.ndarray:
        """The index order of live rows of a segment."""
        return self.base[seg] + np.searchsorted(self.rows[seg], rows)

    @property
    def vectors(self) -> np.ndarray:
        """Every live chunk's vector, in index order (for tests and benchmarks: a copy)."""
        parts = [s.vectors()[r] for s, r in zip(self.segments, self.rows, strict=True)]
        return np.vstack(parts) if parts else np.zeros((0, self.manifest["dim"]), np.float32)

    def lines(self, file: str, start: int, end: int) -> str:
        """The exact text of lines start..end (1-based, inclusive) of a corpus file."""
        seg, no = self.where[file]
        return "\n".join(self.segments[seg].lines(no, start, end))


# segments opened in this process, by folder: they never change once written
_opened: dict[str, Segment] = {}


def _segment(index_dir: Path, name: str) -> Segment:
    folder = index_dir / "segments" / name
    key = str(folder)
    if key not in _opened:
        if len(_opened) > 64:
            _opened.clear()
        _opened[key] = Segment.open(folder)
    return _opened[key]


def load_store(index_dir: Path, fingerprint: str | None = None) -> Store:
    """Load the current build; IndexStaleError when it was built with other settings or by an
    older qa, IndexMissingError (naming the damage) when it is missing or damaged."""
    if not (index_dir / "current").exists():
        raise IndexMissingError(f"no index in {str(index_dir)!r}: run `qa index`")
    current = (index_dir / "current").resolve()  # one build, even if a new one swaps in
    manifest = check_build(index_dir, current)
    try:
        segments = [_segment(index_dir, s["name"]) for s in manifest["segments"]]
        dead = [list(s.get("dead", [])) for s in manifest["segments"]]
        rarity = json.loads((current / "rarity.json").read_text())
        store = Store(manifest, segments, dead, current, rarity["counts"], rarity["total"])
        if store.size != manifest.get("rows", {}).get("chunks", store.size):
            raise ValueError(f"{store.size} live chunks, not {manifest['rows']['chunks']}")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
        first = (str(exc) or type(exc).__name__).splitlines()[0]
        raise IndexMissingError(
            f"index in {str(index_dir)!r} is corrupt ({first}): run `qa index --rebuild`"
        ) from exc
    if fingerprint is not None and manifest.get("fingerprint") != fingerprint:
        raise IndexStaleError(
            f"index in {str(index_dir)!r} was built with other settings or another embedder "
            f"({manifest.get('embedder')}, chunk_size {manifest.get('chunk_size')}): "
            "run `qa index` to rebuild it"
        )
    return store


def count_words(lines, counts: Counter, sign: int = 1) -> int:
    """Add `sign` to the count of each word once per non-blank line; returns those lines."""
    total = 0
    for line in lines:
        if line.strip():
            total += 1
            for w in set(words(line)):
                counts[w] += sign
    return total
