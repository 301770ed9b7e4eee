"""Questions that ask two things: "How many X according to the union, and according to the
company?", "How did the cost estimate change between the first figure and the revised one?".

One reading answers one thing, from one line; two answers usually stand in two lines, often in
two articles. So a two-part question is asked as a conversation of two turns: the first part as a
question of its own, then the second as its follow-up ("And according to the company?"), which
the follow-up resolver makes stand alone with the first answer in hand. The rules are English
syntax (a coordinated question, a question about a change between two times), not words of any
article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from qa.answer import Answer, Timings
from qa.followup import Conversation
from qa.mentions import AUXILIARY, MONTHS, PREPOSITIONS, TIME_NOUNS, TOKEN, WEEKDAYS, WH, capital
from qa.text import CURRENCY

# one question answered: (question, the question to search with or None, answers to ask past)
AskOne = Callable[[str, str | None, Sequence[str]], Answer]

WH_WORDS = "|".join(sorted(WH))
# a second question coordinated with the first: ", and how many ...", " and who ..." (lower
# case: "WHO", "What Works" are names); after a comma, ", and according to the company", ", and
# by March 20" repeat the first question about something else
SECOND_WH = re.compile(rf"(?:[,;]\s*|\s+)and\s+(?=(?:{WH_WORDS})\b)")
SECOND_PHRASE = re.compile(rf",\s*and\s+(?=(?:according\s+to|{'|'.join(sorted(PREPOSITIONS))})\s)")
# "How many workers did the union say were on strike, compared with the port authority's figure?"
COMPARED = re.compile(r",?\s+compared\s+(?:with|to)\s+(?=\S)", re.IGNORECASE)
COMPARATIVES = {"more", "less", "fewer", "higher", "lower", "bigger", "smaller", "better", "worse",
                "than"}  # fmt: skip
COUNTING = re.compile(r"^how\s+(?:many|much)\b", re.IGNORECASE)
# verbs of a figure going up or down ("change" is added where they are used)
MOVES = (
    "grow|grown|rise|risen|fall|fallen|drop|dropped|increase|increased|decrease|decreased|shrink|"
    "shrunk|climb|climbed|go up|gone up|go down|gone down"
)
# "How did the number of cancelled flights grow from the first announcement to the final tally?"
# "How did the turnout figure change after the recount?"
# ("By how much did X rise ...?" asks for one amount, which a line may state: not split)
CHANGE = re.compile(
    rf"^how\s+(?:{AUXILIARY})\s+(?P<what>.+?)\s+"
    rf"(?:change|changed|{MOVES})\b\s*(?P<when>.*)$",
    re.IGNORECASE,
)
BETWEEN = re.compile(r"^(?:between|from)\s+(?P<a>.+?)\s+(?:and|to)\s+(?P<b>.+)$", re.IGNORECASE)
# ("since January" runs from January to now: no reading before it is asked for)
AFTER = re.compile(r"^(?P<where>.*?)\b(?:after|following)\s+(?P<event>.+)$", re.IGNORECASE)
# "What was the price of oil before and after the attack?"
BEFORE_AFTER = re.compile(r"^(?P<head>.+?)\s+before\s+and\s+after\s+(?P<event>.+)$", re.IGNORECASE)
DATE_START = re.compile(rf"^(?:\d|(?:{'|'.join([*MONTHS, *WEEKDAYS])})\b)", re.IGNORECASE)
# words that place a reading in time: "its first figure", "the final tally", "the recount"
SEQUENCE = {"first", "initial", "original", "earlier", "previous", "last", "latest", "final",
            "revised", "new", "later", "recount", "current"} | TIME_NOUNS  # fmt: skip
# a change is two readings of a figure: the thing that changed is counted or measured
MEASURES = set(
    "number figure figures total count tally toll price prices cost costs rate share level amount "
    "estimate forecast turnout budget bill value size score sum percentage proportion population "
    "majority lead debt deficit income revenue profit loss wage wages salary fee fare offer pay "
    "margin attendance capacity"
    .split()
)  # fmt: skip
# a figure given in the question ("rise from £10.42 to £11.44") is no time to read at
FIGURE = re.compile(
    rf"^[{CURRENCY}]?\d[\d,.\-–]*(?:\s*(?:%|per\s*cent|percent|[a-z]+))?$", re.IGNORECASE
)
TITLES = set("mr mrs ms dr st jr sr gen col lt sgt rev prof gov sen rep capt maj no vs".split())
ORDINALS = set(
    "first second third fourth fifth sixth seventh eighth ninth tenth last final".split()
)
YEAR = re.compile(r"^(?:19|20)\d\d\b")


@dataclass
class Compound:
    """A question that asks two things: the first part stands alone; the second is its
    follow-up when `follows`, else a question of its own. `change` asks how one thing moved
    from the first answer to the second ("from 62 to 268"); otherwise both are asked for."""

    first: str
    second: str
    follows: bool = True
    change: bool = False

    def join(self, first: str, second: str) -> str:
        """The two answers as one: "from 62 to 268", "24 and 31"."""
        return f"from {first} to {second}" if self.change else f"{first} and {second}"


def split(question: str) -> Compound | None:
    """The two questions a question asks, or None when it asks one thing."""
    text = " ".join(question.split()).rstrip("?.! ")
    if not text:
        return None
    # two sentences that are both questions: "How many died? And how many were hurt?"; a full
    # stop after a title or an initial ("Mrs. May", "U.S.") ends no sentence
    for mark in ("? ", ". "):
        first, found, second = text.partition(mark)
        asked = re.sub(r"^(?:and|but)\s+", "", second, flags=re.IGNORECASE)
        last = first.split()[-1] if first.split() else ""
        sentence = second[:1].isupper() and not abbreviation(last)
        if found and (mark == "? " or sentence) and asks(first) and asks(asked):
            if len(asked.split()) > 1 and "?" not in second and ". " not in second:
                if len(first.split()) > 2:
                    return Compound(f"{first}?", f"{second}?")
    change = CHANGE.match(text)
    parts = change and changed(change.group("what"), change.group("when"))
    if parts:
        return parts
    both = BEFORE_AFTER.match(text)
    if both:
        head, event = both.group("head"), both.group("event")
        if asks(head) and measured(head) and "," not in event:
            return Compound(f"{capital(head)} before {event}?", f"{capital(head)} after {event}?",
                            False, True)  # fmt: skip
        return None
    for pattern in (SECOND_WH, SECOND_PHRASE, COMPARED):
        cut = last_match(pattern, text)
        if cut is None:
            continue
        head, tail = text[: cut.start()].strip(" ,;-–—"), text[cut.end() :].strip(" ,")
        if coordinated(head, tail, pattern, cut.group()):
            # a question of its own ("who is the governor ...?") needs no "And", which would
            # make the resolver add the first part's names; a phrase does ("And by March 20?")
            second = capital(tail) if pattern is SECOND_WH else f"And {tail}"
            return Compound(f"{capital(head)}?", f"{second}?")
        return None
    return None


def coordinated(head: str, tail: str, pattern: re.Pattern, joint: str) -> bool:
    """A cut that leaves two questions: the head asks one ("After the storm ..., and when"
    does not), the tail is one clause (no comma: "in particular child poverty, and crime"), no
    third part follows, and the "and" joins questions, not the ends of a list ("before,
    during, and after the trial"), of a "between" ("between the call and when ...") or of two
    relative clauses ("the boy who was hit ..., and who later died")."""
    comma = joint.strip()[:1] in (",", ";")
    if not asks(head) or not tail or "," in tail or len(head.split()) < (3 if comma else 4):
        return False  # "At what time and where ...": one question
    if SECOND_WH.search(head) or SECOND_PHRASE.search(head):
        return False  # three parts or more: left whole
    if re.search(r"\bbetween\b(?!.*\band\b)", head, re.IGNORECASE):
        return False
    if head.split()[-1].lower() in WH:
        return False  # "say about when and how the money is spent": one embedded question
    if pattern is COMPARED:  # a count against another's: "how many ..., compared with Sweden"
        said = {w.lower() for w in head.split()}
        # another named one ("Sweden", "February", "the port authority's figure"), not a
        # benchmark ("expectations", "its target", "what the polls predicted")
        other = tail[0].isupper() or re.search(r"\w['’]s?\b", tail) is not None
        return bool(COUNTING.match(head)) and not said & COMPARATIVES and other
    if len(tail.split()) < 2:
        return False  # "and why?": no short answer of its own
    asking = bool(set(tail.lower().split()[1:3]) & WH)  # ", and by how much?"
    if pattern is SECOND_PHRASE and not asking:  # "by March 20" replaces the first's "by March 11"
        opening = "according" if tail.lower().startswith("according") else tail.split()[0].lower()
        said = {w.lower() for w in head.split()}
        return "," not in head and opening in said  # not a list ("in Leeds, in Hull, and in ...")
    if re.fullmatch(AUXILIARY, head.split()[0].lower()):
        return False  # "Did they say who knew and when they knew it?": one yes-or-no question
    wh = tail.split()[0].lower()
    later = [w.lower() for w in TOKEN.findall(head)[1:]]
    if wh in later:
        return False  # "the boy who was hit ..., and who later died": relative clauses
    last = head.rsplit(",", 1)[-1].split() if "," in head else head.split()
    return len(last) > 2


def measured(text: str) -> bool:
    """The text names a figure: a measure noun, or asks how many or how much."""
    said = {w.lower() for w in TOKEN.findall(text)}
    return bool(said & MEASURES) or bool(COUNTING.match(text))


def changed(what: str, when: str) -> Compound | None:
    """A change of a figure asked about as two readings of it: between two times, or before
    and after an event. The figure is a measure ("the cost", "the number of ..."), or, between
    two times, the times are times ("between March and May"). Not a change with no times ("How
    did the cost change?"), of a thing that is no figure ("How has the town changed since ...",
    "How did the fire move from the kitchen to the roof"), between two figures the question
    gives ("from £10.42 to £11.44"), or inside a clause ("drivers react when prices rose")."""
    what, when = what.strip(), when.strip()
    said = {w.lower() for w in TOKEN.findall(what)}
    if said & {"when", "where", "while", "as", "if", "because", "and", "or"} or "," in when:
        return None
    between = BETWEEN.match(when)
    if between:
        a, b = between.group("a"), between.group("b")
        if " and " in b or any(FIGURE.match(t) and not timely(t) for t in (a, b)):
            return None  # "between 2019 and 2024 in Scotland and Wales": whose is the place?
        if ordinal(a.split()[-1]) and len(b.split()) > 1 and ordinal(b.split()[0]):
            return None  # "between the 2011 and 2021 censuses", "the first and second waves"
        if shares(a, b):
            return None  # "the start and end of the year", "Monday's and Tuesday's reports"
        if not (measured(what) or all(timely(t) for t in (a, b))):
            return None
        if b.lower().endswith(" one") and len(a.split()) > 1:  # "its first figure ... revised one"
            b = f"{b[:-4]} {a.split()[-1]}"
        return Compound(f"What was {what} {at(a)}?", f"What was {what} {at(b)}?", False, True)
    after = AFTER.match(when)
    if after and measured(what):
        where, event = after.group("where").strip(), after.group("event")
        if set(where.lower().split()) & TIME_NOUNS:
            return None  # "in the month after the invasion" is one span of time
        if where and where.split()[0].lower() not in PREPOSITIONS:
            return None  # "rise so fast after the storm": how, not how much
        what = f"{what} {where}".strip()  # "the number of nurses in Wales since 2015"
        return Compound(
            f"What was {what} before {event}?", f"What was {what} after {event}?", False, True
        )
    return None


def abbreviation(word: str) -> bool:
    """A word a full stop follows without ending a sentence: a title ("Mrs", "Dr"), an initial
    ("J"), an initialism ("U.S")."""
    return word.lower().strip(".") in TITLES or len(word) == 1 or "." in word


def shares(a: str, b: str) -> bool:
    """The two times share words the first leaves to the second ("the start and end of the
    year", "Monday's and Tuesday's reports"), or the second carries a place or a qualifier the
    first may want too ("between January and March in the UK")."""
    if a.endswith(("'s", "’s")) or re.search(r"\s(?:in|at|for|among)\s", b):
        return True
    return len(a.split()) <= 2 and len(b.split()) > len(a.split()) + 1 and " of " in f" {b} "


def ordinal(word: str) -> bool:
    """A number or an ordinal: "2011", "first", "3rd"."""
    return word[:1].isdigit() or word.lower() in ORDINALS


def timely(text: str) -> bool:
    """A phrase that places something in time: a date, a year, "the first estimate"."""
    said = {w.lower() for w in TOKEN.findall(text)}
    return bool(said & SEQUENCE) or bool(YEAR.match(text))


def at(time: str) -> str:
    """A time as a phrase that can follow "What was the figure": "on 4 March", "in the
    recount", "by the end" (a phrase that opens with its own preposition keeps it)."""
    first = time.split()[0].lower()
    if time.lower() in ("now", "today", "then"):
        return time
    if first in PREPOSITIONS or first in {"when", "before", "after", "until"}:
        return time
    if YEAR.match(time):
        return f"in {time}"
    day = DATE_START.match(time) and (re.search(r"\d", time) or time.split()[0].lower() in WEEKDAYS)
    return f"on {time}" if day else f"in {time}"  # "on 4 March", "on Monday", "in March"


def asks(text: str) -> bool:
    """The text opens as a question: a question word or an auxiliary ("Did ...", "Is ..."), or
    a preposition and then a question word ("In which month ...", "By how much ...")."""
    words = text.lower().split()
    if not words:
        return False
    if words[0] in PREPOSITIONS:
        return bool(set(words[1:3]) & WH)
    return words[0] in WH or re.fullmatch(AUXILIARY, words[0]) is not None


def last_match(pattern: re.Pattern, text: str) -> re.Match | None:
    """The last place a pattern matches (the second part is the last coordinated one)."""
    found = list(pattern.finditer(text))
    return found[-1] if found else None


def answer_in_parts(
    ask: AskOne, question: str, parts: Compound, stopped: Callable[[], bool] = lambda: False
) -> tuple[Answer | None, list]:
    """Both parts answered and joined into one Answer, or None when either part finds nothing
    or both find the same thing (then the whole question is read as one) or the asker stopped
    after the first; and the part Answers, whose time counts either way."""
    first = ask(parts.first, None, ())
    if first.abstained or stopped():
        return None, [first]
    if parts.follows:  # "And according to the company?": resolved with the first answer in hand
        conversation = Conversation()
        conversation.remember(first)
        searched, past = conversation.resolve(parts.second), conversation.not_again
    else:  # a change: the same thing at another time, so not the first figure again
        searched, past = parts.second, [first.answer]
    second = ask(parts.second, searched, past)
    if second.abstained or second.answer.lower() == first.answer.lower():
        return None, [first, second]
    return joined(question, parts, first, second), [first, second]


def joined(question: str, parts: Compound, first: Answer, second: Answer) -> Answer:
    """One Answer from two: the answers joined, every citation, the weaker of each signal."""
    both = (first, second)
    cited = {(c.file, c.start_line, c.end_line, c.start_char): c for a in both for c in a.citations}
    retrieved, seen = [], set()
    for pair in zip_longest(first.retrieved, second.retrieved):  # each part's best ones first
        for p in pair:
            if p is not None and (p.id or (p.file, p.start_line)) not in seen:
                seen.add(p.id or (p.file, p.start_line))
                retrieved.append(p)
    names = {k for a in both for k in a.signals}  # each the weaker part's, where both have it
    signals = {k: min(a.signals[k] for a in both if k in a.signals) for k in sorted(names)}
    return first.model_copy(
        update={
            "question": question,
            "answer": parts.join(first.answer, second.answer),
            "raw_answer": f"{first.raw_answer} | {second.raw_answer}",
            "citations": list(cited.values()),
            "retrieved": retrieved,
            "signals": signals,
            "timings_ms": added(a.timings_ms for a in both),
            "prompt_tokens": first.prompt_tokens + second.prompt_tokens,
            "completion_tokens": first.completion_tokens + second.completion_tokens,
            "stale": first.stale or second.stale,
            "answered_by": "model"
            if "model" in (first.answered_by, second.answered_by)
            else first.answered_by,
            "search_question": "",
            "parts": [a.search_question or a.question for a in both],
        }
    )


def added(timings: Iterable[Timings]) -> Timings:
    """Stage times of readings made one after the other, added up."""
    total = Timings()
    for t in timings:
        for name in Timings.model_fields:
            setattr(total, name, round(getattr(total, name) + getattr(t, name), 1))
    return total
