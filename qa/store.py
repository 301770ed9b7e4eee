"""The on-disk local index: immutable segments (qa/segment.py) and builds that name them.

Layout of the index folder::

    current -> build-<time>-<pid>-<id>/   (a symlink, replaced atomically when a build completes)
    build-*/manifest.json   embedder, dimension, chunking, fingerprint, file records, segments
                            (each with the numbers of its files no longer live), checksums
    build-*/rarity.json     in how many lines each word occurs (the reader's word rarity)
    segments/seg-*/         the text, chunks, BM25 terms and vectors of some files
    partial/<fingerprint>/  vectors of files embedded by a build that did not finish (resumed)

An update embeds only new and changed files, writes them as a new small segment and marks their
old copies dead; when small segments or dead rows pass a quarter of the index, or there are more
than MAX_SEGMENTS, the live rows are merged into one segment (vectors reused, not re-embedded).
A build killed at any moment leaves `current` pointing at the previous complete build.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.chunk import Chunk, chunk_document
from qa.corpus import Document, Skipped, list_files, name_of, read_file
from qa.embed import Embedder
from qa.errors import IndexMissingError, IndexStaleError, IndexWriteError
from qa.integrity import FORMAT, check_build, file_sha256
from qa.segment import FILES, Segment, write_segment
from qa.settings import Settings
from qa.text import words

MAX_SEGMENTS = 8
MERGE_SHARE = 0.25  # small segments or dead rows past this share of the index: merge
BULK = 2000  # chunks to embed from which a build loads the embedder's bulk form (see embed.py)
Progress = Callable[[int, int], None]


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


@dataclass
class BuildReport:
    """What a build did."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    decoded: list[tuple[str, str]] = field(default_factory=list)
    rebuilt: str = ""
    chunks: int = 0
    embedded: int = 0
    resumed: int = 0
    merged: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.emptied:
            parts.append(f"{len(self.emptied)} emptied")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        head = f"full rebuild ({self.rebuilt}); " if self.rebuilt else ""
        resumed = f" ({self.resumed} kept from an interrupted build)" if self.resumed else ""
        return (
            f"{head}{', '.join(parts)}; {self.chunks} chunks, {self.embedded} embedded{resumed} "
            f"in {self.seconds:.1f}s"
        )


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


def _previous(index_dir: Path, fingerprint: str) -> tuple[Store | None, str]:
    try:
        return load_store(index_dir, fingerprint), ""
    except IndexStaleError as exc:
        return None, "index format changed" if "version" in str(
            exc
        ) else "settings or embedder changed"
    except IndexMissingError as exc:
        missing = not (index_dir / "current").exists()
        return None, "" if missing else f"previous index unreadable: {exc}"


def _scan(settings: Settings, old: Store | None) -> tuple[list, list[Skipped]]:
    """Every article: (name, Document or None when its size and time match the old build's
    record, so it is not read again); and the files skipped, with reasons."""
    stat = old.manifest.get("stat", {}) if old else {}
    root = settings.docs
    found, skipped = [], []
    for path in list_files(root):
        rel = name_of(root, path)
        rec = stat.get(rel)
        if rec and rel in old.where and not path.is_symlink():
            try:
                st = path.stat()
                if (st.st_size, st.st_mtime_ns) == (rec["size"], rec["mtime_ns"]):
                    found.append((rel, None))
                    continue
            except OSError:
                pass
        result = read_file(root, path, settings.max_file_bytes)
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            found.append((rel, result))
    return found, skipped


def count_words(lines, counts: Counter, sign: int = 1) -> int:
    """Add `sign` to the count of each word once per non-blank line; returns those lines."""
    total = 0
    for line in lines:
        if line.strip():
            total += 1
            for w in set(words(line)):
                counts[w] += sign
    return total


