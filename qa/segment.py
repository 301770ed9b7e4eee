"""A segment: an immutable part of a local index, written once and memory-mapped when read.

    segments/seg-*/files.json     each file: name, sha256, size, mtime_ns, encoding, first, lines
    segments/seg-*/lines.bin      every line of every file, UTF-8, one after another
    segments/seg-*/lines.npy      int64 offsets of each line in lines.bin (one more than lines)
    segments/seg-*/chunks.bin     every chunk's text, UTF-8 (a piece of a long line is not a line)
    segments/seg-*/chunks.npy     int64 offsets into chunks.bin
    segments/seg-*/spans.npy      int32 (file number, first line, last line) of each chunk
    segments/seg-*/ids.npy        each chunk's 12-character id
    segments/seg-*/terms.npz      chunk × term counts (BM25), with terms.json and lengths.npy
    segments/seg-*/dense.faiss    the vectors: exact (flat) below ANN_MIN chunks, else an
                                  inverted file (IVF) whose nprobe was measured to reach RECALL

Line and chunk text stay on disk (memory-mapped): serving a million lines holds the vectors and
the term matrix in memory, not the text. A build names its segments and, for each, the files of
it that are no longer live (changed or removed since), so an update writes only a small segment.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from qa.chunk import Chunk
from qa.corpus import Document
from qa.lexical import Postings, term_matrix

ANN_MIN = 20_000  # chunks: below, exact search takes a few milliseconds
RECALL = 0.97  # recall@10 against exact search that a segment's nprobe is raised to reach
PROBES = 200  # chunks used as queries to measure it
FILES = ("files.json", "lines.bin", "lines.npy", "chunks.bin", "chunks.npy", "spans.npy",
         "ids.npy", "terms.npz", "terms.json", "lengths.npy", "dense.faiss")  # fmt: skip


def dense_index(vectors: np.ndarray, dim: int):
    """Exact inner product for small segments; for large ones an inverted file (IVF-Flat, 4·√n
    lists, at least 40 chunks each) whose nprobe is the smallest power of two that finds RECALL
    of the exact top 10 for PROBES queries made from its own chunks (measured here, so it holds
    for these vectors, whatever the embedder)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) < ANN_MIN:
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return index
    rng = np.random.default_rng(0)
    nlist = int(min(4 * np.sqrt(len(vectors)), len(vectors) / 40))  # 40 to train each list
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    train = rng.choice(len(vectors), min(len(vectors), 64 * nlist), replace=False)
    index.train(vectors[np.sort(train)])
    index.add(vectors)
    # queries like a question to its passage: a chunk's vector moved off it (cosine about 0.5)
    noise = rng.standard_normal((PROBES, dim)).astype(np.float32)
    noise *= np.sqrt(3) / np.linalg.norm(noise, axis=1, keepdims=True)
    queries = vectors[rng.choice(len(vectors), PROBES, replace=False)] + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = np.argpartition(-(queries @ vectors.T), 10, axis=1)[:, :10]  # the top 10, unordered
    index.nprobe = 8
    while index.nprobe < nlist:
        found = index.search(queries, 10)[1]
        recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)])
        if recall >= RECALL:
            break
        index.nprobe = min(nlist, index.nprobe * 2)
    return index


def _blob(folder: Path, name: str, texts) -> None:
    offsets = [0]
    with open(folder / f"{name}.bin", "wb") as fh:
        for text in texts:
            data = text.encode("utf-8", "surrogatepass")
            fh.write(data)
            offsets.append(offsets[-1] + len(data))
    np.save(folder / f"{name}.npy", np.asarray(offsets, np.int64), allow_pickle=False)


def write_segment(
    folder: Path, documents: list[Document], chunks: list[Chunk], vectors: np.ndarray, dim: int
) -> None:
    """Write a segment of these documents and their chunks (vectors row for row), durably."""
    import faiss

    folder.mkdir(parents=True)
    number, files, first = {}, [], 0
    for i, doc in enumerate(documents):
        number[doc.file] = i
        files.append({"file": doc.file, "sha256": doc.sha256, "size": doc.size,
                      "mtime_ns": doc.mtime_ns, "encoding": doc.encoding, "first": first,
                      "lines": len(doc.lines)})  # fmt: skip
        first += len(doc.lines)
    (folder / "files.json").write_text(json.dumps(files, ensure_ascii=False))
    _blob(folder, "lines", (line for doc in documents for line in doc.lines))
    _blob(folder, "chunks", (c.text for c in chunks))
    spans = np.asarray([(number[c.file], c.start_line, c.end_line) for c in chunks], np.int32)
    np.save(folder / "spans.npy", spans.reshape(-1, 3), allow_pickle=False)
    np.save(folder / "ids.npy", np.asarray([c.id for c in chunks], dtype="S12"), allow_pickle=False)
    matrix, terms, lengths = term_matrix(c.text for c in chunks)
    sparse.save_npz(folder / "terms.npz", matrix, compressed=False)
    (folder / "terms.json").write_text(json.dumps(terms, ensure_ascii=False))
    np.save(folder / "lengths.npy", lengths, allow_pickle=False)
    faiss.write_index(dense_index(vectors, dim), str(folder / "dense.faiss"))
    for name in FILES:
        with open(folder / name, "rb") as fh:
            os.fsync(fh.fileno())


