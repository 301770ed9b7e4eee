"""Citations are built by code: the corpus line that best supports the answer, quoted exactly."""

from __future__ import annotations

from pydantic import BaseModel, Field

from qa.store import Store
from qa.text import STOPWORDS, content_words, words  # noqa: F401 (re-exported)


class Citation(BaseModel):
    """A line range of one corpus file and its exact text."""

    file: str = Field(description="Path relative to the corpus root.")
    start_line: int = Field(description="First cited line, 1-based.")
    end_line: int = Field(description="Last cited line, 1-based, inclusive.")
    quote: str = Field(description="Exactly the text of lines start_line..end_line of file.")


def support(answer: str, question: str, line: str) -> float:
    """How well one line supports an answer: its answer words, the new ones counting most."""
    have = content_words(line)
    asked = content_words(question)
    score = 0.0
    for w in content_words(answer):
        if w in have:
            score += 0.3 if w in asked else 1.0
    overlap = len(asked & have) / max(len(asked), 1)
    return score + 0.5 * overlap


def cite(
    answer: str, question: str, lines: list[tuple[str, int, str]], store: Store
) -> list[Citation]:
    """The line (of `lines`, best first) that best supports the answer; none if no line holds its
    new words."""
    new = content_words(answer) - content_words(question)
    best, best_score = None, 0.0
    for rank, (file, number, text) in enumerate(lines):
        if new and not new & content_words(text):
            continue
        score = support(answer, question, text) - 0.05 * rank
        if score > best_score:
            best, best_score = (file, number), score
    if best is None:
        return []
    return [line_citation(store, *best)]


def line_citation(store: Store, file: str, number: int) -> Citation:
    """A one-line citation quoted from the stored corpus."""
    return Citation(
        file=file, start_line=number, end_line=number, quote=store.lines(file, number, number)
    )


def verify(citation: Citation, store: Store) -> bool:
    """True when the quote is exactly (or a contiguous part of) the cited lines."""
    doc = store.documents.get(citation.file)
    if doc is None or not 1 <= citation.start_line <= citation.end_line <= len(doc.lines):
        return False
    text = store.lines(citation.file, citation.start_line, citation.end_line)
    return bool(citation.quote) and citation.quote in text
