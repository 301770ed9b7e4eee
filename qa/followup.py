"""Follow-up questions: resolve "What did he say about it?" into a standalone question.

The conversation is the earlier questions and, for each earlier answer that was not an
abstention, its cited lines (corpus text: the interfaces re-read them from the corpus) and its
answer text, kept only when its words stand in those lines. So nothing the model claimed without
evidence enters retrieval. The rules are general English: pronouns, "and in X?", "what about the
other one?", "the N" naming something said before; a question that leans on nothing stands alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.answer import Answer
from qa.cite import content_words
from qa.mentions import (
    ABOUT,
    ADVERBS,
    ASKING,
    AUX,
    AUXILIARY,
    CONNECTIVE,
    DETERMINERS,
    GROUP,
    IDENTIFY,
    LOCATIVE,
    MONTHS,
    NAME,
    NEW_TOPIC,
    ORGANISATIONS,
    PERSON,
    POLITE,
    POSSESSIVE,
    PREPOSITION,
    PREPOSITIONS,
    SAYING,
    THING,
    TIME_CLAUSE,
    TIME_NOUNS,
    TIME_PHRASE,
    TIME_PREPOSITIONS,
    TOKEN,
    WEEKDAYS,
    WH,
    asked_for,
    asked_plural,
    asks_for_noun,
    capital,
    described,
    existential,
    expand,
    fragment,
    name_like,
    name_near,
    name_phrase,
    names,
    opening_preposition,
    organisation,
    possessive,
    relative,
    sluice,
    subject,
    time_phrase,
    with_topic,
)
from qa.read.rules import PERSON_NOUNS
from qa.store import Store
from qa.text import STOPWORDS

ARTICLES = {"the", "a", "an"}
SUBJECTS = {"he", "she", "it", "they"}  # the pronouns a later turn's same pronoun carries on
MAX_CITED_LINES = 6  # a citation qa makes is one line; a wider range is not one of its own
# nouns that name a kind of place: "the city" is the place an earlier question was set in
PLACES = set("city town village region province district country capital site scene".split())
# "the first time", "the last day": a position in a series, not a thing said before
ORDINALS = {"first", "second", "third", "fourth", "fifth", "last", "next", "latest", "previous"}
# which earlier pronoun a possessive repeats: "he ... his", "she ... her", "they ... their"
REFERENT = {w: k for k, ws in {"m": "he him his himself", "f": "she her hers herself",
            "n": "it its itself", "p": "they them their theirs themselves"}.items()
            for w in ws.split()} | {"there": "there"}  # fmt: skip
# "the union's figure", "the police's estimate": a source's own statement of what was asked
REPORTS = ("figure figures estimate estimates count number numbers tally total version account "
           "view position response reply answer claim forecast").split()  # fmt: skip
SOURCE = re.compile(
    rf"(?P<who>(?:the\s+)?[\w-]+(?:\s+[\w-]+){{0,3}}?)['’]s?\s+"
    rf"(?:own\s+|latest\s+|official\s+)?(?:{'|'.join(REPORTS)})",
    re.IGNORECASE,
)
HAPPENED = re.compile(r"^\s*what\s+(?:has\s+|had\s+|have\s+)?happen(?:ed|s)\s+to\s+"
                      r"(?P<what>[^?.!,;]+)", re.IGNORECASE)  # fmt: skip
# "it" that is the event or a placeholder, not a thing a noun names: "why did it happen?", "is it
# true that ...?", "is it safe to ...", "how long will it take to rebuild?", "what caused it?"
# "how much will it cost the company to comply?": "cost"/"took" with an object before "to" (not
# "how much did it cost to build?", where "it" is the thing built)
EVENT_IT = re.compile(r"\s+(?:happen\w*|true|safe|possible|likely|unlikely|clear|worth|seem\w*|"
                      r"appear\w*|matter\w*|take\w*(?:\s+[\w’'-]+){0,3}\s+to\s+\w+|"
                      r"(?:took|cost\w*)(?:\s+[\w’'-]+){1,3}\s+to\s+\w+)\b",
                      re.IGNORECASE)  # fmt: skip
CAUSING = re.compile(r"\b(?:cause[ds]?|prompt(?:ed|s)?|trigger(?:ed|s)?|spark(?:ed|s)?)\s+$",
                     re.IGNORECASE)  # fmt: skip
# "and according to the union?": the same question, by another source
ACCORDING = re.compile(r"according\s+to\s+(?P<who>[^,?;.!]+?)[\s?.!]*", re.IGNORECASE)
# "and the latest figure?" asks past what "first" asked for: the first is not wanted again
LATER = re.compile(r"\b(?:latest|last|final|new|newest|revised|updated|current|later)\b", re.I)
EARLIER = re.compile(r"(?<!\bthe)\s+(?:first|initially|originally|earlier|at first)\b(?=\s)", re.I)
# who the last question says said it: "did the port authority say", "according to the police"
BE_FORMS = {"is", "was", "are", "were"}
# (a figure is given by whoever estimates, forecasts or counts it as much as by whoever says it)
# ("is the bridge expected to cost" is passive: there the bridge is what is estimated)
GIVING = "|".join(sorted("estimate estimated forecast predict predicted expect expected count "
                         "counted calculate calculated".split()))  # fmt: skip
DOING = "|".join(sorted(AUX - BE_FORMS))
SPEAKER = re.compile(rf"\b(?:(?:{AUXILIARY})\s+(?P<who>(?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+)"
                     rf"{{0,3}}?)\s+(?:{'|'.join(sorted(SAYING))})|(?:{DOING})\s+"
                     rf"(?P<giver>(?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+){{0,3}}?)\s+(?:{GIVING}))\b|"
                     r"\baccording\s+to\s+"
                     rf"(?P<source>[^,?;]+)", re.IGNORECASE)  # fmt: skip
# a lower-case word that may be a noun of a phrase: not a verb of saying, an auxiliary, a
# preposition, or a participle ("discovered", "found")
PARTICIPLES = set("found built held made paid sent spent kept left brought bought caught taught "
                  "sold lost won shot hit cut put set run begun done gone sunk struck fought "
                  "met led fled hurt".split())  # fmt: skip
MODIFIER = rf"(?!(?:{'|'.join(sorted(SAYING | AUX | PREPOSITIONS))})\b)[a-z][\w-]*\b"
NOUN = rf"(?!(?:{'|'.join(sorted(PARTICIPLES))})\b){MODIFIER}(?<!ed)(?<!en)"
# "after the recount" asks about another occasion than the one a question ends with ("in the
# first count", "on election night"): lower-case words only, a named place stays
LATER_PREPOSITIONS = ("after", "before", "during", "since", "until", "by")
OCCASION = re.compile(r"\b(?:in|on|at|after|before|during|since|until|by)\s+(?:the\s+)?"
                      r"(?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*$")  # fmt: skip


VERBAL = ("ed", "ing")  # "was the count held", "is the meeting being held"
# "When was the recount held?", "When did the strike start?": a definite common noun right
# after the question's auxiliary is what the question is about
THE_SUBJECT = re.compile(
    rf"^\s*(?:{'|'.join(sorted(WH))})\b[^?,;]*?\b(?P<aux>{AUXILIARY})\s+"
    r"the\s+(?P<rest>(?-i:[a-z][\w-]*(?:\s+[\w’'-]+)*))",
    re.IGNORECASE,
)
# nouns of people ("the pilot", "the analyst", "the chairman") are never "it"
PERSON_ROLE = re.compile(rf"^(?:{PERSON_NOUNS})$|(?:woman|person|[iy]st)$", re.IGNORECASE)
ROLE = re.compile(rf"{PERSON_ROLE.pattern}|[eo]r$", re.IGNORECASE)  # "the pilot", "the driver"
# "Which analyst said ...?": a lower-case role noun asked for, not an adjective of a name
# ("Which German carmaker") nor of an organisation ("Which nationalist party")
ROLE_ASKED = re.compile(r"^\s*(?i:which|what)\s+(?P<noun>[a-z][\w-]*)(?:\s+(?P<next>[\w-]+))?")
# a time after the verb that no verb could be: a figure, a month or a day ("start on May 4")
DATED = re.compile(rf"\d|\b(?:{'|'.join(MONTHS + WEEKDAYS)})\b|\b(?:last|next|this)\s", re.I)
# "up", "down", "out": a particle after the verb ("the talks broke down") is no object
PARTICLES = {"up", "down", "out", "off", "away", "back", "over", "ahead", "through"}


def common_subject(question: str, cited: list[str] = ()) -> str:
    """'the recount' of 'When was the recount held?', 'the strike' of 'When did the strike
    start?': the definite common noun a question is about, or ''. Only a thing (not a person's
    noun, not a plural) that nothing else in the question could be: after "is/was" the phrase
    runs to its participle or to the end ("How big is the regional budget?"); after "did" or a
    modal the verb follows the phrase (one word, or the longer phrase a cited line says: "the
    rail strike"), and no object may follow the verb ("When did the union call the strike?":
    "it" may be the strike)."""
    m = THE_SUBJECT.match(question)
    if not m:
        return ""
    said = [w.lower() for w in m.group("rest").rstrip("?.! ").split()]
    if said[0] in AUX | PREPOSITIONS | WH | SAYING | ORDINALS | {"same", "other", "one"}:
        return ""
    if m.group("aux").lower() in BE_FORMS:
        ends = [i for i, w in enumerate(said) if i and (w in PARTICIPLES or w.endswith(VERBAL))]
        stops = [i for i, w in enumerate(said) if w in AUX | PREPOSITIONS | SAYING | ADVERBS]
        end = min([*ends, *stops, len(said)])
        taken, after = said[:end], said[end + 1 :] if end in ends else said[end:]
        if end in ends and after and after[0] not in PREPOSITIONS | PARTICLES:
            return ""  # "When was the president sworn in as ..."? an object-like rest
    else:
        lines = " ".join(cited).lower()
        longer = [said[:k] for k in range(min(len(said) - 1, 3), 1, -1)]
        taken = next((w for w in longer if f"the {' '.join(w)} " in lines), said[:1])
        after = " ".join(said[len(taken) + 1 :])  # what follows the verb
        dated = time_phrase(after) and bool(DATED.search(after))  # not "at marrowgate start"
        # "the strike at marrowgate start?": a verb last, after the noun and its place
        placed = placed_noun(m.group("rest").rstrip("?.! ").split()) if after and not dated else []
        if placed:
            taken, after = placed, ""
        if after and not (set(after.split()[:1]) & (PARTICLES | ADVERBS) or dated):
            # an object ("the union call the strike"), a phrase whose verb is not known ("the
            # rail strike start"), a preposition's noun it may be ("the court rule on the
            # appeal"); a particle, an adverb or a time may follow ("the strike start on May 4")
            return ""
    core = next((taken[:i] for i, w in enumerate(taken) if i and w in PREPOSITIONS), taken)
    if not core or len(core) > 3 or ROLE.search(core[-1]):
        return ""
    head = core[-1]
    if head.endswith("s") and not head.endswith(("ss", "us", "is")):
        return ""  # "the ballots" are "they"
    return "the " + " ".join(taken)


# "Who is leading the independent review?", "who chairs the inquiry": a person asked for by what
# they do to one thing, the question's last words
WHO_ACTS = re.compile(r"^\s*who\s+(?:(?:is|was|will|has|had)\s+)?(?P<verb>[a-z]+)\s+"
                      r"the\s+(?P<noun>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})\s*[?.!]*$",
                      re.IGNORECASE)  # fmt: skip


def acted_on(question: str) -> str:
    """'the independent review' of 'Who is leading the independent review?': one thing (not a
    person's noun, nor a plural, nor a phrase with a preposition in it) a who-question asks who
    acts on, or ''."""
    m = WHO_ACTS.match(question)
    said = m.group("noun").lower().split() if m else []
    if not said or m.group("verb").lower() in AUX or set(said) & (PREPOSITIONS | AUX | STOPWORDS):
        return ""
    head = said[-1]
    if ROLE.search(head) or (head.endswith("s") and not head.endswith(("ss", "us", "is"))):
        return ""
    return "the " + " ".join(said)


# "Who is Rhona Gill?": a question that asks what a named person is (the name capitalised)
WHO_IS = re.compile(rf"^\s*(?i:who\s+(?:is|was))\s+(?P<name>{NAME})\s*[?.!]*$")
# "Ashby Cross and Tolland", "Kyiv or Lviv": more than one thing
COORDINATED = re.compile(r"\s(?:and|or|&)\s|,\s")
# "What goodwill payment did ...", "Which fee was ...": the thing a question asks which one of
ASKED_THING = re.compile(rf"^\s*(?:which|what)\s+(?P<noun>(?:[a-z][\w-]*\s+){{1,3}}?)"
                         rf"(?:{AUXILIARY})\b", re.IGNORECASE)  # fmt: skip


def asked_thing(question: str) -> str:
    """'the goodwill payment' of 'What goodwill payment did Lorna Pask announce?': the one thing
    (not a person, not a plural, not 'kind of') a which- or what-question asks for, or ''."""
    m = ASKED_THING.match(question)
    said = m.group("noun").split() if m else []
    if not said or not all(w.islower() for w in said) or set(said) & (PREPOSITIONS | AUX | WH):
        return ""
    head = said[-1]
    if PERSON_ROLE.search(head) or (head.endswith("s") and not head.endswith(("ss", "us", "is"))):
        return ""
    return "the " + " ".join(said)


def placed_noun(words: list[str]) -> list[str]:
    """'dock strike at marrowgate start' (after "When did the"): a noun of up to three words, a
    place or thing it is at or of ("at marrowgate", "of the plant"), then one lower-case word
    last, the verb: the phrase without the verb. Anything else (an object after the verb, "the
    union call the strike"; a longer phrase, "the council of Europe condemn Russia"): []."""
    lower = [w.lower() for w in words]
    if len(words) < 4 or not words[-1].islower():
        return []
    at = next((i for i, w in enumerate(lower[:-1]) if w in PREPOSITIONS), 0)
    rest = lower[at + 1 : -1]
    rest = rest[1:] if rest[:1] == ["the"] else rest
    plain = STOPWORDS | AUX | SAYING | PREPOSITIONS
    if not 1 <= at <= 3 or len(rest) != 1 or set(rest + lower[:at]) & plain:
        return []
    return lower[:-1]


def times(question: str) -> tuple[int, int]:
    """Where the last time phrase of a question is, from its last time preposition: "on Friday"
    of "... hurt in the blast on Friday?", not "in the blast on Friday"."""
    f = list(TIME_PHRASE.finditer(question))[-1]
    preps = list(re.finditer(rf"\b(?:{'|'.join(TIME_PREPOSITIONS)})\s", f.group(), re.IGNORECASE))
    return (f.start() + (preps[-1].start() if preps else 0), f.end())


def modifiers(phrase: str) -> bool:
    """'the Corrant engineers' strike ballot': the words between "the" and the noun are names,
    possessives and at most one other word, so no verb hides among them ("the council approve
    budget cuts" of "When did the council approve budget cuts?")."""
    inner = phrase.split()[1:-1]
    plain = [w for w in inner if w[:1].islower() and not re.search(r"['’]s?$", w)]
    return len(plain) <= 1


def occasion(phrase: str) -> bool:
    """'in the first count', 'on election night': a phrase that says when (a time word, or a
    place in a series), not where or how ('in tents', 'in the north')."""
    said = {w.lower() for w in TOKEN.findall(phrase)}
    return bool(said & (TIME_NOUNS | ORDINALS | {"initial", "original", "provisional", "final"}))


WH_PHRASE = re.compile(rf"\b(?:which|what)\s+(?!(?:{AUXILIARY})\b)[a-z][\w-]*")
# a question phrase that is the subject: "Who signed ...?", "Which country sent ...?" (not
# "what": "What caused the fire?" and "What missile hit it?" differ in what the next word is)
# ("who else signed?" asks past the answer: it stays)
OTHERS = {"else", "other", "others", "another", "one", "ones"}
NOT_NOUN = "|".join(sorted(AUX | PREPOSITIONS | OTHERS))
NOT_VERB = "|".join(sorted(AUX | OTHERS))
SUBJECT_WH = re.compile(rf"^\s*(?:who|which\s+(?!(?:{NOT_NOUN})\b)[a-z][\w-]*)"
                        rf"(?=\s+(?!(?:{NOT_VERB})\b)[a-z])", re.IGNORECASE)  # fmt: skip
OTHER = re.compile(r"\bthe other(?: one| ones|(?= \w+))?\b( \w+)?", re.IGNORECASE)


def read_cited(store: Store, ranges: list[tuple[str, int, int]]) -> list[str]:
    """Cited lines as the corpus has them; ranges it does not hold, or too wide, are dropped."""
    lines = []
    for file, start, end in ranges:
        doc = store.documents.get(file)
        if doc is None or not 1 <= start <= end <= len(doc.lines):
            continue
        if end - start < MAX_CITED_LINES:
            lines.append(store.lines(file, start, end))
    return lines


def supported(answer: str, lines: list[str]) -> bool:
    """Every content word of the answer stands in the cited lines."""
    have = set().union(*(content_words(line) for line in lines)) if lines else set()
    want = content_words(answer)
    return bool(want) and want <= have


def full_name(name: str, lines: list[str]) -> str:
    """A person's one-word name as its cited line introduces it ("Whitlock" -> "Dana Whitlock"):
    one or two capitalised words before its first use in the line, none a common word, a time
    or an -ly adverb ("Yesterday Bailey"), not after a preposition ("in Boston Chebet"), and
    no other full name in the line ending with it ("his brother Luke Morgan"); else itself."""
    if len(name.split()) != 1 or not name[:1].isupper():
        return name
    use = re.compile(rf"(?<![\w’'-]){re.escape(name)}(?![\w’'-])")
    for line in lines:
        found = [m.start() for m in use.finditer(line)]
        if not found:
            continue
        full = {}
        for at in found:
            given = []
            for word in reversed(line[:at].split()[-2:]):
                if not GIVEN.fullmatch(word) or common(word):
                    break
                given.insert(0, word)
            before = line[:at].split()[: -len(given) or None][-1:]
            if given and not (before and before[0].lower() in PREPOSITIONS):
                full[at] = " ".join([*given, name])
        if len(set(full.values())) == 1 and found[0] in full:
            return full[found[0]]
        return name
    return name


# "Dana", "F." (not "Reuters." ending a sentence, nor an owner: "the Party's Joss Penhallow")
GIVEN = re.compile(r"[A-Z][\w’'-]*(?<!['’]s)(?<!['’])|[A-Z]\.")


COMMON = STOPWORDS | TIME_NOUNS | {"tonight", "overnight", "earlier", "later"} | set(WH) | AUX


def common(word: str) -> bool:
    """A capitalised word that is not a name's: a common word, a time, an -ly adverb."""
    lower = word.lower().rstrip(".")
    return lower in COMMON or lower.endswith("ly")


# "Who is the lead lawyer there?": the definite phrase after it is what the question asks to name
IDENTIFIED = re.compile(r"\s*who\s+(?:is|was|are|were)\s+", re.IGNORECASE)


@dataclass
class Turn:
    """One earlier question, as asked and as searched, with its verified answer and lines."""

    question: str
    standalone: str
    answer: str = ""  # empty when the answer abstained or its words are not in the cited lines
    cited: list[str] = field(default_factory=list)
    # what this turn's pronouns were taken to mean, by kind (REFERENT): "he" -> "Joss Penhallow"
    referents: dict[str, str] = field(default_factory=dict)

    def entity(self) -> str:
        """The answer when it names something: a name, or what 'which/what N' asked for."""
        kind = asked_for(self.standalone)
        if not self.answer or not kind or len(self.answer.split()) > 6:
            return ""
        if HAPPENED.match(self.standalone):  # "What happened to flight 214?" "an engine failure"
            return ""  # is an event: what a later "it" means is what it happened to
        if names(f"x {self.answer}"):
            return self.answer
        # "which troops?" -> "paratroop troops"; not a number, nor a gloss for "what does X mean"
        return self.answer if kind != "thing" and not re.search(r"\d", self.answer) else ""

    def candidates(self, pronoun: str, latest: bool = True, thing_too: bool = False) -> list[str]:
        """What a pronoun may point to in this turn, likeliest first (a noun the turn is about
        only when it is the latest: "when was it played?" after a question about another thing
        is not about the noun of the one before). thing_too: the pronoun is a verb's object, so
        the thing a what-question asked for may be it."""
        entity, kind, subj = self.entity(), asked_for(self.standalone), subject(self.standalone)
        found = names(self.standalone)
        # "How many Kinzhal missiles ... over Kyiv?": a name after a preposition is a setting
        core = [n for n in found if not re.search(PREPOSITION + re.escape(n), self.standalone)]
        # "Who is the mayor of Odesa?" unanswered: "he" is still the mayor of Odesa
        role = described(self.standalone) if not entity else ""
        if pronoun in PERSON:
            # a who-question's answer is a person; another's only if it looks like a person's
            # name ("What party ...?" "Civic Alliance" is not)
            looks = name_like(entity) and not organisation(entity)
            # "Which analyst said ...?" "Whitlock": the answer to a role is a person
            asked = ROLE_ASKED.match(self.standalone)
            role_noun = (bool(asked) and bool(PERSON_ROLE.search(asked.group("noun")))
                         and (asked.group("next") or "").lower() not in ORGANISATIONS
                         and bool(entity) and not organisation(entity))  # fmt: skip
            person = kind == "person" or (kind not in ("place", "thing") and (looks or role_noun))
            # "Who is Tom Reed?" answered "chairman of the party" (or "Island council leader",
            # capitalised by a place; a lower-case word of four letters or more is not a name's,
            # as "von der" may be): "he" is Tom Reed
            described_by = any(w.islower() and len(w) >= 4 for w in entity.split())
            if person and described_by and IDENTIFY.match(self.standalone):
                person = False
            # "Who leads the union?" unanswered: "she" is the person who leads it
            role = role or (relative(self.standalone) if not entity else "")
            people = (n for n in core if name_like(n) and not organisation(n))
            out = [(full_name(entity, self.cited) if person else "") or role, subj, *people]
        elif pronoun == "there":
            out = [entity if kind not in ("person", "") else "", *LOCATIVE.findall(self.standalone)]
        elif pronoun in GROUP:
            out = [entity or role or asked_plural(self.standalone), subj, *core]
        else:
            # "Which villages ...?" "Ashby Cross and Tolland": two things are not "it" ("Which
            # firm ...?" "Hale & Dunn" is one)
            two = bool(asked_plural(self.standalone)) and bool(COORDINATED.search(entity))
            thing = kind not in ("person", "place") and not two
            # "How big is the Westmarch regional budget?": "it" is the budget, not Westmarch
            named = [*(n for n in core if n != subj), *found]
            out = [entity if thing else "", *(name_phrase(self.standalone, n) for n in named)]
            # "When was the recount held?" names nothing: "it" is the noun it is about; "Who is
            # leading the review?" asks for a person: "it" is the thing the person acts on
            out.append(common_subject(self.standalone, self.cited) if latest else "")
            out.append(acted_on(self.standalone) if latest and kind == "person" else "")
            happened = HAPPENED.match(self.standalone)
            if happened:  # "What happened to flight CR 214?"
                out.insert(1, happened.group("what").strip())
            # "What goodwill payment did she announce?" "£30": "raise it" may be the payment
            # (not "will it appeal?": a payment does not act)
            out.append(asked_thing(self.standalone) if not entity and thing_too else "")
        return [c for c in dict.fromkeys(out) if c]


@dataclass
class Conversation:
    """The turns so far; resolve() makes a question stand alone, remember() records an answer."""

    turns: list[Turn] = field(default_factory=list)
    # answers the question resolve() last made asks past: "And by May 20?" after "1,400" wants
    # another figure than 1,400 (an ellipsis asks the last question again about something else)
    not_again: list[str] = field(default_factory=list)
    # what the pronouns of the question resolve() last made stand alone were taken to mean
    referents: dict[str, str] = field(default_factory=dict)

    def add(
        self, question: str, standalone: str, answer: str = "", cited: list[str] | None = None
    ) -> None:
        """Record a turn; the answer text is kept only when the cited lines hold its words."""
        cited = [c for c in (cited or []) if c.strip()]
        kept = answer.strip() if answer and supported(answer, cited) else ""
        standalone = expand(standalone.strip())  # "who's the mayor?" asks for a person
        referents, self.referents = self.referents, {}
        self.turns.append(
            Turn(question.strip(), standalone, kept, cited if kept else [], referents)
        )

    def remember(self, answer: Answer) -> None:
        """Record an Answer: an abstention adds its question only."""
        searched = answer.search_question or answer.question
        if answer.abstained or answer.parts:  # two answers joined ("24 and 31") are no one thing
            self.add(answer.question, searched)
            return
        self.add(answer.question, searched, answer.answer, [c.quote for c in answer.citations])

    def reset(self) -> None:
        """Forget the conversation."""
        self.turns.clear()
        self.not_again = []

    def resolve(self, question: str) -> str:
        """The question to search with: a follow-up made to stand alone, any other unchanged."""
        question = " ".join(question.split())
        question = POLITE.sub("", question) or question
        self.not_again, self.referents = [], {}
        if not self.turns or not question:
            return question
        last = self.turns[-1]
        fresh = NEW_TOPIC.match(question)
        if fresh and question[fresh.end() :].strip():
            rest = question[fresh.end() :]
            if not fresh.group("weak") or not leans(rest):
                return capital(rest)
            question = rest  # "another thing: did he mention the recount?" leans on "he"
        asked = question
        question = expand(question)
        about = ABOUT.match(question)
        body = CONNECTIVE.sub("", question) or question
        # "And in Kharkiv?", "By May 20?", "And by the time it reopened?": the last question
        # again with its matching part replaced; a fragment needs no connective when it opens
        # with a preposition
        plain, body = body, counted(body, last.standalone)
        elided = same_asking(body, last.standalone)
        body = elided or body
        prep = opening_preposition(body)
        when = time_clause(body)
        if (elided or about or ((body != question or prep) and fragment(body))
                or time_phrase(body) or when):  # fmt: skip
            rest = about.group("rest") if about else body.rstrip("?.! ")
            if when:  # "and after she was sacked?": she is who was asked about
                rest = self.references(rest)[0]
            self.not_again = [last.answer] if last.answer else []
            return self.ellipsis(rest, last)
        if sluice(body):  # "who else?" asks past the answer: it does not go in
            past = bool(OTHERS & {w.lower() for w in TOKEN.findall(body)})
            return capital(sluiced(body, last.standalone if past else answered(last)))
        resolved, dangling = self.references(body)
        if dangling or (body != question and resolved == body):  # "And how many were hurt?"
            # a question of its own ("and who is the mayor of lviv?") takes names only
            first = TOKEN.findall(body)[:1]
            whole = bool(first) and first[0].lower() in WH
            return capital(with_topic(resolved, last.standalone, words_too=dangling or not whole))
        return capital(resolved) if resolved != plain else asked

    def references(self, text: str) -> tuple[str, bool]:
        """Pronouns and definite phrases replaced; True if a pronoun found nothing to point to."""
        text = self.other(text)
        text = self.definites(text)
        out, pos, used, dangling, said = [], 0, set(), False, set()
        introduces = False  # an existential "there": "was there a recount?" leans on the topic
        for m in TOKEN.finditer(text):
            word = m.group()
            lower = word.lower()
            before = text[: m.start()].split()[-1:]
            if lower == "that" and demonstrative(text, m):
                # "How far is that from the city?": the thing the last answer named
                target = self.turns[-1].entity()
                if target and target not in used and target not in text:
                    used.add(target)
                    out.append(text[pos : m.start()] + target)
                    pos = m.end()
                continue
            if lower not in PERSON | THING | GROUP | {"there"}:
                continue
            if lower == "there" and existential(text, m.start()):
                introduces = True  # "Did she say there had been fraud?": no place
                continue
            if lower == "it" and (
                EVENT_IT.match(text[m.end() :]) or CAUSING.search(text[: m.start()])
            ):
                dangling = True  # "why did it happen?", "is it true ...?": the event, no noun
                continue
            if names(text[: m.start()]) and (
                lower in POSSESSIVE or (before and before[0].lower() in SAYING | {"that"})
            ):
                continue  # "What did Malyar say about her troops?": its own name comes first
            if (
                lower in ("it", "they")
                and before
                and before[0].lower() in SAYING
                and (wh_subject(text[: m.start()]) and text[m.end() :].strip(" ?.!"))
            ):
                continue  # "Which shop said it was ...": the pronoun is the one asked about
            own = lower in POSSESSIVE and not object_her(text, m)
            if own and REFERENT[lower] in said:
                continue  # "Where did she get her degree?": her is she, already named
            # "Kyiv used them": not Kyiv, nor what another pronoun of the question took
            taken = used if lower in POSSESSIVE else used | set(names(text))
            # "raise it": an object (after a word that is no auxiliary nor question word)
            obj = bool(before) and before[0].lower() not in AUX | WH | SAYING | PREPOSITIONS
            target = self.antecedent(lower, taken, thing_too=lower == "it" and obj)
            if not target:
                dangling = True
                continue
            used.add(target)
            said.add(REFERENT[lower])
            if lower in SUBJECTS or own:  # "did Alan Moss congratulate him?": not "him"
                self.referents[REFERENT[lower]] = target
            if own:
                target = possessive(target)
            elif lower == "there":
                # "stay there" after "in the hangar": the answer's own preposition stands
                placed = bool(before and before[0].lower() in PREPOSITIONS)
                target = target if placed or opening_preposition(target) else f"in {target}"
            out.append(text[pos : m.start()] + target)
            pos = m.end()
        text = "".join(out) + text[pos:]
        if introduces and not out:  # "did officials say there were deaths?": where it was
            place = self.antecedent("there", used)
            if not place:
                return text, True
            place = place if opening_preposition(place) else f"in {place}"
            return f"{text.rstrip('?.! ')} {place}?", dangling
        return text, dangling

    def antecedent(self, pronoun: str, taken: set[str], thing_too: bool = False) -> str:
        """What a pronoun points to, from the last turn back, other than the names taken: what
        the same pronoun meant in the last turn ("what party is he from?" then "how many votes
        did he get?"), else the likeliest thing a turn mentions."""
        last = self.turns[-1]
        kept = last.referents.get(REFERENT[pronoun], "")
        offered = last.candidates(pronoun)[:1]
        named = subject(last.standalone)  # "did Alan Moss congratulate him?": he is Alan Moss
        if kept and not among(kept, taken) and (not named or named in kept):
            if not offered or offered[0] != last.entity():
                return kept
        for turn in reversed(self.turns):
            for found in turn.candidates(pronoun, latest=turn is last, thing_too=thing_too):
                if not among(found, taken):
                    return found
        return ""

    def definites(self, text: str) -> str:
        """'the governor', 'that attack': a noun said before gains the name it went with."""
        pattern = re.compile(r"\b(the|that|this|these|those)\s+([a-z][\w-]*)\b(?!\s+(?:of\s+)?"
                             r"(?:the\s+)?[A-Z])")  # fmt: skip
        out, pos = [], 0
        for m in pattern.finditer(text):
            det, noun = m.group(1).lower(), m.group(2)
            if noun in AUX | PREPOSITIONS | WH | DETERMINERS | ORDINALS | {"same", "other", "one"}:
                continue
            before = text[: m.start()].split()[-1:]
            if det == "that" and before and before[0].lower() in SAYING:
                continue  # "he said that troops ...": a clause, not a reference
            noun, end = self.longest(noun, text, m.end())
            # "Who is the lead lawyer?" asks who that is: no name a line or an answer gives it goes
            # in ("Who is the union leader?" still names the union; "the lawyer's client" is
            # someone else)
            asks_who = bool(IDENTIFIED.fullmatch(text[: m.start()])) and not re.match(
                r"['’]s\b", text[end:]
            )
            found = self.noun_phrase(noun, asks_who)
            if found:
                out.append(text[pos : m.start()] + found)
                pos = end
        return "".join(out) + text[pos:]

    def longest(self, noun: str, text: str, end: int) -> tuple[str, int]:
        """'returning officer' of 'the returning officer kept ...' when an earlier question said
        'the returning officer': the longest run of lower-case words from the noun (up to three)
        said before, and where it ends in text."""
        following = re.match(r"(?:\s+[a-z][\w-]*){1,2}", text[end:])
        tail = TOKEN.findall(following.group()) if following else []
        for k in range(len(tail), 0, -1):
            phrase = " ".join([noun, *tail[:k]])
            said = rf"\b{re.escape(phrase)}\b"
            if any(re.search(said, t.standalone, re.IGNORECASE) for t in self.turns):
                stop = re.match(rf"(?:\s+[a-z][\w-]*){{{k}}}", text[end:])
                return phrase, end + stop.end()
        return noun, end

    def noun_phrase(self, noun: str, asks_who: bool = False) -> str:
        """The phrase a noun said before refers to, with its name, or ''. asks_who: the question
        asks who the phrase is, so the name an answer or a cited line gave it stays out."""
        stem = noun.lower().rstrip("s")
        inner = rf"(?!(?:{'|'.join(sorted(ARTICLES | AUX | PREPOSITIONS))})\b)[\w’'-]+\s+"
        # "the report" after "Westvale's preliminary report": a possessive name determines the
        # noun as "the" does
        the_noun = (rf"(?:(?i:\bthe)|\b{NAME}['’]s)\s+"
                    rf"(?i:(?:{inner}){{0,3}}?{re.escape(stem)}\w{{0,2}}\b)")  # fmt: skip
        # "of the Westmarch assembly", "of the football club", "of seized rifles"; not "of
        # Eastfield say", "of postal votes discovered" (a NOUN ends it: no verb of saying,
        # auxiliary, preposition or participle)
        lower = rf"(?:the\s+)?(?:{MODIFIER}\s+){{0,2}}{NOUN}"
        of = rf"\s+of\s+(?:the\s+{NAME}(?:\s+{NOUN})?|{NAME}|{lower})"
        said_before = re.compile(rf"{the_noun}(?:{of})?")  # the same for every turn
        for turn in reversed(self.turns):
            entity = turn.entity()
            m = said_before.search(turn.standalone)
            # the answer is the noun's only when the question asked for it ("Which missile ...?",
            # "Who is the mayor of Kyiv?"), not "Who granted the injunction?"
            role = described(turn.standalone).lower()
            its_role = bool(m) and role.startswith(m.group().lower())
            named = bool(entity) and (asks_for_noun(turn.standalone, stem) or its_role)
            if m and (" of " in m.group() or named):
                return f"{m.group()} {entity}" if named and not asks_who else m.group()
            if m and not entity and len(m.group().split()) > 2 and modifiers(m.group()):
                return m.group()  # "the ballot" -> "the engineers' strike ballot" said before
            if m and entity:  # said before, but the answer was about something else: it stays,
                # with the name it had ("the authority": "the Lintmouth Port Authority")
                return m.group() if names(m.group()) else ""
            if named:
                return entity if stem in entity.lower() else f"{entity} {noun}"
            if entity and re.search(
                rf"\b(?:which|what)\s+(?:[\w-]+['’]s?\s+)?{re.escape(stem)}",
                turn.standalone,
                re.IGNORECASE,
            ):  # "which group's chief"
                return f"the {noun} of {entity}"
            who = WHO_IS.match(turn.standalone)
            # the description's head: its last word before "of ..." ("director of engineering")
            head = re.split(r"\s+(?:of|for|at|in)\s+", entity)[0].split()[-1:] if entity else []
            if who and head and head[0].lower().removesuffix("s") == stem and not asks_who:
                return who.group("name")  # "Who is Rhona Gill?" "the ... safety inspector"
            if entity and stem in entity.lower():
                return entity if entity.lower().startswith("the ") else f"the {entity}"
            if noun.lower() in PLACES:  # "... the flag over Bakhmut?" "the city"
                places = LOCATIVE.findall(turn.standalone)
                if places:
                    return places[-1]
                if entity and asked_for(turn.standalone) == "place":
                    # "Where was the sample taken?" "(at) Hollins Lane": "the site"
                    prep = opening_preposition(entity)
                    return entity[len(prep) :].strip() if prep else entity
            said = [w.lower() for w in TOKEN.findall(turn.answer)]
            plain = 0 < len(said) <= 6 and not set(said) & (PREPOSITIONS | {"and", "or"})
            if plain and said[-1].removesuffix("s") == stem and not asks_who:
                # "What did the regulator serve?" "an enforcement notice": "the notice" is it
                return "the " + re.sub(r"^(?:the|an?)\s+", "", turn.answer, flags=re.IGNORECASE)
            for line in [] if asks_who else turn.cited:
                near = name_near(line, stem)
                if near and re.search(r"['’]s$", near):  # "Westvale Water's report"
                    return f"{near} {noun}"
                if near:  # "the bank" -> "the Northfield Savings Bank", "the governor" -> "the
                    # governor Vyacheslav Gladkov"
                    return f"the {near}" if stem in near.lower() else f"the {noun} {near}"
        return ""

    def other(self, text: str) -> str:
        """'the other one': a name listed with the one the last turn was about."""
        m = OTHER.search(text)
        if not m:
            return text
        last = self.turns[-1]
        used = set(names(last.standalone)) | ({last.entity()} - {""})
        pool = " . ".join(part for t in self.turns for part in (t.answer, *t.cited, t.standalone))
        for name in names(pool):
            if name in used:
                continue
            if any(re.search(rf"{re.escape(u)}(?:,| and| or)+\s+{re.escape(name)}|"
                             rf"{re.escape(name)}(?:,| and| or)+\s+{re.escape(u)}", pool)
                   for u in used):  # fmt: skip
                return text[: m.start()] + name + text[m.end() :]
        return text

    def ellipsis(self, rest: str, last: Turn) -> str:
        """'And in Kharkiv?': the last question with its matching part replaced."""
        rest = self.other(rest)
        base = last.standalone.rstrip("?.! ")
        # "and in the union's figures?" says what "and the union's figures?" does
        own = re.sub(r"^(?:in|from)\s+(?=\S+\s+\S)", "", rest.strip(), flags=re.IGNORECASE)
        source = SOURCE.fullmatch(own) or ACCORDING.fullmatch(rest.strip())
        if source:  # "and the union's figure?": the same question, by another source's count
            who = source.group("who")
            said = SPEAKER.search(base)
            if said:
                slot = next(g for g in ("who", "giver", "source") if said.group(g))
                return capital(f"{base[: said.start(slot)]}{who}{base[said.end(slot) :]}?")
            return capital(f"{base}, according to {who}?")
        words = rest.split()
        prep = opening_preposition(rest)
        if prep and rest.lower().startswith(prep):  # "In Kherson?" goes inside the question
            rest = prep + rest[len(prep) :]
        if prep == "to" and len(words) > 1 and words[1].islower() and words[1] not in ARTICLES:
            # "And to be fully out?" after "When was X due to start pulling out of Y?": the
            # infinitive it replaces runs to the end; a name that goes with it stays as a topic
            verb = list(re.finditer(rf"\bto\s+(?!(?:{'|'.join(ARTICLES)})\b)[a-z]", base))
            if verb:
                head = base[: verb[-1].start()]
                return capital(with_topic(f"{head}{rest}?", base))
        word = TIME_WORD.fullmatch(rest.strip())
        if time_phrase(rest) or (not prep and ends_in_time(rest)) or word:
            # "by May 20" after "... on day one?", "now" after "... before the closure?": a time
            # takes the place of the time it follows ("yesterday" of "... in hospital yesterday")
            found = [m.span() for m in ENDS_IN_TIME_WORD.finditer(base)]
            found = found or ([times(base)] if TIME_PHRASE.search(base) else time_clauses(base))
            if found:
                start, end = found[-1]
                return capital(f"{base[:start]}{rest}{base[end:]}?")
            return capital(f"{base} {rest}?")
        if prep:
            # "in Kyiv", "in the Bakhmut sector": the phrase the fragment replaces
            slot = re.compile(rf"\b{prep}\s+(?:the\s+{NAME}(?:\s+[a-z]+\b)?|{NAME}|\d+)")
            found = [f.span() for f in slot.finditer(base)] or parallel(rest, base)
            if not found and (prep in LATER_PREPOSITIONS or occasion(rest)):
                # "and after the recount?" after "... in the first count?": the occasion the
                # question ends with; "in the final tally" after "... by March 9?": its time
                found = [f.span() for f in OCCASION.finditer(base) if occasion(f.group())]
                found = found or ([times(base)] if TIME_PHRASE.search(base) else [])
                # "and after the cabinet meeting?" after "... when it was first announced?"
                found = found or (time_clauses(base) if prep in LATER_PREPOSITIONS else [])
            # "and in the report to cabinet?" after "... in the briefing note?"
            found = found or closing_phrase(base, prep)
            if found:
                start, end = found[-1]
                return capital(f"{base[:start]}{rest}{base[end:]}?")
            return capital(f"{base} {rest}?")
        ordinal = ORDINAL_ONLY.fullmatch(rest.strip())
        said = list(ORDINAL_SAID.finditer(base))
        if ordinal and said:  # "and the second?" after "... its first fault alarm ...?"
            at = said[-1].span("ordinal")
            return capital(f"{base[: at[0]]}{ordinal.group('ordinal').lower()}{base[at[1] :]}?")
        targets = [n for n in names(base) if n not in rest]
        if targets and names(f"x {rest}"):
            i = base.rfind(targets[-1])
            return capital(f"{base[:i]}{rest}{base[i + len(targets[-1]) :]}?")
        if LATER.search(rest):  # "and the latest figure?" after "... did they first say ...?"
            base = EARLIER.sub("", base)
        return capital(f"{base}, {rest}?")


# "and the second?", "the third one?": a place in a series and nothing else
SERIES = "first|second|third|fourth|fifth|last"  # not "latest", "next": a figure, a time
ORDINAL_ONLY = re.compile(rf"(?:the\s+)?(?P<ordinal>{SERIES})(?:\s+ones?)?", re.IGNORECASE)
# "its first fault alarm", "the second round": an ordinal that says which one (not "they first
# said", "at first", "interview her last week")
ORDINAL_SAID = re.compile(rf"\b(?:the|its|their|his|this)\s+(?P<ordinal>{SERIES})\s+[a-z]",
                          re.IGNORECASE)  # fmt: skip


# "and now?", "and yesterday?", "so far?": a time said with no preposition, which takes the place
# of one the last question ends with ("then" is no time: "and then?" asks what came next)
TIME_WORDS = (r"yesterday|tonight|(?:right\s+)?now|nowadays|today|currently|at\s+present|"
              r"at\s+the\s+moment|these\s+days|so\s+far|to\s+date|by\s+now")  # fmt: skip
TIME_WORD = re.compile(TIME_WORDS, re.IGNORECASE)
ENDS_IN_TIME_WORD = re.compile(rf"(?<=\s)(?:{TIME_WORDS})$", re.IGNORECASE)
# "after Pellow and Marsh End were added", "before the vote was held": a clause that says when
WHEN_CLAUSE = re.compile(rf"\s*(?:after|before|since|until|once)\s+(?!(?:{AUXILIARY})\b)[^,;:?]+"
                         r"[?.!\s]*", re.IGNORECASE)  # fmt: skip


# an auxiliary before its subject: "... did the plant ever fail", "will the company pay"
INVERTED = re.compile(rf"\b(?:{AUXILIARY})\s+(?:the|a|an|this|that|these|those|his|her|its|"
                      rf"their|he|she|it|they|we|you|i|[A-Z])\b", re.IGNORECASE)  # fmt: skip


def closing_phrase(base: str, prep: str) -> list[tuple[int, int]]:
    """Where the last phrase that opens with `prep` is, when it ends the question and asks
    nothing of its own: "in the city centre" of "How many were hurt in the blast in the city
    centre?"."""
    spans = [(m.start(), len(base)) for m in re.finditer(rf"(?<=\s){prep}\s", base)]
    return [(start, end) for start, end in spans[-1:]
            if not {w.lower() for w in TOKEN.findall(base[start:])} & (WH | AUX)]  # fmt: skip


def time_clauses(base: str) -> list[tuple[int, int]]:
    """Where a question ends in a clause that says when: "... closed when the storm hit", "...
    run before the closure"; not "did he say when ..." (there the clause is what is asked)."""
    return [c.span() for c in TIME_CLAUSE.finditer(base)
            if not set(base[: c.start()].lower().split()[-1:]) & ASKING]  # fmt: skip


def time_clause(body: str) -> bool:
    """The follow-up is a clause that says when and asks nothing of its own ("and after X were
    added?"; not "before Westvale took over did the plant ever fail?")."""
    said = {w.lower() for w in TOKEN.findall(body)}
    clause = WHEN_CLAUSE.fullmatch(body)
    return bool(clause) and not said & WH and not INVERTED.search(body[clause.start() :])


def parallel(rest: str, base: str) -> list[tuple[int, int]]:
    """Where the last question says the fragment's noun after a preposition of its own: "in the
    final figures" takes the place of "according to the 6 March figures"."""
    said = TOKEN.findall(rest)
    head = said[-1].lower().removesuffix("s") if len(said) > 1 else ""
    if not head or head in STOPWORDS or not re.fullmatch(r"[a-z][a-z-]*", head):
        return []
    # a frame the figure is given in ("in the final figures", "according to the police
    # count"), not what it is about ("about the water")
    preps = "in|on|at|by|from|under|during"
    phrase = re.compile(rf"\b(?:according\s+to|{preps})\s+(?:[\w’'-]+\s+){{0,3}}?"
                        rf"{re.escape(head)}s?\b", re.IGNORECASE)  # fmt: skip
    return [m.span() for m in phrase.finditer(base)][-1:]


# "how many" or "how much": a question for a quantity, whose noun a follow-up may leave out
QUANTITY = re.compile(r"^how\s+(?:many|much)\b", re.IGNORECASE)
# the thing counted: "how many refund claims had ...", "the number of ships waiting ..."
COUNTED = re.compile(r"\b(?i:how\s+many|number\s+of)\s+((?:[a-z][\w'’-]*\s*){1,3})")


def same_asking(body: str, base: str) -> str:
    """The follow-up "how many by March 20" after "How many claims had been paid by March
    11?": the same question about another time or place, so only "by March 20" (a phrase with
    no question word or verb of its own) is new; "" when the body asks something else."""
    asked, before = QUANTITY.match(body), QUANTITY.match(base)
    if not asked or not before or asked.group().lower() != before.group().lower():
        return ""
    rest = body[asked.end() :].strip(" ?.!")
    said = [w.lower() for w in TOKEN.findall(rest)]
    if not said or len(said) > 8 or set(said) & (WH | AUX) or "n't" in rest or "n’t" in rest:
        return ""
    # a place or time ("by March 20", "a few days later on March 14"), not a noun of its own
    # ("how many other missiles?") nor a verb ("how many still can't go home")
    placed = opening_preposition(rest) not in ("", "of") or time_phrase(rest)
    later = (said[0] in ARTICLES or said[0].isdigit()) and ends_in_time(rest)
    return rest if placed or later else ""


def counted(body: str, base: str) -> str:
    """The follow-up "how many were still waiting ...?" after "What was the number of ships
    waiting ...?": the count keeps its noun ("how many ships were still waiting ...?")."""
    bare = re.match(rf"^how\s+many\s+(?=(?:{AUXILIARY})\b)", body, re.IGNORECASE)
    noun = COUNTED.search(base)
    if not bare or not noun:
        return body
    kept = []
    for word in noun.group(1).split():
        lower = word.lower()
        if lower in AUX | PREPOSITIONS | WH | {"that", "and", "or"} or lower.endswith("ing"):
            break
        kept.append(word)
    return f"{bare.group()}{' '.join(kept)} {body[bare.end() :]}" if kept else body


def ends_in_time(text: str) -> bool:
    """A phrase with no verb that ends in a time: "a few days later on March 14"."""
    said = {w.lower() for w in TOKEN.findall(text)}
    found = list(TIME_PHRASE.finditer(text))
    ends = bool(found) and found[-1].end() >= len(text.rstrip("?.! "))
    return ends and not said & (WH | AUX)


def leans(text: str) -> bool:
    """A pronoun with no name before it in the question ("did he mention the recount?"), not
    "how many ferries does Port Lune run, and who owns it?"."""
    pronouns = PERSON | THING | GROUP
    return any(t.group().lower() in pronouns and not names(text[: t.start()])
               for t in TOKEN.finditer(text))  # fmt: skip


def demonstrative(text: str, m: re.Match) -> bool:
    """'that' standing for a thing before a preposition ('How far is that from X?'); not 'that
    village', 'said that ...', 'after that', nor a closing 'that' ('When was that?'), which is
    an event."""
    before = text[: m.start()].split()[-1:]
    after = TOKEN.findall(text[m.end() :])[:1]
    if before and before[0].lower() in PREPOSITIONS | SAYING:
        return False
    return bool(after) and after[0].lower() in PREPOSITIONS


def wh_subject(text: str) -> bool:
    """'Which supermarket said': the thing asked for is the subject (no auxiliary); not 'Who
    said', where a pronoun after it may be someone else."""
    tokens = [w.lower() for w in TOKEN.findall(text)]
    return len(tokens) > 2 and tokens[0] in ("which", "what") and not set(tokens) & AUX


def among(name: str, taken: set[str]) -> bool:
    """The name is one of those taken, or a person's name that ends as one of them does
    ("Ann Moss" when the question says "Moss")."""
    last = name.split()[-1:]
    return name in taken or (name_like(name) and any(t.split()[-1:] == last for t in taken))


def object_her(text: str, m: re.Match) -> bool:
    """'her' as an object ('according to her', 'asked her?'), not 'her troops'."""
    if m.group().lower() != "her":
        return False
    before = text[: m.start()].split()[-1:]
    after = text[m.end() :].lstrip()
    return bool(before and before[0].lower() in PREPOSITIONS) or not after[:1].isalpha()


def answered(turn: Turn) -> str:
    """The turn's question with its question phrase filled by the answer: "... to the capture
    of which city?" answered Berlin -> "... to the capture of Berlin?"; unchanged without one."""
    question = turn.standalone
    named = turn.entity()
    entity = named or (turn.answer if len(turn.answer.split()) <= 6 else "")
    subject = SUBJECT_WH.match(question)
    if subject:  # "Who signed the treaty?" Britain -> "Britain signed the treaty", if it names
        # something: not "It is not clear.", "No group has said"
        words = {w.lower() for w in TOKEN.findall(named)}
        if not named or re.search(r"[.!?;:]", named) or words & (AUX | {"not", "no"}):
            return question
        return named + question[subject.end() :]
    wh = WH_PHRASE.search(question)
    if not entity or not wh or wh.start() == 0:  # "Which city did ...?" first: nothing to fill
        return question
    return question[: wh.start()] + entity + question[wh.end() :]


def sluiced(fragment: str, previous: str) -> str:
    """'In which region?' takes the place of the last question's words before its auxiliary."""
    fragment, clause = fragment.rstrip("?.! "), previous.rstrip("?.! ")
    words = TOKEN.findall(clause)
    aux = re.search(rf"\b(?:{AUXILIARY})\b", clause)
    if words and words[0].lower() in WH | PREPOSITIONS and aux:
        return f"{fragment} {clause[aux.start() :]}?"
    if words and words[0].lower() in WH | AUX:
        clause = clause[:1].lower() + clause[1:]
    return f"{fragment}, {clause}?"
