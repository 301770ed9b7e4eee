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

    def dense(self, query: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(scores, index order, place) of the `depth` live chunks closest to the query
        vector, best first; ties by place (file, then position in it)."""
        store = self.store
        scores, found, places = [], [], []
        for i, seg in enumerate(store.segments):
            s, rows = seg.search(query, min(depth, len(store.rows[i])), store.live[i])
            scores.append(s)
            found.append(store.index_of(i, rows))
            places.append(store.place(i, rows))
        if not scores:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64)
        scores, found, places = (np.concatenate(x) for x in (scores, found, places))
        order = np.lexsort((places, -scores))[:depth]
        return scores[order], found[order], places[order]

    def lexical(self, question: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """(each segment's BM25 scores by row, the index order and place of the CANDIDATES best
        chunks that share a word with the question, best first; ties by place)."""
        store = self.store
        postings = [(s.postings, live) for s, live in zip(store.segments, store.live, strict=True)]
        scores = bm25(question, postings, store.avgdl, store.size)
        found, places, values = [], [], []
        for seg, acc in enumerate(scores):
            rows = _best(acc, CANDIDATES)
            found.append(store.index_of(seg, rows))
            places.append(store.place(seg, rows))
            values.append(acc[rows])
        found, places, values = (np.concatenate(x) for x in (found, places, values))
        keep = np.lexsort((places, -values))[:CANDIDATES]
        return scores, found[keep], places[keep]

    def search(self, question: str, k: int, vector: np.ndarray | None = None) -> list[Passage]:
        """The k passages most relevant to the question, best first (`vector`: its embedding,
        when the caller has it already). Ties go by file and position, so an updated index and
        a fresh build of the same files return the same passages in the same order."""
        store = self.store
        if not store.size:
            return []
        query = self.embedder.embed_batch([question])[0] if vector is None else vector
        query = np.asarray(query, dtype=np.float32)
        _, order, places = self.dense(query, min(store.size, max(k, CANDIDATES)))
        fused: dict[int, float] = {}
        place = dict(zip(order.tolist(), places.tolist(), strict=True))
        for rank, i in enumerate(order.tolist(), 1):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank)
        scores: list[np.ndarray] = []
        if self.hybrid:
            scores, hits, places = self.lexical(question)
            place.update(zip(hits.tolist(), places.tolist(), strict=True))
            for rank, i in enumerate(hits.tolist(), 1):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(fused, key=lambda i: (-fused[i], place[i]))[:k]
        passages = []
        for i in best:
            seg, row = store.locate(i)
            segment = store.segments[seg]
            chunk = segment.chunk(row)
            cos = float(segment.vectors(np.array([row]))[0] @ query)  # exact, for those returned
            passages.append(Passage(
                file=chunk.file, start_line=chunk.start_line, end_line=chunk.end_line,
                score=round(cos, 4), text=chunk.text,
                lexical=round(float(scores[seg][row]), 4) if scores else 0.0,
                id=chunk.id,
            ))  # fmt: skip
        return passages


def _best(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest positive scores and of every score tied with the n-th (in no
    particular order), without sorting everything."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        nth = np.partition(scores[positive], len(positive) - n)[len(positive) - n]
        positive = positive[scores[positive] >= nth]
    return positive
