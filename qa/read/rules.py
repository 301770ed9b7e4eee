"""The span rules: guess the answer type from the question, pull typed spans out of the lines.

All of it is general English: no rule names an article, a question or a gold answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.read.lines import Line
from qa.text import CURRENCY, DEMONYM, STOPWORDS, content_words, words

NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "twenty|thirty|forty|fifty|sixty|hundred|thousand|dozens|hundreds|thousands"
)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
# a unit after a number: a sign, "per cent", or a short lower-case abbreviation (km, kg, mph,
# km2, bn, m) that is not an English function word ("in", "to", "of")
ABBREVIATION = r"(?!(?:{stop})\b)[a-z]{{1,3}}\d?\b"
UNIT = rf"(?:\s?%|\s?per ?cent\b|\s?{ABBREVIATION}(?:\s{ABBREVIATION})?)"
NUMBER = re.compile(
    rf"(?<![\w.])(?:[{CURRENCY}]\s?)?(?:\d+(?:[.,]\d+)*{UNIT.format(stop='|'.join(STOPWORDS))}?|"
    rf"(?:{NUMBER_WORDS})\b|(?:{NUMBER_WORDS.upper()})\b)"
    r"(?!\w)"
)
DATE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{MONTHS})(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?\b|"
    rf"\b(?:1[89]|20)\d{{2}}\b|\b(?:{WEEKDAYS})\b|"
    r"\b(?:last|this|next) (?:week|month|year|summer|winter|spring|autumn)\b|\bmid-\w+"
)
# "from May 25 to June 1": the answer to "which dates", "what period"
DATE_RANGE = re.compile(
    rf"\b(?:from|between) (?:{DATE.pattern}) (?:to|and|until|through) (?:{DATE.pattern})"
)
RANGE_ASKED = re.compile(r"\b(?:dates|days|period|between|how long)\b", re.I)
LOWER_LINKS = {"of", "for", "the", "de", "von", "al", "and"}
NOT_NAMES = {
    "The", "A", "An", "In", "On", "At", "But", "And", "Or", "As", "According", "After", "Before",
    "Meanwhile", "However", "If", "It", "This", "That", "These", "Those", "He", "She", "They",
    "We", "Our", "His", "Her", "Their", "There", "When", "While", "With", "Without", "For", "From",
    "Some", "Another", "Other", "Last", "Since", "To", "By", "Of", "Its",
}  # fmt: skip
PERSON_NOUNS = (
    "person|official|minister|leader|spokes(?:person|man|woman)|reporter|general|president|mayor|"
    "governor|chief|head|chair(?:person|man|woman)?|director"
)
PLACE_NOUNS = "city|town|village|region|country|province|settlement|river|place|capital"
# kinds of named things in general; no kind that only these articles name
PROPER_NOUNS = (
    "organi[sz]ation|agency|institution|university|institute|group|company|newspaper|name"
)
# ", which remains ...": a relative clause (a verb follows), not a question ("..., which side")
RELATIVE = r"(?<=, which) (?:is|was|are|were|has|have|had|can|could|will|would|\w+ed|\w+s)\b"
AUX = "do|does|did|is|was|are|were|has|have|had|will|would|can|could|should|may|might"
# "which Ukrainian region", "what research group"; not "what did Kyiv mayor ..."
ASKED = rf"\b(?:what|which) (?:(?!(?:{AUX})\b)\w+ ){{0,3}}?"
QUESTION_TYPES = [
    ("number", re.compile(r"\bhow (many|much)\b|\bwhat (number|percentage|share|amount)\b", re.I)),
    ("often", re.compile(r"\bhow often\b", re.I)),
    ("meaning", re.compile(r"\bmean(s|ing)?\b|\bstands? for\b|\btranslat", re.I)),
    ("date", re.compile(r"\bwhen\b|\b(what|which) (year|month|day|date|weekday)s?\b|\bwhat time\b",
                        re.I)),
    ("name", re.compile(rf"\bwho(m|se)?\b|{ASKED}(?:{PERSON_NOUNS})\b", re.I)),
    ("place", re.compile(rf"\bwhere\b|{ASKED}(?:{PLACE_NOUNS})\b", re.I)),
    ("proper", re.compile(rf"{ASKED}(?:{PROPER_NOUNS})\b|\bwhich\b(?!{RELATIVE})", re.I)),
]  # fmt: skip
OFTEN = re.compile(
    rf"\b(?:once|twice|(?:{NUMBER_WORDS}|\d+|several|many) times)"
    r"(?: (?:a|an|per|each|every) (?:day|week|month|year|hour|night))?\b",
    re.I,
)
COUNTED = re.compile(
    r"\bhow (?:many|much) ((?:[\w-]+ ){0,3}[\w-]+)", re.I
)  # "how many ... missiles"
COUNTS = ("number", "often")  # kinds whose answer may share words with the question
TYPE_WORD = re.compile(rf"^(?:{PERSON_NOUNS}|{PLACE_NOUNS}|{PROPER_NOUNS})$", re.I)
GLOSS = re.compile(r"[“\"(]([^“”\"()]{1,40}?)[”\")]")
CALENDAR = re.compile(rf"(?:{MONTHS}|{WEEKDAYS})(?:\s+\d+)?")
TYPE_NOUN = re.compile(
    rf"{ASKED}({PERSON_NOUNS}|{PLACE_NOUNS}|{PROPER_NOUNS})\b|\b(?:what|which)\s+(\w+)", re.I
)
AUXILIARIES = set(AUX.split("|"))
TYPE_PHRASE = re.compile(
    rf"\b(?:what|which)\s+(?:(?:type|kind|sort)\s+of\s+)?"
    rf"((?:\w+\s+){{0,2}}?(?:{PERSON_NOUNS}|{PLACE_NOUNS}|{PROPER_NOUNS})\b|[\w\s’'-]+)",
    re.I,
)
PHRASE_ENDS = AUXILIARIES | {"of", "in", "on", "at", "to", "for", "from", "by", "with", "about"}
ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
COMPASS = r"(?:(?:north|south)-?(?:east|west)?|east|west)"
# "just southwest of Bakhmut", "a small sector in the southwest"
DIRECTION = re.compile(rf"\b{COMPASS}\b(?= of\b)|(?<=\bin the ){COMPASS}\b(?!\w)", re.I)
# "KYIV, July 7 (Reuters) -": where the story was filed, not news
DATELINE = re.compile(r"^[^.()]{0,60}\([A-Za-z .]{2,30}\)\s*[-–—]")
WHERE_IN = re.compile(r"\bwhich (?:part|district|sector|neighbou?rhood|quarter)\b", re.I)
FIT_WEIGHT = 1.0  # on dev 0.5 changed nothing, 1.0 fixed two which-questions (see the README)


def variant(a: str, b: str) -> bool:
    """Two spellings of one word: five letters or more, one letter changed, added or dropped
    (defence/defense, colour/color, organise/organize)."""
    if a == b or min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def answer_type(question: str) -> str:
    """number, date, name, place, proper, or other: the question word that comes first decides
    ("which side … when it comes to" asks for a side, not a date)."""
    found = []
    for order, (name, pattern) in enumerate(QUESTION_TYPES):
        match = pattern.search(question)
        if match:
            found.append((match.start(), order, name))
    return min(found)[2] if found else "other"


@dataclass
class Span:
    """A candidate answer inside one line."""

    text: str
    line: Line
    start: int
    score: float = 0.0
    kind: str = ""
    fit: float | None = None  # likeness to the kind of thing asked for, if the question names one


def capitalised_runs(text: str) -> list[tuple[int, str]]:
    """(offset, text) of runs of capitalised words, linked by of/for/the inside a run."""
    runs = []
    tokens = list(re.finditer(r"[\w’'-]+", text))
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        if (word[0].isupper() or ORDINAL.match(word)) and word not in NOT_NAMES:
            j = i + 1
            while j < len(tokens):
                nxt = tokens[j].group()
                gap = text[tokens[j - 1].end() : tokens[j].start()]
                if gap.strip() not in ("", "-"):
                    break
                if nxt[0].isupper():
                    j += 1
                    continue
                k = j  # "Institute for the Study of War": links may come in a row
                while k < len(tokens) and tokens[k].group() in LOWER_LINKS:
                    k += 1
                if k > j and k < len(tokens) and tokens[k].group()[0].isupper():
                    j = k + 1
                else:
                    break
            start, end = tokens[i].start(), tokens[j - 1].end()
            runs.append((start, text[start:end]))
            i = j
        else:
            i += 1
    return runs


def spans(kind: str, line: Line, where: bool = False, ranged: bool = False) -> list[Span]:
    """Candidate spans of the wanted type in one line."""
    text = line.text
    found: list[tuple[int, str]] = []
    if kind == "number":
        found = [(m.start(), m.group()) for m in NUMBER.finditer(text)]
    elif kind == "often":
        found = [(m.start(), m.group()) for m in OFTEN.finditer(text)]
    elif kind == "date":
        found = [(m.start(), m.group()) for m in DATE.finditer(text)]
        if ranged:
            found = [(m.start(), m.group()) for m in DATE_RANGE.finditer(text)] or found
    elif kind == "meaning":  # Kinzhal (“dagger” in Russian): a gloss in quotes or parentheses
        found = [(m.start(1), m.group(1)) for m in GLOSS.finditer(text)]
    elif kind in ("name", "place", "proper"):
        found = [(o, t) for o, t in capitalised_runs(text) if not CALENDAR.fullmatch(t)]
        if kind in ("place", "proper") and where:  # "just southwest of Bakhmut"
            found += [(m.start(), m.group()) for m in DIRECTION.finditer(text)]
    out = []
    for start, t in found:
        t = re.sub(r"(['’]s?)$", "", t.strip())
        if t:
            out.append(Span(t, line, start, kind=kind))
    return out


def closeness(span: Span, question: str) -> float:
    """How near the span sits to the question's words in its line (1 = adjacent)."""
    asked = content_words(question)
    tokens = [(m.start(), w) for m in re.finditer(r"\S+", span.line.text) for w in words(m.group())]
    hits = [pos for pos, w in tokens if w in asked]
    if not hits:
        return 0.0
    where = sum(1 for pos, _ in tokens if pos < span.start)
    index = [i for i, (pos, w) in enumerate(tokens) if w in asked]
    gap = min(abs(i - where) for i in index)
    return 1.0 / (1.0 + gap / 3)


