"""English rules for follow-ups: names in a text, what a question asks for, its subject.

General English only (question words, auxiliaries, prepositions, pronouns): no word of any
article.
"""

from __future__ import annotations

import re

from qa.cite import content_words
from qa.read import capitalised_runs
from qa.text import STOPWORDS, words

WH = {"what", "who", "whom", "whose", "which", "where", "when", "why", "how"}
AUX = set("do does did is was are were has have had will would can could should may might must"
          .split())  # fmt: skip
AUXILIARY = "|".join(sorted(AUX))  # the same alternation in every pattern, in a fixed order
PREPOSITIONS = set("in at on of for from to near by with about over during after before "
                   "between against into inside outside around across under".split())  # fmt: skip
DETERMINERS = {"the", "that", "this", "these", "those"}
SAYING = set("say said says claim claimed think thought believe know knew report reported "
             "announce announced add added tell told".split())  # fmt: skip
PERSON = {"he", "him", "his", "she", "her", "hers", "himself", "herself"}
THING = {"it", "its", "itself"}
GROUP = {"they", "them", "their", "theirs", "themselves"}
POSSESSIVE = {"its", "his", "her", "their"}
CONNECTIVE = re.compile(r"^\s*(?:and|but|so|also|then|ok|okay)\b[\s,]*", re.IGNORECASE)
# "ok, different question: ...", "New topic - ...": the person says the question stands alone
# ("another question" goes on with the same topic; after "another thing", "separately", "moving
# on" or "on another note" a pronoun may still lean on it: `weak`); a separator must follow
# ("New question marks over ..." is a question of its own)
NEW_TOPIC = re.compile(r"^\s*(?:(?:ok|okay|right|now|so|and|thanks|thank\s+you)\b[\s,.—–-]*)*"
                       r"(?:(?:a|an)\s+)?(?:(?:different|new|unrelated|separate)\s+"
                       r"(?:question|topic|subject)|(?P<weak>another\s+thing|separately|moving\s+on|"
                       r"on\s+(?:another|a\s+(?:different|separate))\s+note)|"
                       r"chang(?:e|ing)\s+(?:of\s+|the\s+)?(?:subject|topics?))"
                       r"\s*(?:[.:;,!?—–-]+\s*|$)", re.IGNORECASE)  # fmt: skip
# "thanks. what did ...", "great, and when ...", "ok. how long ...": thanks, praise or assent
# before the question, with a stop, comma or dash after it, says nothing about what is asked
POLITE = re.compile(r"^\s*(?:(?:thanks|thank\s+you|cheers|great|perfect|cool|got\s+it|ok|okay)"
                    r"(?:\s+(?:a\s+lot|so\s+much|very\s+much))?(?:\s*[,.!;:]+|\s+[—–-]+)\s*)+",
                    re.IGNORECASE)  # fmt: skip
ABOUT = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?(?:what|how)\s+about\s+(?P<rest>.+?)[\s?.!]*$",
                   re.IGNORECASE)  # fmt: skip
NAME = r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
AFTER_AUX = re.compile(rf"\b(?i:{AUXILIARY})\s+((?:the\s+)?{NAME})")  # "Did Alan Moss ..."
BEFORE_SAYING = re.compile(rf"({NAME})\s+(?:{'|'.join(SAYING)})\b")
PREPOSITION = rf"\b(?:{'|'.join(PREPOSITIONS)})\s+(?:the\s+)?"
LOCATIVE = re.compile(rf"\b(?:in|at|near|from|to|into|over|across|around)\s+((?:the\s+)?{NAME})")
TOKEN = re.compile(r"[\w’'-]+")


# "Maliar's job" names Maliar; "Reuters' report" names Reuters
OWNER = re.compile(r"(?<=\w)(?:['’]s|(?<=s)['’])$")


def opening_preposition(text: str) -> str:
    """The preposition a text opens with ("in" for "In which region?"), lower case, or ""."""
    first = TOKEN.findall(text)[:1]
    return first[0].lower() if first and first[0].lower() in PREPOSITIONS else ""


# "Roughly how many ...?": a capitalised first word before a question word only opens the question
OPENER = re.compile(rf"^\w+\s+(?:{'|'.join(WH)})\b", re.IGNORECASE)


