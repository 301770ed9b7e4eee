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

from qa.answer import Answer, Timings
from qa.followup import Conversation
from qa.mentions import AUXILIARY, MONTHS, PREPOSITIONS, WEEKDAYS, WH

# one question answered: (question, the question to search with or None, answers to ask past)
AskOne = Callable[[str, str | None, Sequence[str]], Answer]

# a second question coordinated with the first: ", and how many ...", " and who ..."; a phrase
# that repeats the first question about something else needs the comma (", and according to
# the company", ", and by March 20"): "between the start and 19 March" is one question
SECOND_WH = re.compile(rf"(?:,\s*|\s+)and\s+(?=(?:{'|'.join(sorted(WH))})\b)", re.IGNORECASE)
SECOND_PHRASE = re.compile(
    rf",\s*and\s+(?=(?:according\s+to|{'|'.join(sorted(PREPOSITIONS))})\s)", re.IGNORECASE
)
# "..., compared with the port authority's figure?"
COMPARED = re.compile(r",?\s+(?:compared\s+(?:with|to)|as\s+against|versus|vs\.?)\s+(?=\S)",
                      re.IGNORECASE)  # fmt: skip
CHANGE_VERBS = (
    "change|changed|grow|grown|rise|risen|fall|fallen|drop|dropped|increase|increased|decrease|"
    "decreased|shrink|shrunk|climb|climbed|move|moved|evolve|evolved|go up|gone up|go down|"
    "gone down|develop|developed"
)
# "How did the number of cancelled flights grow from the first announcement to the final tally?"
# "How has the turnout figure changed since the recount?"
CHANGE = re.compile(
    rf"^(?:by\s+)?how\s+(?:much\s+|far\s+)?(?:{AUXILIARY})\s+(?P<what>.+?)\s+"
    rf"(?:{CHANGE_VERBS})\b\s*(?P<when>.*?)[\s?.!]*$",
    re.IGNORECASE,
)
BETWEEN = re.compile(r"^(?:between|from)\s+(?P<a>.+?)\s+(?:and|to)\s+(?P<b>.+)$", re.IGNORECASE)
AFTER = re.compile(r"^(?P<prep>after|since|following)\s+(?P<event>.+)$", re.IGNORECASE)
DATE_START = re.compile(rf"^(?:\d|(?:{'|'.join([*MONTHS, *WEEKDAYS])})\b)", re.IGNORECASE)


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
    change = CHANGE.match(text)
    if change:
        return changed(change.group("what"), change.group("when"))
    for pattern in (SECOND_WH, SECOND_PHRASE, COMPARED):
        cut = last_match(pattern, text)
        if cut is None:
            continue
        head, tail = text[: cut.start()].strip(" ,"), text[cut.end() :].strip(" ,")
        # "and why?" asks for no short answer of its own: one question
        if len(head.split()) < 3 or len(tail.split()) < 2 or not asks(head):
            continue
        return Compound(f"{capital(head)}?", f"And {tail}?")
    return None


def changed(what: str, when: str) -> Compound | None:
    """A change asked about as two readings of the same thing: between two times, or before
    and after an event; a change with no times ("How did the cost change?") is one question."""
    what = what.strip()
    between = BETWEEN.match(when)
    if between:
        a, b = between.group("a"), between.group("b")
        if b.lower().endswith(" one") and len(a.split()) > 1:  # "its first figure ... revised one"
            b = f"{b[:-4]} {a.split()[-1]}"
        return Compound(f"What was {what} {at(a)}?", f"What was {what} {at(b)}?", False, True)
    after = AFTER.match(when)
    if after:
        event = after.group("event")
        return Compound(
            f"What was {what} before {event}?", f"What was {what} after {event}?", False, True
        )
    return None


def at(time: str) -> str:
    """A time as a phrase that can follow "What was the figure": "on 4 March", "in the
    recount", "by the end" (a phrase that opens with its own preposition keeps it)."""
    first = time.split()[0].lower()
    if first in PREPOSITIONS or first in {"when", "before", "after", "until"}:
        return time
    return f"on {time}" if DATE_START.match(time) else f"in {time}"


def asks(text: str) -> bool:
    """The text opens as a question: a question word or an auxiliary ("Did ...", "Is ...")."""
    first = text.split()[0].lower()
    return first in WH or re.fullmatch(AUXILIARY, first) is not None or first in PREPOSITIONS


def last_match(pattern: re.Pattern, text: str) -> re.Match | None:
    """The last place a pattern matches (the second part is the last coordinated one)."""
    found = list(pattern.finditer(text))
    return found[-1] if found else None


def capital(text: str) -> str:
    """The first letter upper case."""
    return text[:1].upper() + text[1:]


def answer_in_parts(ask: AskOne, question: str, parts: Compound) -> tuple[Answer | None, list]:
    """Both parts answered and joined into one Answer, or None when either part finds nothing
    or both find the same thing (then the whole question is read as one); and the part
    Answers, whose time counts either way."""
    first = ask(parts.first, None, ())
    if first.abstained:
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
    seen = {p.id or (p.file, p.start_line) for p in first.retrieved}
    retrieved = first.retrieved + [
        p for p in second.retrieved if (p.id or (p.file, p.start_line)) not in seen
    ]
    signals = {k: min(a.signals.get(k, v) for a in both) for k, v in first.signals.items()}
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