def type_phrase(question: str) -> str:
    """What a which/what question asks for: "which research organization" -> "research
    organization"; "" when it names no kind of thing ("what do ...")."""
    match = TYPE_PHRASE.search(question)
    if not match:
        return ""
    kept = []
    for word in re.sub(r"['’]s\b", "", match.group(1)).split()[:3]:  # "think tank's"
        if word.lower() in PHRASE_ENDS or word.lower().endswith("ed"):
            break  # "which side has", "which newswire admitted"
        if not DEMONYM.match(word):  # "Russian province" asks for a province
            kept.append(word)
    return " ".join(kept)


Fit = Callable[[str, list[str]], list[float]]


def best_spans(
    kind: str,
    question: str,
    lines: list[Line],
    rarity: dict[str, float],
    top: int = 3,
    fit: Fit | None = None,
) -> list[Span]:
    """Typed spans of the best lines that add something to the question, best first. `fit`
    scores how well each span is the kind of thing asked for (see type_phrase)."""
    asked = content_words(question)
    noun = TYPE_NOUN.search(question)
    noun = (noun.group(1) or noun.group(2)).lower() if noun else ""
    counted = COUNTED.search(question)
    counted = (
        {w for w in words(counted.group(1)) if w not in AUXILIARIES and w in content_words(w)}
        if counted
        else set()
    )
    ranged = bool(RANGE_ASKED.search(question))
    where = bool(
        re.match(r"^(?:(?!\b(?:what|which|who)\b).)*\bwhere\b", question, re.I)
        or WHERE_IN.search(question)  # "which part of Bakhmut": "in the southwest" answers
    )
    month = re.search(r"\bmonth\b", question, re.I)
    year = re.search(r"\byear\b", question, re.I)
    out = []
    for li, line in enumerate(lines[:top]):
        for span in spans(kind, line, where, ranged):
            new = (set(words(span.text)) if kind == "date" else content_words(span.text)) - asked
            new = {w for w in new if not any(variant(w, a) for a in asked)}  # defense/defence
            if kind == "name" and TYPE_WORD.match(span.text.split()[-1]):
                continue  # "Deputy Defense Minister", "Dnipro River": a title or place, not a name
            shared = content_words(span.text) & asked - {noun}
            if not new or (kind not in COUNTS and shared and noun not in words(span.text)):
                continue  # the question's own words are not its answer
            if (
                month
                and not re.search(MONTHS, span.text)
                or year
                and not re.search(r"\d{4}", span.text)
            ):
                continue
            rare = max(rarity.get(w, 1.0) for w in new)
            score = line.score + 0.6 * closeness(span, question) - 0.15 * li + 0.6 * rare
            if counted and counted & set(words(line.text[span.start :])[1:3]):
                score += 0.3  # "six Kinzhal missiles" for "how many missiles"
            if kind not in COUNTS and " " not in span.text and DEMONYM.match(span.text):
                score -= 0.5  # "Ukrainian" is seldom the answer to which/who
            if noun and noun in words(span.text):
                score += 0.5  # "which river" -> "Dnipro River"
            dateline = DATELINE.match(line.text)
            if dateline and span.start < dateline.end():
                score -= 0.5
            aside = line.text[: span.start].count("(") > line.text[: span.start].count(")")
            if aside and kind != "meaning":
                score -= 0.3  # an aside in parentheses: a conversion or a source
            if kind == "name" and " " in span.text:
                score += 0.1  # a person is usually named in full
            span.score = score
            out.append(span)
    phrase = type_phrase(question)
    if fit and phrase and out and kind != "name":  # a role ("deputy minister") is unlike a name
        for span, similarity in zip(out, fit(phrase, [s.text for s in out]), strict=True):
            span.fit = similarity
            span.score += FIT_WEIGHT * similarity
    return sorted(out, key=lambda s: s.score, reverse=True)
