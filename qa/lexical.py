"""BM25 over the segments of a local index, with corpus-wide statistics.

Each segment stores a sparse chunk × term matrix of term counts, written once at index time and
loaded (never rebuilt) at start. A question's score for a chunk uses the document frequency and
average length of every *live* chunk of every segment, so a small segment added by an update is
scored like the rest. Tokens and formula are bm25s's defaults (lower case, words of two or more
characters, its English stop words; Lucene's BM25, k1 = 1.5, b = 0.75), the scores the index
used before segments.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

TOKEN = re.compile(r"(?u)\b\w\w+\b")
K1, B = 1.5, 0.75


def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


STOPWORDS = _stopwords()


def tokens(text: str) -> list[str]:
    """The BM25 tokens of a text, repeats kept."""
    return [t for t in TOKEN.findall(text.lower()) if t not in STOPWORDS]


def term_matrix(texts: Iterable[str]) -> tuple[sparse.csc_matrix, list[str], np.ndarray]:
    """(chunk × term counts as CSC, the terms, each chunk's length in tokens)."""
    vocab: dict[str, int] = {}
    rows, cols, counts, lengths = [], [], [], []
    for row, text in enumerate(texts):
        found = tokens(text)
        lengths.append(len(found))
        for term, n in Counter(found).items():
            rows.append(row)
            cols.append(vocab.setdefault(term, len(vocab)))
            counts.append(n)
    shape = (len(lengths), len(vocab))
    matrix = sparse.csc_matrix(
        (np.asarray(counts, np.float32), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=shape,
    )
    return matrix, list(vocab), np.asarray(lengths, np.float32)


class Postings:
    """One segment's term matrix, searchable by term."""

    def __init__(self, matrix: sparse.csc_matrix, terms: Sequence[str], lengths: np.ndarray):
        self.matrix = matrix
        self.column = {t: i for i, t in enumerate(terms)}
        self.lengths = lengths

    def get(self, term: str, live: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, counts) of the live chunks that hold the term."""
        col = self.column.get(term)
        if col is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        lo, hi = self.matrix.indptr[col], self.matrix.indptr[col + 1]
        rows, counts = self.matrix.indices[lo:hi], self.matrix.data[lo:hi]
        if live is not None:
            keep = live[rows]
            rows, counts = rows[keep], counts[keep]
        return rows, counts


def bm25(
    question: str, segments: Sequence[tuple[Postings, np.ndarray | None]], avgdl: float, total: int
) -> list[np.ndarray]:
    """Per segment, every row's BM25 score for the question (0 where no word is shared; dead
    rows always 0)."""
    out = [np.zeros(len(post.lengths), np.float32) for post, _ in segments]
    if not total:
        return out
    for term in tokens(question):  # a word asked twice counts twice, as in bm25s
        hits = [post.get(term, live) for post, live in segments]
        df = sum(len(rows) for rows, _ in hits)
        if not df:
            continue
        idf = np.log(1 + (total - df + 0.5) / (df + 0.5))
        for acc, (rows, tf), (post, _) in zip(out, hits, segments, strict=True):
            if len(rows):  # rows are distinct within one term: a plain fancy-index add
                norm = K1 * ((1 - B) + B * post.lengths[rows] / avgdl)
                acc[rows] += (idf * tf / (norm + tf)).astype(np.float32)
    return out
