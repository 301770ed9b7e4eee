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


def token_form(token: str) -> str:
    """A lower-cased token as words() gives it: no possessive 's, a number word as digits."""
    token = token.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    return NUMBERS.get(token, token)


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens, number words mapped to digits."""
    return [token_form(token) for token in WORD.findall(text.lower())]


def spelling(word: str, last: bool) -> str:
    """One form for the British and American spellings of a lower-case word ("kilometres",
    "kilometers"; "organised", "organized") and, for the last word of a phrase (the noun that
    takes the plural), its plural ("21 days", "a 21-day strike"). For matching only."""
    if last and len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    word = re.sub(r"(?<=[^aeiou\W\d])re$", "er", word)  # centre, metre
    return re.sub(r"(?<=\w\w)is(e|ed|es|ing|ation)$", r"iz\1", word)  # organise, realisation


NOBODY = {"no", "any", "every", "some", "each"}  # "no one", "any one": not the number 1
PERCENT = re.compile(r"\s*%|(?<![^\W\d_])percent\b", re.IGNORECASE)
TOKEN_OR_PERCENT = re.compile(rf"{WORD.pattern}|%", re.UNICODE)


def _same(said: str, written: str, last: bool) -> bool:
    """A reply's token and a line's token say the same: equal as words() reads them ("3" and
    "three", "SIX" and "six", "78%" and "78 per cent"), or both lower case and spelt alike."""
    a, b = token_form(said.lower()), token_form(written.lower())
    # "no one" is nobody, not 1; "one" counts as 1 only when a word of the reply follows it
    if a == b and not (b == "1" and written.lower() == "one" and last):  # ("one kilometre")
        return True
    return said.islower() and written.islower() and spelling(a, last) == spelling(b, last)


def span_saying(answer: str, text: str) -> str:
    """The words of text that say the answer, as text spells them ("21-day" for "21 days",
    "45 kilometres" for "45 kilometers", "three" for "3"), or "" when no run of its words does.
    A run never starts or ends inside a hyphenated word ("lethal" in "non-lethal"), nor spans
    other punctuation than a hyphen, and a reply with a sign or symbol ("$14 million", "-5%")
    has no span: the line's words could drop it."""
    if re.search(r"[^\w\s%.,'’-]|^\s*[-+]", answer):
        return ""
    wanted = [m.group() for m in WORD.finditer(PERCENT.sub(" per cent", answer))]
    n = len(wanted)
    spans = []  # (start, end, token); "percent" and "%" read as "per cent"
    for m in TOKEN_OR_PERCENT.finditer(text):
        pieces = ["per", "cent"] if m.group().lower() in ("%", "percent") else [m.group()]
        spans += [(m.start(), m.end(), piece) for piece in pieces]
    for i in range(len(spans) - n + 1 if n else 0):
        run = spans[i : i + n]
        start, end = run[0][0], run[-1][1]
        if text[start - 1 : start] == "-" or text[end : end + 1] == "-":
            continue
        gaps = [text[a[1] : b[0]] for a, b in zip(run, run[1:], strict=False)]
        if any(re.search(r"[^\s-]", gap) for gap in gaps):
            continue
        pairs = enumerate(zip(wanted, run, strict=True))
        if all(_same(w, t, k == n - 1) for k, (w, (_, _, t)) in pairs):
            nobody = run[0][2].lower() == "one" and i and spans[i - 1][2].lower() in NOBODY
            if not nobody:  # "No one was hurt" says nothing of "1 was hurt"
                return text[start:end]
    return ""


# words that bound or round the figure after them: "more than one kilometre", "some 70,000",
# "no fewer than 12"; not a bare "over" or "under" ("took over 3 stores", "a row over 500 cuts")
QUALIFIER = re.compile(
    r"(?<![\w-])(?:(?:(?:no|not)\s+)?(?:(?:more|fewer|less|greater|higher|lower) than|"
    r"(?:as (?:many|much|few|little) as)|nearly|almost)|at (?:least|most)|up to|close to|"
    r"upwards of|in excess of|(?:just|well) (?:over|under)|about|around|roughly|"
    r"approximately|some|an estimated)\s+$",
    re.IGNORECASE,
)
COMPARING = re.compile(r"\d[\d.,]*\s*(?:%|per ?cent|[a-z]{1,3})?\W{0,3}$", re.IGNORECASE)
CURRENCY = "$€£¥₹"
FIGURE = re.compile(
    rf"[{CURRENCY}]?\s?(?:\d|(?:{'|'.join(NUMBERS)}|a dozen|dozens|hundreds)\b)", re.IGNORECASE
)
YEAR = re.compile(r"(?:1[89]|20)\d\d")


def qualified(answer: str, text: str, at: int | None = None) -> str:
    """A figure as the line qualifies it: "more than one kilometre" for the reply "one
    kilometre" when the line says so just before it (at offset `at`, else where the line first
    holds the reply word for word, not inside a longer number), and "£75" for "75" when the line
    writes the amount in a currency. Any other reply, a year, a figure compared with another
    ("35%, lower than 40%"), or one the line does not hold: unchanged."""
    if (
        not FIGURE.match(answer)
        or YEAR.fullmatch(answer)
        or QUALIFIER.search(answer.split()[0] + " ")
    ):
        return answer
    if at is None:
        found = re.search(rf"(?<![\w.,]){re.escape(answer)}(?![\w]|[.,]\d)", text, re.IGNORECASE)
        if not found:
            return answer
        at = found.start()
    if answer[0].isdigit() and at > 0 and text[at - 1] in CURRENCY:
        at -= 1  # "£75" where the reply says "75": the amount is in pounds
        answer = text[at] + answer
    bound = QUALIFIER.search(text[:at])
    if not bound:
        return answer
    if "than" in bound.group().lower() and COMPARING.search(text[: bound.start()]):
        return answer  # "35%, lower than 40%": the comparison is the first figure's
    return text[bound.start() : at] + answer


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