# "Tell me about ...", "Give us ...": a capitalised first word before "me" or "us" is a verb
TELL = re.compile(r"^\w+\s+(?:me|us)\b", re.IGNORECASE)
# "there had been", "is there a ...": "there" that introduces something, not a place
BE = set("is was were are be been has have had will would could can may might must should seem "
         "seems seemed".split())  # fmt: skip
CLAUSE_OPENERS = set("that if whether and but because although though while so".split())
# words that follow a place's "there" ("are there now?", "been there before?")
ADVERBS = set("now then still already again too also ever yet before after since until when "
              "while once today yesterday tomorrow later earlier recently last next"
              .split())  # fmt: skip


def existential(text: str, at: int) -> bool:
    """The "there" at offset `at` introduces something ("Did she say there had been fraud?",
    "Is there a ...?"): opening a clause before a form of "be" or a modal, or after one with a
    word to follow; not "Were they there?", "What happened there?", "an attack there was"."""
    after = TOKEN.findall(text[at + len("there") :])[:1]
    before = [w.lower() for w in TOKEN.findall(text[:at])[-1:]]
    if before and before[0] in BE:  # "are there any ...?", not "are there now?"
        return bool(after) and after[0].lower() not in PREPOSITIONS | ADVERBS | TIME_NOUNS
    opens = not before or before[0] in SAYING | WH | CLAUSE_OPENERS
    return opens and bool(after) and (after[0].lower() in BE or after[0] in ("'s", "’s"))


def names(text: str) -> list[str]:
    """Runs of capitalised words that are names, not a capitalised question or pronoun word,
    nor the adverb that opens a question; a possessive names its owner."""
    out = []
    for at, run in capitalised_runs(text):
        first = run.split()[0].lower()
        if first in WH | AUX | PERSON | THING | GROUP | DETERMINERS | PREPOSITIONS:
            run = " ".join(run.split()[1:])
        elif at == 0 and " " not in run and (OPENER.match(text) or TELL.match(text)):
            continue
        run = OWNER.sub("", run)
        for part in run.split(" and "):  # "Melitopol and Berdyansk" are two
            if part and part not in out:
                out.append(part)
    return out


def asked_for(question: str) -> str:
    """'person', 'place', the noun of 'what missile', 'thing' (bare what/which), or ''."""
    words = [w.lower() for w in TOKEN.findall(question)]
    words = words[1:] if opening_preposition(question) else words  # "Near which village ...?"
    if not words:
        return ""
    head = words[0]
    if head in ("who", "whom", "whose"):
        return "person"
    if head == "where":
        return "place"
    if head in ("what", "which") and len(words) > 1:
        return "thing" if words[1] in AUX else words[1]
    return ""


# "Who was Ukraine's defence minister when ...?": the person is described up to a clause
DESCRIBED = re.compile(r"^\s*who\s+(?:is|was|are|were)\s+(?P<np>(?:the\s+|[\w-]+['’]s?\s+)[^,?;]+?)"
                       r"(?=\s+(?:when|while|who|that|which|whose|where|after|before|during|since|"
                       r"now|today|in\s+\d)\b|\s*[,?;.!]|$)", re.IGNORECASE)  # fmt: skip
# "What kind of hypersonic missiles did ...", "Which occupied towns in the south did ...": the
# plural thing a question asks for, up to its auxiliary
ASKED_PLURAL = re.compile(rf"^\s*(?:what|which)\s+(?:(?:kind|kinds|type|types|sort|sorts)\s+of\s+)?"
                          rf"(?P<np>(?:[a-z][\w-]*\s+){{0,4}}?[a-z][\w-]*[^sui\W]s)"
                          rf"(?=\s+(?:{AUXILIARY})\b)", re.IGNORECASE)  # fmt: skip


# "Who is Tom Reed?": the question names the person it asks about
IDENTIFY = re.compile(rf"^\s*who\s+(?:is|was)\s+{NAME}\s*[?.!]*$", re.IGNORECASE)


def described(question: str) -> str:
    """'the governor of Russia's Belgorod region' of 'Who is the governor of ...?', or ''."""
    m = DESCRIBED.match(question)
    return m.group("np") if m else ""