def _map(path: Path) -> mmap.mmap | bytes:
    if path.stat().st_size == 0:
        return b""
    with open(path, "rb") as fh:
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # outlives the file's removal


@dataclass
class Segment:
    """A segment opened for reading: text memory-mapped, vectors and terms in memory."""

    name: str
    files: list[dict]
    spans: np.ndarray
    ids: np.ndarray
    dense: object
    postings: Postings
    line_blob: mmap.mmap | bytes
    line_offsets: np.ndarray
    chunk_blob: mmap.mmap | bytes
    chunk_offsets: np.ndarray

    @classmethod
    def open(cls, folder: Path) -> Segment:
        """Open a segment folder; ValueError when its parts do not agree."""
        import faiss

        files = json.loads((folder / "files.json").read_text())
        spans = np.load(folder / "spans.npy", allow_pickle=False)
        ids = np.load(folder / "ids.npy", allow_pickle=False)
        line_offsets = np.load(folder / "lines.npy", mmap_mode="r", allow_pickle=False)
        chunk_offsets = np.load(folder / "chunks.npy", mmap_mode="r", allow_pickle=False)
        matrix = sparse.load_npz(folder / "terms.npz").tocsc()
        terms = json.loads((folder / "terms.json").read_text())
        lengths = np.load(folder / "lengths.npy", allow_pickle=False)
        dense = faiss.read_index(str(folder / "dense.faiss"))
        n = len(spans)
        if hasattr(dense, "make_direct_map"):
            dense.make_direct_map()  # an inverted file finds a row's vector by this map
        if not (len(ids) == len(chunk_offsets) - 1 == matrix.shape[0] == len(lengths) == n
                and dense.ntotal == n and len(terms) == matrix.shape[1]):  # fmt: skip
            raise ValueError(f"the parts of segment {folder.name} do not agree")
        if len(line_offsets) - 1 != sum(f["lines"] for f in files):
            raise ValueError(f"lines.bin of segment {folder.name} does not match files.json")
        return cls(folder.name, files, spans, ids, dense, Postings(matrix, terms, lengths),
                   _map(folder / "lines.bin"), line_offsets, _map(folder / "chunks.bin"),
                   chunk_offsets)  # fmt: skip

    def lines(self, file_no: int, start: int = 1, end: int | None = None) -> tuple[str, ...]:
        """Lines start..end (1-based, inclusive) of one of its files, read from disk."""
        rec = self.files[file_no]
        end = rec["lines"] if end is None else min(end, rec["lines"])
        lo, hi = rec["first"] + start - 1, rec["first"] + end
        if hi <= lo:
            return ()
        offsets = self.line_offsets[lo : hi + 1]
        data = self.line_blob[int(offsets[0]) : int(offsets[-1])]
        cuts = offsets - offsets[0]
        return tuple(
            data[cuts[i] : cuts[i + 1]].decode("utf-8", "surrogatepass") for i in range(hi - lo)
        )

    def chunk_text(self, row: int) -> str:
        """The text of chunk `row`."""
        lo, hi = int(self.chunk_offsets[row]), int(self.chunk_offsets[row + 1])
        return self.chunk_blob[lo:hi].decode("utf-8", "surrogatepass")

    def chunk(self, row: int) -> Chunk:
        """Chunk `row` as the chunker made it."""
        file_no, start, end = (int(x) for x in self.spans[row])
        return Chunk(id=self.ids[row].decode(), file=self.files[file_no]["file"],
                     start_line=start, end_line=end, text=self.chunk_text(row))  # fmt: skip

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The vectors of these chunk rows (all by default)."""
        if rows is None:
            return self.dense.reconstruct_n(0, self.dense.ntotal)
        return np.vstack([self.dense.reconstruct(int(r)) for r in rows]) if len(rows) else (
            np.zeros((0, self.dense.d), np.float32))  # fmt: skip

    def search(self, query: np.ndarray, depth: int, live: np.ndarray | None):
        """(scores, rows) of the `depth` live chunks closest to the query vector."""
        import faiss

        depth = min(depth, self.dense.ntotal)
        if depth <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        params = None
        if live is not None:
            bits = np.packbits(live, bitorder="little")  # alive while the search runs
            selector = faiss.IDSelectorBitmap(len(live), faiss.swig_ptr(bits))
            if hasattr(self.dense, "nprobe"):
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self.dense.nprobe)
            else:
                params = faiss.SearchParameters(sel=selector)
        scores, rows = self.dense.search(query[None, :], depth, params=params)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]
