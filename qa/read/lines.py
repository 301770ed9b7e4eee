"""Lines: every non-blank line of the retrieved passages, ranked for the reader."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from qa.embed import Embedder
from qa.retrieve import Passage
from qa.store import Store, count_words
from qa.text import DEMONYM, STOPWORDS, content_words, words


@dataclass
class Line:
    """A candidate evidence line."""

    file: str
    number: int
    text: str
    rank: int
    dense: float = 0.0
    coverage: float = 0.0

    @property
    def score(self) -> float:
        return self.dense + 0.5 * self.coverage


# the labels news pages put before links to other stories: "Related: ...", "Read more: ...",
# "See also: ...", "Most read: ..."
LINKS = re.compile(
    r"^(?:related(?:\s+(?:coverage|stories|articles|content|topics|news))?|"
    r"read\s+more|see\s+also|also\s+read|more\s+on\s+this(?:\s+story)?|"
    r"most\s+read|read\s+next|recommended|trending|more\s+stories)\s*:",
    re.I,
)


def boilerplate(line: str) -> bool:
    """A page's furniture by its shape: a few words that are not a sentence and hold no figure
    ("Read more", "Show More", "Keep reading:", "Share this"); a labelled link to other stories
    ("Related: Flood defence vote moved to Tuesday | Bakery will reopen"), whose headlines are
    another story's; or a short line that is one question and nothing else ("Read more: Who are
    the strikers?"), which states nothing. A question inside a longer line, after a statement or
    in a quote (a paragraph of a quote may not close it) is kept."""
    text = line.strip()
    if len(text.split()) <= 3 and not re.search(r"[.!?\"”\d]", text):
        return True
    if LINKS.match(text):
        return True
    one_question = text.endswith("?") and not re.search(r"[.!?]\s+\S", text[:-1])
    return one_question and len(text.split()) <= 15 and not re.search(r"[\"“”‘]", text)


@dataclass
class LineRanker:
    """Ranks the lines of retrieved passages with the embedder (line vectors cached)."""

    store: Store
    embedder: Embedder
    cache: dict = field(default_factory=dict)
    rarity: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # how rare each word is across the corpus's lines: 1 = in one line, 0 = in all; a local
        # index counted the lines when it was built, another store's lines are counted here
        counts = getattr(self.store, "rarity_counts", None)
        total = getattr(self.store, "line_total", 0)
        if counts is None:
            counts = Counter()
            total = sum(count_words(d.lines, counts) for d in self.store.documents.values())
        scale = np.log(max(total, 2))
        self.rarity = {w: 1.0 - np.log(c) / scale for w, c in counts.items()}

    def _vectors(self, lines: list[Line]) -> np.ndarray:
        missing = [ln for ln in lines if (ln.file, ln.number) not in self.cache]
        if missing:
            vecs = self.embedder.embed_batch([ln.text for ln in missing])
            for ln, v in zip(missing, vecs, strict=True):
                self.cache[(ln.file, ln.number)] = v
        return np.vstack([self.cache[(ln.file, ln.number)] for ln in lines])

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question that no article mentions ("Odesa", "Patriot"): the articles
        cannot say anything about them. Demonyms and short abbreviations are not names here
        ("English meaning", "UK institution", "state TV")."""
        tokens = re.findall(r"[^\W\d_][\w’'-]*", question)
        return [
            t
            for t in tokens[1:]  # the first word is capitalised anyway
            if t[0].isupper()
            and t.lower() not in STOPWORDS  # "ok. Which firm ...?": a sentence's first word
            and not DEMONYM.match(t)
            and not (t.isupper() and len(t) <= 3)  # abbreviations are spelt many ways
            and not set(words(t)) & self.rarity.keys()
        ]

    def fit(self, phrase: str, texts: list[str]) -> list[float]:
        """Cosine similarity of each text to the phrase ("Bournemouth University" is closer to
        "UK institution" than "Master" is)."""
        vectors = self.embedder.embed_batch([phrase, *texts])
        return [float(v @ vectors[0]) for v in vectors[1:]]

    def rank_lines(
        self, question: str, passages: list[Passage], vector: np.ndarray | None = None
    ) -> list[Line]:
        """Every non-blank line of the passages, best first: closeness in meaning to `vector` (the
        searched question's embedding, a rewritten follow-up's included; the question's own when
        None), share of the question's own words present."""
        lines, seen = [], set()
        for rank, p in enumerate(passages):
            doc = self.store.documents[p.file]
            for n in range(p.start_line, p.end_line + 1):
                text = doc.lines[n - 1]
                if text.strip() and not boilerplate(text) and (p.file, n) not in seen:
                    seen.add((p.file, n))
                    lines.append(Line(p.file, n, text, rank))
        if not lines:
            return []
        q = self.embedder.embed_batch([question])[0] if vector is None else vector
        dense = self._vectors(lines) @ q
        asked = content_words(question)
        for ln, d in zip(lines, dense, strict=True):
            ln.dense = float(d)
            ln.coverage = len(asked & content_words(ln.text)) / max(len(asked), 1)
        return sorted(lines, key=lambda ln: ln.score, reverse=True)