class _Embedding:
    """Embeds new files' chunks in batches, keeping each finished file's vectors under
    partial/ so that an interrupted build resumes where it stopped."""

    def __init__(self, folder: Path, embedder: Embedder, progress: Progress | None, total: int):
        self.folder, self.embedder, self.progress, self.total = folder, embedder, progress, total
        folder.mkdir(parents=True, exist_ok=True)
        self.done = 0
        self.resumed = 0

    def kept(self, doc: Document, n: int) -> np.ndarray | None:
        path = self.folder / f"{doc.sha256}.npy"
        try:
            vectors = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if vectors.shape != (n, self.embedder.dim):
            return None
        self.resumed += n
        self.done += n
        return vectors

    def keep(self, doc: Document, vectors: np.ndarray) -> None:
        """Keep a finished file's vectors for a resumed build; best effort (a full disk fails
        the build when its segment is written, with a message that says so)."""
        try:
            np.save(self.folder / f"{doc.sha256}.npy", vectors, allow_pickle=False)
        except OSError:
            pass

    def run(self, work: list[tuple[Document, list[Chunk]]]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        todo = []
        for doc, chunks in work:
            kept = self.kept(doc, len(chunks)) if chunks else np.zeros((0, self.embedder.dim))
            if kept is not None:
                out[doc.file] = kept.astype(np.float32)
            else:
                todo.append((doc, chunks))
        if self.progress and self.total:
            self.progress(self.done, self.total)
        batch, parts = 64, {}
        queue = [(doc, len(chunks), c.text) for doc, chunks in todo for c in chunks]
        embedder = self.embedder
        if len(queue) >= BULK and hasattr(embedder, "bulk"):
            embedder = embedder.bulk()
        for start in range(0, len(queue), batch):
            rows = queue[start : start + batch]
            vectors = embedder.embed_batch([text for _, _, text in rows])
            for (doc, n, _), vector in zip(rows, vectors, strict=True):
                got = parts.setdefault(doc.file, [])
                got.append(vector)
                if len(got) == n:  # the file is complete: kept on disk
                    out[doc.file] = np.vstack(parts.pop(doc.file)).astype(np.float32)
                    self.keep(doc, out[doc.file])
            self.done += len(rows)
            if self.progress:
                self.progress(self.done, self.total)
        return out


def _segment_checksums(index_dir: Path, name: str) -> dict[str, str]:
    return {f"segments/{name}/{f}": file_sha256(index_dir / "segments" / name / f) for f in FILES}


def _merge(old: Store | None, keep: dict[str, tuple[int, int]], new_chunks: int) -> bool:
    """Whether to write every live row as one segment rather than add a small one."""
    if old is None or not old.segments or not keep:
        return True
    live = Counter()
    for seg, no in keep.values():
        live[seg] += int((old.segments[seg].spans[:, 0] == no).sum())
    if len(live) + 1 > MAX_SEGMENTS:
        return True
    largest = max(live, key=lambda s: live[s])
    total = sum(live.values()) + new_chunks
    small = total - live[largest]
    dead = sum(len(old.segments[s].spans) for s in live) - sum(live.values())
    return small > MERGE_SHARE * total or dead > MERGE_SHARE * total


def build_index(
    settings: Settings,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> tuple[Store, BuildReport]:
    """Build or update the index for settings.docs, re-embedding only new and changed files
    (and nothing a killed build had already embedded)."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = settings.index_fingerprint(embedder.name, embedder.dim)
    old, why = (None, "--rebuild") if rebuild else _previous(index_dir, fingerprint)
    found, skipped = _scan(settings, old)
    report = BuildReport(skipped=skipped, rebuilt=why)
    old_where = old.where if old else {}
    keep: dict[str, tuple[int, int]] = {}  # unchanged files: where they are
    fresh: list[Document] = []
    stat = old.manifest.get("stat", {}) if old else {}
    for rel, doc in found:
        rec = stat.get(rel) if rel in old_where else None
        encoding = doc.encoding if doc else rec["encoding"]
        if encoding != "utf-8":  # every file read as another encoding is listed, every build
            report.decoded.append((rel, encoding))
        if doc is None or (rec and rec["sha256"] == doc.sha256):
            keep[rel] = old_where[rel]
            report.unchanged.append(rel)
            continue
        (report.changed if rel in old_where else report.added).append(rel)
        if not doc.lines:
            report.emptied.append(rel)
        fresh.append(doc)
    names = {rel for rel, _ in found}
    report.removed = sorted(set(old_where) - names)
    records = _records(old, found, keep)
    skipped_rec = {s.file: {"reason": s.reason, "size": s.size, "mtime_ns": s.mtime_ns}
                   for s in skipped}  # fmt: skip
    if (old and not fresh and not report.removed
            and old.manifest.get("docs") == str(settings.docs.resolve())
            and old.manifest.get("stat") == records
            and old.manifest.get("skipped") == skipped_rec
            and old.manifest.get("max_file_bytes") == settings.max_file_bytes):  # fmt: skip
        report.chunks = old.size
        report.seconds = time.perf_counter() - started
        return old, report

    chunked = [(d, chunk_document(d, settings.chunk_size, settings.chunk_overlap)) for d in fresh]
    new_chunks = sum(len(c) for _, c in chunked)
    merge = _merge(old, keep, new_chunks)
    partial = index_dir / "partial" / fingerprint[:16]
    embedding = _Embedding(partial, embedder, progress, new_chunks)
    vectors = embedding.run(chunked)
    report.embedded, report.resumed = new_chunks - embedding.resumed, embedding.resumed
    parts = [(d, c, vectors[d.file]) for d, c in chunked]
    if merge and keep:  # every live row goes into the one new segment, old vectors reused
        parts += _carry(old, keep)
    parts.sort(key=lambda p: p[0].file)
    rarity = _rarity(old, report, fresh)

    tag = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    folder, name = index_dir / f"build-{tag}", f"seg-{tag}"
    segments, checksums, kept_rows = [], {}, 0
    if not merge:
        for i, seg in enumerate(old.segments):
            live = {no for rel, (g, no) in keep.items() if g == i}
            if live:
                dead = [no for no in range(len(seg.files)) if no not in live]
                segments.append({"name": seg.name, "dead": dead})
                kept_rows += int((~np.isin(seg.spans[:, 0], dead)).sum())
                prefix = f"segments/{seg.name}/"
                checksums.update((k, v) for k, v in old.manifest["checksums"].items()
                                 if k.startswith(prefix))  # fmt: skip
    report.merged = bool(merge and old and old.segments and keep)
    manifest = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "docs": str(settings.docs.resolve()),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": {f: r["sha256"] for f, r in records.items()},
        "stat": records,
        "skipped": skipped_rec,
        "max_file_bytes": settings.max_file_bytes,
    }
    try:
        if parts:
            matrix = np.vstack([v for _, _, v in parts] or [np.zeros((0, embedder.dim))])
            write_segment(index_dir / "segments" / name, [d for d, _, _ in parts],
                          [c for _, cs, _ in parts for c in cs], matrix.astype(np.float32),
                          embedder.dim)  # fmt: skip
            segments.append({"name": name, "dead": []})
            checksums.update(_segment_checksums(index_dir, name))
        folder.mkdir(parents=True)
        (folder / "rarity.json").write_text(json.dumps(rarity, ensure_ascii=False))
        checksums[f"{folder.name}/rarity.json"] = file_sha256(folder / "rarity.json")
        manifest["segments"] = segments
        manifest["checksums"] = checksums
        live_chunks = sum(len(cs) for _, cs, _ in parts) + kept_rows
        manifest["rows"] = {"chunks": live_chunks, "documents": len(records)}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
        for path in folder.iterdir():  # durable before the swap makes it live
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        _swap(index_dir, folder)
    except (OSError, RuntimeError) as exc:  # a full disk; faiss raises RuntimeError for it
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(index_dir / "segments" / name, ignore_errors=True)
        why = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[-1]
        raise IndexWriteError(
            f"cannot write the index in {str(index_dir)!r} ({why}); the previous build is kept"
        ) from exc
    shutil.rmtree(index_dir / "partial", ignore_errors=True)
    store = load_store(index_dir, fingerprint)
    report.chunks = store.size
    report.seconds = time.perf_counter() - started
    return store, report


def _records(old: Store | None, found: list, keep: dict) -> dict[str, dict]:
    """Size, time, sha256 and encoding of every indexed file, for the manifest."""
    stat = old.manifest.get("stat", {}) if old else {}
    out = {}
    for rel, doc in found:
        if doc is None:
            out[rel] = stat[rel]
        else:
            out[rel] = {"size": doc.size, "mtime_ns": doc.mtime_ns, "sha256": doc.sha256,
                        "encoding": doc.encoding}  # fmt: skip
    return out


def _carry(old: Store, keep: dict) -> list[tuple[Document, list[Chunk], np.ndarray]]:
    """The kept files of the old build with their chunks and vectors, for a merge."""
    out = []
    by_segment: dict[int, list[tuple[str, int]]] = {}
    for rel, (seg, no) in keep.items():
        by_segment.setdefault(seg, []).append((rel, no))
    for seg, files in by_segment.items():
        segment = old.segments[seg]
        vectors = segment.vectors()
        owners = segment.spans[:, 0]
        for rel, no in files:
            lo, hi = np.searchsorted(owners, no, "left"), np.searchsorted(owners, no, "right")
            chunks = [segment.chunk(r) for r in range(lo, hi)]
            out.append((old.documents[rel], chunks, vectors[lo:hi]))
    return out


def _rarity(old: Store | None, report: BuildReport, fresh: list[Document]) -> dict:
    """In how many non-blank lines each word occurs: the old counts, less the lines of files
    removed or changed, plus the lines of new and changed files."""
    counts = Counter(old.rarity_counts) if old else Counter()
    total = old.line_total if old else 0
    for rel in report.removed + report.changed:
        seg, no = old.where[rel]
        total -= count_words(old.segments[seg].lines(no), counts, -1)
    for doc in fresh:
        total += count_words(doc.lines, counts)
    return {"total": total, "counts": {w: c for w, c in sorted(counts.items()) if c > 0}}


def _swap(index_dir: Path, folder: Path) -> None:
    """Make `folder` the current build; remove older builds and segments no build names."""
    link = index_dir / f".current-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(folder.name)
    os.replace(link, index_dir / "current")
    live = folder.name
    for old in index_dir.glob("build-*"):
        if old.name != live:
            shutil.rmtree(old, ignore_errors=True)
    named = {s["name"] for s in json.loads((folder / "manifest.json").read_text())["segments"]}
    for seg in (index_dir / "segments").glob("seg-*"):
        if seg.name not in named:
            shutil.rmtree(seg, ignore_errors=True)