# "Who leads the union?" unanswered: "she" is still the person who leads it; not "Who did X
# say ...?" nor "Who will the party choose?" (there "who" is the object: a subject follows the
# auxiliary), nor "Who else ...?", "Who in the cabinet ...?"; after "is/was" only a participle
# or a preposition ("Who was named ...", "Who is in charge of ..."), not "Who is Tom Reed?"
RELATIVE = re.compile(r"^\s*who\s+(?P<clause>(?!(?:else|in|of|at|from|among)\b)(?:"
                      r"(?:is|was|are|were|has|have|had)\s+(?:been\s+)?(?:\w+(?:ing|ed|en)|"
                      r"(?:in|behind|responsible|at|on)\b)|"
                      rf"(?!(?:{AUXILIARY})\b)[a-z]+)[^,?;]*?)\s*[,?;.!]*$",
                      re.IGNORECASE)  # fmt: skip


def relative(question: str) -> str:
    """'the person who leads the union' of 'Who leads the union?', or ''."""
    m = RELATIVE.match(question)
    return f"the person who {m.group('clause')}" if m else ""


def asked_plural(question: str) -> str:
    """'the hypersonic missiles' of 'What kind of hypersonic missiles did ...?', or ''."""
    m = ASKED_PLURAL.match(question)
    return f"the {m.group('np')}" if m else ""


def name_like(text: str) -> bool:
    """Two or more capitalised words and nothing else: a person's name, most often."""
    tokens = text.split()
    return len(tokens) >= 2 and all(t[0].isupper() for t in tokens)


# the nouns that end or open the names of organisations in English news, not of people:
# "Civic Alliance", "the Lintmouth Port Authority", "Bank of England"
ORGANISATIONS = set("""party alliance union commission council committee court authority agency
    ministry department office assembly parliament government company corporation group bank
    association federation league club institute university college school hospital trust
    foundation society board service police army forces front movement coalition network
    inc ltd plc""".split())  # fmt: skip


def organisation(name: str) -> bool:
    """A name whose head is an organisation's noun ("Heartland Party", "Bank of England"): not
    a person's name ("Council leader Ann Fry" is one)."""
    head = TOKEN.findall(re.split(r"\s+of\s+", name)[0])[-1:]
    return bool(head) and head[0].lower() in ORGANISATIONS


def subject(question: str) -> str:
    """The name right after the auxiliary ('did Putin present') or before a verb of saying."""
    m = AFTER_AUX.search(question)
    if m:  # "was Ukraine's defence minister": the subject is the minister, not Ukraine
        return "" if OWNER.search(m.group(1)) else m.group(1)
    m = BEFORE_SAYING.search(question)
    return m.group(1) if m and m.start() > 0 else ""


def name_phrase(question: str, name: str) -> str:
    """The phrase a name heads the question's end with, after a preposition or "is": "the
    Westmarch regional budget" of "How big is the Westmarch regional budget?"; the name alone
    when it ends in a participle ("When was the Ashgrove bridge finished?") or does not end."""
    before = "|".join(sorted(PREPOSITIONS | {"is", "was", "are", "were"}))
    m = re.search(rf"\b(?:{before})\s+(the\s+{re.escape(name)}((?:\s+[a-z][\w-]*){{1,3}}))"
                  r"\s*[?.!]*$", question)  # fmt: skip
    if not m or m.group(1).endswith(("ed", "en")):
        return name
    # nouns only: not "the Carrow plant last week", "the Civic Alliance so quickly"
    tail = m.group(2).split()
    odd = STOPWORDS | ADVERBS | TIME_NOUNS | {"so", "ago"}
    return name if any(w in odd or w.endswith("ly") for w in tail) else m.group(1)


