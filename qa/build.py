"""Builds of the local index: only new and changed files are read and embedded, written as a
new small segment with their old rows marked dead, and published by swapping `current`.

When small segments or dead rows pass a quarter of the index, or there are more than
MAX_SEGMENTS, the live rows are merged into one segment (vectors reused, not re-embedded). A build
killed at any moment leaves `current` pointing at the previous complete build, and the vectors of
the files it finished are kept under partial/ for the next build to resume from.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.chunk import Chunk, chunk_document
from qa.corpus import Document, Skipped, list_files, name_of, read_file
from qa.embed import Embedder
from qa.errors import IndexMissingError, IndexStaleError, IndexWriteError
from qa.integrity import FORMAT, verified_sha256
from qa.segment import FILES, write_segment
from qa.settings import Settings
from qa.store import Store, count_words, load_store

MAX_SEGMENTS = 8
MERGE_SHARE = 0.25  # small segments or dead rows past this share of the index: merge
BULK = 2000  # chunks to embed from which a build loads the embedder's bulk form (see embed.py)
Progress = Callable[[int, int], None]


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
    """sha256 of a new segment's files, remembered so that loading the build does not hash
    them a second time."""
    folder = index_dir / "segments" / name
    return {f"segments/{name}/{f}": verified_sha256(folder / f) for f in FILES}


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
    keep, fresh = _sort(found, old, report)
    manifest = _manifest(settings, embedder, fingerprint, _records(old, found), skipped)
    if (
        old
        and not fresh
        and not report.removed
        and all(
            old.manifest.get(k) == manifest[k]
            for k in ("docs", "stat", "skipped", "max_file_bytes")
        )
    ):
        report.chunks, report.seconds = old.size, time.perf_counter() - started
        return old, report
    chunked = [(d, chunk_document(d, settings.chunk_size, settings.chunk_overlap)) for d in fresh]
    new_chunks = sum(len(c) for _, c in chunked)
    merge = _merge(old, keep, new_chunks)
    embedding = _Embedding(index_dir / "partial" / fingerprint[:16], embedder, progress, new_chunks)
    vectors = embedding.run(chunked)
    report.embedded, report.resumed = new_chunks - embedding.resumed, embedding.resumed
    parts = [(d, c, vectors[d.file]) for d, c in chunked]
    if merge and keep:  # every live row goes into the one new segment, old vectors reused
        parts += _carry(old, keep)
    report.merged = bool(merge and old and old.segments and keep)
    segments, checksums, kept_rows = ([], {}, 0) if merge else _kept(old, keep)
    manifest.update(segments=segments, checksums=checksums)
    manifest["rows"] = {"chunks": kept_rows + sum(len(cs) for _, cs, _ in parts),
                        "documents": len(manifest["stat"])}  # fmt: skip
    _write(index_dir, manifest, sorted(parts, key=lambda p: p[0].file), _rarity(old, report, fresh))
    shutil.rmtree(index_dir / "partial", ignore_errors=True)
    store = load_store(index_dir, fingerprint)
    report.chunks = store.size
    report.seconds = time.perf_counter() - started
    return store, report


def _sort(found: list, old: Store | None, report: BuildReport) -> tuple[dict, list[Document]]:
    """(where each unchanged file is in the old build, the new and changed files), filling the
    report's added, changed, unchanged, emptied, removed and decoded lists."""
    old_where = old.where if old else {}
    stat = old.manifest.get("stat", {}) if old else {}
    keep: dict[str, tuple[int, int]] = {}
    fresh: list[Document] = []
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
    report.removed = sorted(set(old_where) - {rel for rel, _ in found})
    return keep, fresh


def _manifest(settings, embedder, fingerprint, records, skipped) -> dict:
    """A build's manifest, without its segments, checksums and row counts."""
    return {
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
        "skipped": {
            s.file: {"reason": s.reason, "size": s.size, "mtime_ns": s.mtime_ns} for s in skipped
        },  # fmt: skip
        "max_file_bytes": settings.max_file_bytes,
    }


def _kept(old: Store, keep: dict) -> tuple[list[dict], dict[str, str], int]:
    """The old segments that still hold live files, each with the numbers of its dead ones;
    their checksums; and their live rows."""
    segments, checksums, rows = [], {}, 0
    for i, seg in enumerate(old.segments):
        live = {no for g, no in keep.values() if g == i}
        if live:
            dead = [no for no in range(len(seg.files)) if no not in live]
            segments.append({"name": seg.name, "dead": dead})
            rows += int((~np.isin(seg.spans[:, 0], dead)).sum())
            prefix = f"segments/{seg.name}/"
            checksums.update((k, v) for k, v in old.manifest["checksums"].items()
                             if k.startswith(prefix))  # fmt: skip
    return segments, checksums, rows


def _write(index_dir: Path, manifest: dict, parts: list, rarity: dict) -> None:
    """Write the new segment (if any files are new) and the build folder, durably, and make it
    current; on failure remove both and raise IndexWriteError (the previous build is kept)."""
    tag = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    folder, name = index_dir / f"build-{tag}", f"seg-{tag}"
    try:
        if parts:
            dim = manifest["dim"]
            matrix = np.vstack([v for _, _, v in parts]).astype(np.float32).reshape(-1, dim)
            write_segment(index_dir / "segments" / name, [d for d, _, _ in parts],
                          [c for _, cs, _ in parts for c in cs], matrix, dim)  # fmt: skip
            manifest["segments"].append({"name": name, "dead": []})
            manifest["checksums"].update(_segment_checksums(index_dir, name))
        folder.mkdir(parents=True)
        rarity_file = folder / "rarity.json"
        rarity_file.write_text(json.dumps(rarity, ensure_ascii=False))
        manifest["checksums"][f"{folder.name}/rarity.json"] = verified_sha256(rarity_file)
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


def _records(old: Store | None, found: list) -> dict[str, dict]:
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
