"""Question -> ranked Passages: dense FAISS search fused with BM25 by reciprocal rank."""

from __future__ import annotations

import logging

import numpy as np
from pydantic import BaseModel, Field

from qa.embed import Embedder
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
    """Searches one Store."""

    def __init__(self, store: Store, embedder: Embedder, hybrid: bool = True) -> None:
        self.store = store
        self.embedder = embedder
        self.bm25 = None
        if hybrid and store.chunks:
            import bm25s

            logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import
            tokens = bm25s.tokenize(
                [c.text for c in store.chunks], stopwords="en", show_progress=False
            )
            self.bm25 = bm25s.BM25()
            self.bm25.index(tokens, show_progress=False)

    def _lexical(self, question: str) -> np.ndarray:
        import bm25s

        words = bm25s.tokenize([question], stopwords="en", return_ids=False, show_progress=False)[0]
        if not words:
            return np.zeros(len(self.store.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(words), dtype=np.float32)

    def search(self, question: str, k: int, vector: np.ndarray | None = None) -> list[Passage]:
        """The k passages most relevant to the question, best first (`vector`: its embedding,
        when the caller has it already)."""
        chunks = self.store.chunks
        if not chunks:
            return []
        query = (self.embedder.embed_batch([question])[0] if vector is None else vector)[None, :]
        depth = min(len(chunks), max(k, CANDIDATES))
        _, ids = self.store.faiss_index.search(query, depth)  # dense candidates from FAISS
        order = ids[0][ids[0] >= 0]
        fused = np.zeros(len(chunks), dtype=np.float64)
        fused[order] += 1.0 / (RRF_K + np.arange(1, len(order) + 1))
        lexical = np.zeros(len(chunks), dtype=np.float32)
        if self.bm25 is not None:
            lexical = self._lexical(question)
            hits = np.argsort(-lexical, kind="stable")[:CANDIDATES]
            hits = hits[lexical[hits] > 0]
            fused[hits] += 1.0 / (RRF_K + np.arange(1, len(hits) + 1))
        best = np.argsort(-fused, kind="stable")[:k]
        dense = self.store.vectors[best] @ query[0]  # exact cosine for the ones returned
        return [
            Passage(
                file=chunks[i].file,
                start_line=chunks[i].start_line,
                end_line=chunks[i].end_line,
                score=round(float(cos), 4),
                text=chunks[i].text,
                lexical=round(float(lexical[i]), 4),
                id=chunks[i].id,
            )
            for i, cos in zip(best, dense, strict=True)
        ]