def possessive(name: str) -> str:
    """'Wagner' -> "Wagner's"; 'Gladkov' keeps the same rule, 'Reuters' -> "Reuters'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def fragment(text: str) -> bool:
    """No question word or auxiliary: 'in Kharkiv', 'the zoo', 'by May 20' (a capitalised word
    after the first is a name, not the auxiliary 'may'); up to six words, or twelve for a phrase
    that opens with a preposition ('in the briefing note a week and a half later')."""
    tokens = TOKEN.findall(text)
    words = {w.lower() for i, w in enumerate(tokens) if i == 0 or not w[0].isupper()}
    most = 12 if opening_preposition(text) else 6
    return 0 < len(tokens) <= most and not (words & (WH | AUX))


MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()  # fmt: skip
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
# words that make a phrase a time: "on day one", "by the time ...", "in 2018", "last week"
TIME_NOUNS = set("time times day days week weeks month months year years hour hours morning "
                 "afternoon evening night weekend date end start beginning today yesterday "
                 "tomorrow now then".split()) | set(MONTHS) | set(WEEKDAYS)  # fmt: skip
TIME_PREPOSITIONS = ("on", "in", "by", "at", "during", "before", "after", "until", "till", "since",
                     "within", "over", "for")  # fmt: skip
# a time phrase in a question: a temporal preposition, up to four words, ending in a time word
# or a number ("on day one", "by May 20", "in 2018", "in the first week", "last week")
TIME_PHRASE = re.compile(
    rf"\b(?:(?:{'|'.join(TIME_PREPOSITIONS)})\s+(?:[\w’'-]+\s+){{0,3}}?"
    rf"(?:(?:{'|'.join(sorted(TIME_NOUNS))})(?:\s+(?:one|\d+))?"
    rf"(?:\s+of\s+(?:the\s+)?(?:{'|'.join(sorted(TIME_NOUNS))}|\d{{4}}))?"  # "end of the month"
    rf"|\d{{1,4}}(?:st|nd|rd|th)?(?:\s+(?:of\s+)?(?:{'|'.join(MONTHS)})(?:\s+\d{{4}})?)?)"
    rf"|(?:last|this|next|that)\s+(?:day|week|month|year|night|morning|weekend))\b",
    re.IGNORECASE,
)
# "... closed when the storm hit": a time clause that ends a question
TIME_CLAUSE = re.compile(r"(?<=\s)(?:when|while|after|before|since|until|once)\s+[^,;?]+$",
                         re.IGNORECASE)  # fmt: skip
# "Did the mayor say when the talks would resume?": there the clause is what is asked
ASKING = SAYING | set("ask asked asks know knew explain explained decide decided".split())
# "by the time systems were back": a time given by a clause
THE_TIME = re.compile(rf"(?:{'|'.join(TIME_PREPOSITIONS)})\s+the\s+time\s+[a-z]", re.IGNORECASE)
# "on the day the report came out": a day given by a clause (with no auxiliary: "over the
# weekend were there more arrests?" is a question of its own)
DAY_CLAUSE = re.compile(rf"(?:{'|'.join(TIME_PREPOSITIONS)})\s+the\s+(?:day|night|morning|"
                        r"afternoon|evening|week|weekend|month|year)\s+(?:that\s+|when\s+)?"
                        r"(?:the\s+)?[a-z]", re.IGNORECASE)  # fmt: skip


# capitalised words that are not names of things: question and function words, and days and
# months ("the trust Thursday")
NOT_NAMES = WH | AUX | DETERMINERS | PREPOSITIONS | set(MONTHS) | set(WEEKDAYS)


def time_phrase(text: str) -> bool:
    """The whole text is a time ('by May 20', 'on day one', 'in 2018') or a 'the time' clause
    ('by the time systems were back'); not a question that opens with one ('On Monday did ...')."""
    text = text.strip().rstrip("?.!").strip()
    if {w.lower() for w in TOKEN.findall(text)} & WH:  # "In what year?" asks for a time
        return False
    said = {w.lower() for w in TOKEN.findall(text)}
    return bool(TIME_PHRASE.fullmatch(text) or THE_TIME.match(text)
                or (DAY_CLAUSE.match(text) and not said & AUX))  # fmt: skip


def sluice(text: str) -> bool:
    """A question word with no clause of its own: 'In which region?', 'Why?', 'How many?'."""
    words = [w.lower() for w in TOKEN.findall(text)]
    words = words[1:] if opening_preposition(text) else words
    if not words or words[0] not in WH or set(words) & AUX:
        return False
    if words[0] == "how" and len(words) > 1 and words[1] in ("many", "much"):
        # "how many other missiles?", "how many of them?"; not "how many people live there?",
        # whose pronoun or "there" after a verb points back from a clause of its own
        clause = any(w in PERSON | THING | GROUP | {"there"} and words[i - 1] not in PREPOSITIONS
                     for i, w in enumerate(words) if i > 1)  # fmt: skip
        return len(words) <= 5 and not clause
    return len(words) <= 2 and not words[-1].endswith("ed")  # not "what happened?"


def asks_for_noun(question: str, stem: str) -> bool:
    """'Which mercenary group ...' asks for a group: a noun within three words of which/what."""
    words = [w.lower() for w in TOKEN.findall(question)]
    if not words or words[0] not in ("what", "which"):
        return False
    for word in words[1:4]:
        if word in AUX:
            return False
        owner = re.sub(r"['’]s$", "", word)
        if word.rstrip("s") == stem or owner == stem:
            return True
        if owner != word:
            return False  # "which group's chief" asks for a group, not a chief
    return False


def name_near(line: str, stem: str) -> str:
    """The name within three words after a noun in a line ('governor Vyacheslav Gladkov') or
    before it ('the Belgorod governor', 'Harbour Point ferry terminal'), not the subject of a
    verb ('Varsk accused the union', 'Varsk said the union')."""
    tokens = list(TOKEN.finditer(line))
    spots = [i for i, t in enumerate(tokens) if t.group().lower().rstrip("s") == stem]
    for i in spots:
        for j in [*range(i + 1, min(i + 4, len(tokens))), *range(i - 1, max(i - 4, -1), -1)]:
            lo, hi = sorted((i, j))
            gap = line[tokens[lo].end() : tokens[hi].start()]
            if re.search(r"[^\w\s’']", gap) and not (j == i + 1 and apposed(line, tokens[j])):
                break  # a comma or a stop between them: another clause
            between = [t.group().lower() for t in tokens[j + 1 : i]]
            if j < i and any(w.endswith("ed") or w in SAYING | AUX for w in between):
                break  # "Varsk accused the union": not a name the noun goes with
            word = tokens[j].group()
            if word[0].isupper() and word.lower() not in NOT_NAMES:
                for _, run in capitalised_runs(line):
                    if word in run.split():
                        return run
    return ""


def apposed(line: str, token: re.Match) -> bool:
    """'the chief inspector, Dr Samuel Ferrand, visited': a name set beside the noun between
    commas (or before a stop), not 'Unlike the company, Severn Trent made a profit'."""
    if line[: token.start()].rstrip()[-1:] != "," or not token.group()[0].isupper():
        return False
    for start, run in capitalised_runs(line):
        if start == token.start():
            return line[start + len(run) :].lstrip()[:1] in (",", ".", ";", "")
    return False


def with_topic(question: str, previous: str, words_too: bool = False) -> str:
    """The question with the names of the previous one it does not repeat; with `words_too`, a
    previous question without a capitalised name ("when did the rail strike start?") lends up to
    TOPIC_WORDS of its content words instead."""
    asked = content_words(question)
    found = names(previous)
    topic = [n for n in found if not content_words(n) <= asked]
    if not found and words_too:
        fresh = [w for w in dict.fromkeys(words(previous)) if content_words(w) - asked]
        topic = fresh[:TOPIC_WORDS]
    if not topic:
        return question
    return f"{question.rstrip('?.! ')} ({', '.join(topic)})?"


TOPIC_WORDS = 5  # a topic carried over several turns stays short


# "who's", "what's", "whats": a question word with "is" typed short; not "has", as in "who's
# been", "what's he done" (a participle follows, at once or after one word)
CONTRACTED = re.compile(r"\b(?:(who|what|where|when|how|it|that|there)['’]s|(what)s)\b"
                        r"(?!(?:\s+\w+)?\s+(?:been|got|gone|done|had|said|\w+ed|\w+en)\b)",
                        re.IGNORECASE)  # fmt: skip


def expand(text: str) -> str:
    """'who's the mayor?' -> 'who is the mayor?' (so it reads like the question it is)."""
    return CONTRACTED.sub(lambda m: f"{m.group(1) or m.group(2)} is", text)


def capital(text: str) -> str:
    """First letter upper case."""
    return text[:1].upper() + text[1:] if text else text
