"""What the model wrote, made into the answer a person reads: the first line without labels or a
restated question, a paragraph cut to the sentences a model reads, and the tests a reply must
pass (not a "not stated", not only the question's own words)."""

from __future__ import annotations

import re

from qa.cite import LONG_LINE
from qa.text import content_words, sentences

NOT_STATED = re.compile(
    r"^\W*(not (stated|mentioned|specified|given|known|provided|available|clear|reported)|unknown"
    r"|none|n/?a|no answer|no information|nothing|the (lines|articles|passages) do not)",
    re.IGNORECASE,
)


COPULA = re.compile(r"\b(?:is|was|are|were|of|as|by|in|to)\s+", re.IGNORECASE)


# "X or Y?": the answer is one of the question's own words
ALTERNATIVES = re.compile(r"\b(?:or|whether|either)\b", re.IGNORECASE)


def novelty(text: str, question: str) -> float:
    """Share of the reply's content words that the question does not hold (1.0 for none)."""
    said = content_words(text)
    return round(len(said - content_words(question)) / len(said), 4) if said else 1.0


def drop_echo(text: str, question: str) -> str:
    """Cut a restated question off the front of a reply: 'The mayor of Kyiv is X' -> 'X'."""
    asked = content_words(question) | {"answer", "article", "articles"}
    best = text
    for match in COPULA.finditer(text):
        head, tail = text[: match.start()], text[match.end() :]
        head_words = content_words(head)
        if head_words and head_words <= asked and content_words(tail) - asked:
            best = tail.strip()  # the longest echoed head wins
    return best


def excerpt(text: str, question: str, most: int = 2) -> str:
    """A line as the model reads it: a long one cut to its `most` sentences that share the most
    words with the question, in their order, joined by an ellipsis."""
    text = text.strip()
    if len(text) <= 2 * LONG_LINE:
        return text
    asked = content_words(question)
    spans = sentences(text)
    ranked = sorted(spans, key=lambda ab: -len(asked & content_words(text[ab[0] : ab[1]])))
    return " … ".join(text[a:b] for a, b in sorted(ranked[:most]))


def clean(raw: str, question: str = "") -> str:
    """The reply a person reads: first line, no label or echo, no trailing punctuation."""
    text = raw.strip().splitlines()[0] if raw.strip() else ""
    text = text.lstrip("-*• ").strip()
    text = re.sub(
        r"^(?:the )?(short answer|answer is|answer)\s*:?\s*", "", text, flags=re.IGNORECASE
    )
    text = re.sub(r"\[\d+\]", "", text)
    text = drop_echo(text, question) if question else text
    return text.strip().strip("\"'“”").rstrip(" .;,").strip()
