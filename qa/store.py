"""The on-disk index: FAISS vectors, chunks, documents and a manifest, swapped in atomically.

Layout of the index folder::

    current -> build-<time>-<pid>/   (a symlink, replaced atomically when a build completes)
    build-*/manifest.json            embedder, dimension, chunking, fingerprint, file hashes
    build-*/chunks.jsonl             one Chunk per line, row i = vector i
    build-*/documents.jsonl          every file's lines, the source of every quote
    build-*/vectors.npy              float32 unit vectors (reused by incremental builds)
    build-*/faiss.index              inner-product index over the vectors

A build killed at any moment leaves `current` pointing at the previous complete build.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.chunk import Chunk, chunk_document
from qa.corpus import Document, Skipped, read_corpus
from qa.embed import Embedder
from qa.errors import IndexMissingError, IndexStaleError, IndexWriteError
from qa.integrity import check_build, checksums
from qa.settings import Settings

FORMAT = 1
Progress = Callable[[int, int], None]


@dataclass
class Store:
    """A loaded index."""

    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    documents: dict[str, Document]
    path: Path
    faiss_index: object = field(repr=False, default=None)

    def lines(self, file: str, start: int, end: int) -> str:
        """The exact text of lines start..end (1-based, inclusive) of a corpus file."""
        return "\n".join(self.documents[file].lines[start - 1 : end])


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
        return (
            f"{head}{', '.join(parts)}; {self.chunks} chunks, {self.embedded} embedded "
            f"in {self.seconds:.1f}s"
        )


def _faiss_index(vectors: np.ndarray, dim: int):
    import faiss

    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


def load_store(index_dir: Path, fingerprint: str | None = None) -> Store:
    """Load the current build; IndexStaleError when its fingerprint is not the expected one."""
    if not (index_dir / "current").exists():
        raise IndexMissingError(f"no index in {str(index_dir)!r}: run `qa index`")
    current = (index_dir / "current").resolve()  # one build, even if a new one swaps in
    manifest = check_build(index_dir, current)
    try:
        with open(current / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [Chunk.model_validate_json(line) for line in fh]
        with open(current / "documents.jsonl", encoding="utf-8") as fh:
            documents = {}
            for line in fh:
                row = json.loads(line)
                documents[row["file"]] = Document(row["file"], tuple(row["lines"]), row["sha256"])
        vectors = np.load(current / "vectors.npy", allow_pickle=False)
        if vectors.shape != (len(chunks), manifest["dim"]) or manifest.get("format") != FORMAT:
            raise ValueError("vectors do not match chunks")
        import faiss

        index = faiss.read_index(str(current / "faiss.index"))
        if index.ntotal != len(chunks) or index.d != manifest["dim"]:
            raise ValueError("faiss.index does not match chunks")
        if unknown := {c.file for c in chunks} - set(documents):
            raise ValueError(f"documents.jsonl lacks {sorted(unknown)[0]}")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError) as exc:
        first = (str(exc) or type(exc).__name__).splitlines()[0]  # pydantic's are several lines
        raise IndexMissingError(
            f"index in {str(index_dir)!r} is corrupt ({first}): run `qa index --rebuild`"
        ) from exc
    if fingerprint is not None and manifest.get("fingerprint") != fingerprint:
        raise IndexStaleError(
            f"index in {str(index_dir)!r} was built with other settings or another embedder "
            f"({manifest.get('embedder')}, chunk_size {manifest.get('chunk_size')}): "
            "run `qa index` to rebuild it"
        )
    return Store(manifest, chunks, vectors, documents, current, index)


def _previous(index_dir: Path, fingerprint: str) -> tuple[Store | None, str]:
    try:
        return load_store(index_dir, fingerprint), ""
    except IndexStaleError:
        return None, "settings or embedder changed"
    except IndexMissingError as exc:
        missing = not (index_dir / "current").exists()
        return None, "" if missing else f"previous index unreadable: {exc}"


def _write(folder: Path, manifest: dict, chunks, documents, vectors: np.ndarray) -> None:
    import faiss

    folder.mkdir(parents=True)
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(c.model_dump_json() + "\n" for c in chunks)
    with open(folder / "documents.jsonl", "w", encoding="utf-8") as fh:
        for doc in documents:
            row = {"file": doc.file, "sha256": doc.sha256, "lines": list(doc.lines)}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", vectors, allow_pickle=False)
    faiss.write_index(_faiss_index(vectors, manifest["dim"]), str(folder / "faiss.index"))
    manifest["checksums"] = checksums(folder)  # checked before any model loads
    manifest["rows"] = {"chunks": len(chunks), "documents": len(documents)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    for path in folder.iterdir():  # durable before the swap makes it live
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())


def _swap(index_dir: Path, folder: Path) -> None:
    link = index_dir / f".current-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(folder.name)
    os.replace(link, index_dir / "current")
    live = folder.name
    for old in index_dir.glob("build-*"):
        if old.name != live:
            shutil.rmtree(old, ignore_errors=True)


def build_index(
    settings: Settings,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> tuple[Store, BuildReport]:
    """Build or update the index for settings.docs, re-embedding only new and changed files."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = settings.index_fingerprint(embedder.name, embedder.dim)
    corpus = read_corpus(settings.docs, settings.max_file_bytes)
    documents = corpus.documents
    report = BuildReport(skipped=corpus.skipped)
    report.decoded = [(d.file, d.encoding) for d in documents if d.encoding != "utf-8"]
    old, report.rebuilt = (None, "--rebuild") if rebuild else _previous(index_dir, fingerprint)
    old_sha = {f: d.sha256 for f, d in old.documents.items()} if old else {}
    reuse: dict[str, list[tuple[Chunk, np.ndarray]]] = {}
    if old:
        for chunk, vector in zip(old.chunks, old.vectors, strict=True):
            reuse.setdefault(chunk.file, []).append((chunk, vector))
    current = {d.file for d in documents}
    report.removed = sorted(set(old_sha) - current)

    chunks: list[Chunk] = []
    vectors: list[np.ndarray | None] = []
    pending: list[int] = []
    for doc in documents:
        if old_sha.get(doc.file) == doc.sha256:
            report.unchanged.append(doc.file)
            for chunk, vector in reuse.get(doc.file, []):
                chunks.append(chunk)
                vectors.append(vector)
            continue
        (report.changed if doc.file in old_sha else report.added).append(doc.file)
        if not doc.lines:
            report.emptied.append(doc.file)
        for chunk in chunk_document(doc, settings.chunk_size, settings.chunk_overlap):
            pending.append(len(chunks))
            chunks.append(chunk)
            vectors.append(None)

    batch = 64
    for start in range(0, len(pending), batch):
        rows = pending[start : start + batch]
        embedded = embedder.embed_batch([chunks[i].text for i in rows])
        for i, vector in zip(rows, embedded, strict=True):
            vectors[i] = vector
        if progress:
            progress(min(start + batch, len(pending)), len(pending))
    matrix = (
        np.vstack(vectors).astype(np.float32)
        if vectors
        else np.zeros((0, embedder.dim), dtype=np.float32)
    )
    report.chunks, report.embedded = len(chunks), len(pending)

    stat = {
        d.file: {"size": d.size, "mtime_ns": d.mtime_ns, "sha256": d.sha256, "encoding": d.encoding}
        for d in documents
    }
    skipped = {
        s.file: {"reason": s.reason, "size": s.size, "mtime_ns": s.mtime_ns} for s in corpus.skipped
    }
    unchanged = (
        old
        and not (report.added or report.changed or report.removed)  # an emptied file changed
        and old.manifest.get("docs") == str(settings.docs.resolve())
        and old.manifest.get("stat") == stat
        and old.manifest.get("skipped") == skipped
        and old.manifest.get("max_file_bytes") == settings.max_file_bytes
    )
    if unchanged:
        report.seconds = time.perf_counter() - started
        return old, report
    manifest = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "docs": str(settings.docs.resolve()),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": {d.file: d.sha256 for d in documents},
        "stat": stat,
        "skipped": skipped,
        "max_file_bytes": settings.max_file_bytes,
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = index_dir / f"build-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    try:
        _write(folder, manifest, chunks, documents, matrix)
        _swap(index_dir, folder)
    except (OSError, RuntimeError) as exc:  # a full disk; faiss raises RuntimeError for it
        shutil.rmtree(folder, ignore_errors=True)
        why = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[-1]
        raise IndexWriteError(
            f"cannot write the index in {str(index_dir)!r} ({why}); the previous build is kept"
        ) from exc
    report.seconds = time.perf_counter() - started
    return load_store(index_dir, fingerprint), report
