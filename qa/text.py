"""Words and sentences of English text, with character offsets. Imports nothing of qa."""

from __future__ import annotations

import re

WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or but not no is are was were be been being
    has have had do does did it its this that these those there their they them he she his her
    as into about after before over under than then so such which who whom whose what when where
    why how will would can could should may might must shall also any all some more most other
    said says say according i we you our us your my me one just very up down out off many much
    """.split()
)
NUMBERS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "forty": "40", "first": "1st", "second": "2nd", "third": "3rd", "eighth": "8th",
}  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens, number words mapped to digits."""
    out = []
    for token in WORD.findall(text.lower()):
        token = token.replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        out.append(NUMBERS.get(token, token))
    return out


def content_words(text: str) -> set[str]:
    """Words that carry meaning: no stopwords."""
    return {w for w in words(text) if w not in STOPWORDS}


# a sentence ends at . ! or ? (a closing quote or bracket may follow) before a space and a capital,
# digit or opening quote; "Mr. Smith" and "U.S. officials" split wrongly, which costs a longer quote
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]?\s+(?=[\"“‘(\[]?[A-Z0-9])")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each sentence of text, blanks trimmed."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.start() + len(m.group().rstrip())))  # the closing quote stays
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


# "Ukrainian", "British", "Japanese", "Korean"; not "Iran", "Japan", "Ivan", "Susan"
DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ian|ish|ese|ean)s?$")
