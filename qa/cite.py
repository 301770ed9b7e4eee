"""Citations are built by code: the corpus line that best supports the answer, quoted exactly."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from qa.store import Store
from qa.text import STOPWORDS, content_words, sentences, span_saying, words  # noqa: F401 (re-exported)

LONG_LINE = 300  # characters: a longer line is quoted by its sentence


class Citation(BaseModel):
    """A line range of one corpus file and its exact text."""

    file: str = Field(description="Path relative to the corpus root.")
    start_line: int = Field(description="First cited line, 1-based.")
    end_line: int = Field(description="Last cited line, 1-based, inclusive.")
    quote: str = Field(
        description="Exactly the text of lines start_line..end_line of file, or, when a line is "
        "long, the sentence(s) of it that hold the answer."
    )
    start_char: int | None = Field(
        None, description="Where the quote starts in line start_line (0-based), if it is a part."
    )
    end_char: int | None = Field(None, description="Where the quote ends in that line (exclusive).")


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
    return [line_citation(store, *best, answer=answer)]


def line_citation(
    store: Store, file: str, number: int, answer: str = "", at: int | None = None
) -> Citation:
    """A one-line citation quoted from the stored corpus; a line longer than LONG_LINE is quoted
    by the sentence holding the answer (at offset `at`, else the first that contains it)."""
    text = store.lines(file, number, number)
    part = focus(text, answer, at) if len(text) > LONG_LINE else None
    if part is None:
        return Citation(file=file, start_line=number, end_line=number, quote=text)
    a, b = part
    return Citation(
        file=file, start_line=number, end_line=number, quote=text[a:b], start_char=a, end_char=b
    )


def focus(text: str, answer: str, at: int | None = None) -> tuple[int, int] | None:
    """The sentence of text at offset `at`, or the first holding the answer; None if neither."""
    spans = sentences(text)
    if at is not None:
        return next(((a, b) for a, b in spans if a <= at < b), None)
    wanted = normalize_space(answer)
    if not wanted:
        return None
    said = said_as(wanted)
    return next(((a, b) for a, b in spans if said.search(normalize_space(text[a:b]))), None)


def normalize_space(text: str) -> str:
    """Single spaces, curly apostrophes straightened."""
    return " ".join(text.replace("’", "'").split())


def said_as(answer: str) -> re.Pattern:
    """The answer as a line may say it: whole words and whole numbers ("2" is not in "2021",
    "3%" not in "2.3%"), either apostrophe for the other, any case."""
    body = re.escape(answer.replace("’", "'")).replace("'", "['’]")
    before = r"(?<![\w.,])" if answer[:1].isalnum() else ""  # "$4.5m" may follow "US"
    after = r"(?![\w]|[.,]\d)" if answer[-1:].isalnum() else ""
    return re.compile(before + body + after, re.IGNORECASE)


def answer_line(answer: str, lines: list[tuple[str, int, str]]) -> tuple[str, int] | None:
    """The first of `lines` (best first) whose text holds the answer word for word (said_as)."""
    wanted = normalize_space(answer)
    said = said_as(wanted) if wanted else None
    return next(
        ((f, n) for f, n, text in lines if said and said.search(normalize_space(text))), None
    )


def line_saying(
    answer: str, lines: list[tuple[str, int, str]]
) -> tuple[str, tuple[str, int]] | None:
    """The reply as a line says it, and that line: the first of `lines` (best first) that holds
    it word for word, else the first whose own words say it ("21-day" for "21 days")."""
    found = answer_line(answer, lines)
    if found:
        return answer, found
    for file, number, text in lines:
        if said := span_saying(answer, text):
            return said, (file, number)
    return None


def verify(citation: Citation, store: Store) -> bool:
    """True when the quote is exactly (or a contiguous part of) the cited lines."""
    doc = store.documents.get(citation.file)
    if doc is None or not 1 <= citation.start_line <= citation.end_line <= len(doc.lines):
        return False
    text = store.lines(citation.file, citation.start_line, citation.end_line)
    return bool(citation.quote) and citation.quote in text
