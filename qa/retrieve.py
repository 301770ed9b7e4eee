"""Question -> ranked Passages: dense FAISS search fused with BM25 by reciprocal rank."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from qa.embed import Embedder
from qa.lexical import bm25
from qa.store import Store

RRF_K = 60
CANDIDATES = 100  # dense and lexical hits each side brings to the fusion


class Passage(BaseModel):
    """A retrieved chunk with its place in the corpus."""

    file: str = Field(description="Path relative to the corpus root.")
    start_line: int = Field(description="First line, 1-based.")
    end_line: int = Field(description="Last line, 1-based, inclusive.")
    score: float = Field(description="Cosine similarity of the chunk to the question.")
    text: str = Field(description="The chunk's text.")
    lexical: float = Field(0.0, description="BM25 score of the chunk for the question.")
    id: str = Field("", description="Chunk id in the index.")


class Retriever:
    """Searches one local Store: dense (FAISS, per segment) and BM25 (corpus-wide statistics)
    candidates fused by reciprocal rank."""

    def __init__(self, store: Store, embedder: Embedder, hybrid: bool = True) -> None:
        self.store = store
        self.embedder = embedder
        self.hybrid = hybrid

    def dense(self, query: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, index order) of the `depth` live chunks closest to the query vector."""
        store = self.store
        scores, found = [], []
        for i, seg in enumerate(store.segments):
            s, rows = seg.search(query, min(depth, len(store.rows[i])), store.live[i])
            scores.append(s)
            found.append(store.index_of(i, rows))
        if not scores:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, found = np.concatenate(scores), np.concatenate(found)
        order = np.lexsort((found, -scores))[:depth]
        return scores[order], found[order]

    def lexical(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(BM25 scores, index order) of the chunks sharing a word with the question."""
        store = self.store
        postings = [(s.postings, live) for s, live in zip(store.segments, store.live, strict=True)]
        hits = bm25(question, postings, store.avgdl, store.size)
        found = [store.index_of(i, rows) for i, (rows, _) in enumerate(hits)]
        if not found:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        return np.concatenate([s for _, s in hits]), np.concatenate(found)

    def search(self, question: str, k: int, vector: np.ndarray | None = None) -> list[Passage]:
        """The k passages most relevant to the question, best first (`vector`: its embedding,
        when the caller has it already)."""
        store = self.store
        if not store.size:
            return []
        query = self.embedder.embed_batch([question])[0] if vector is None else vector
        query = np.asarray(query, dtype=np.float32)
        _, order = self.dense(query, min(store.size, max(k, CANDIDATES)))
        fused: dict[int, float] = {}
        for rank, i in enumerate(order.tolist(), 1):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank)
        scores, found = self.lexical(question) if self.hybrid else (np.zeros(0), np.zeros(0, int))
        top = np.lexsort((found, -scores))[:CANDIDATES]
        for rank, i in enumerate(found[top[scores[top] > 0]].tolist(), 1):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        mine = np.isin(found, best)
        lexical = dict(zip(found[mine].tolist(), scores[mine].tolist(), strict=True))
        passages = []
        for i in best:
            seg, row = store.locate(i)
            segment = store.segments[seg]
            chunk = segment.chunk(row)
            cos = float(segment.vectors(np.array([row]))[0] @ query)  # exact, for those returned
            passages.append(Passage(
                file=chunk.file, start_line=chunk.start_line, end_line=chunk.end_line,
                score=round(cos, 4), text=chunk.text, lexical=round(lexical.get(i, 0.0), 4),
                id=chunk.id,
            ))  # fmt: skip
        return passages
