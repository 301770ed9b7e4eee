from qa.cite import answer_line, focus, line_saying
from qa.text import qualified, sentences, span_saying, words

PARAGRAPH = (
    "The council met on Monday. Mayor Ana Ruiz said the wall would cost 4 million euros. "
    "“We have no choice,” she said. Work starts in June."
)


def test_a_long_line_is_quoted_by_the_sentence_that_holds_the_answer():
    a, b = focus(PARAGRAPH, "4 million euros")
    assert PARAGRAPH[a:b] == "Mayor Ana Ruiz said the wall would cost 4 million euros."
    a, b = focus(PARAGRAPH, "", at=PARAGRAPH.index("June"))
    assert PARAGRAPH[a:b] == "Work starts in June."
    assert focus(PARAGRAPH, "Boris") is None
    # the sentence that says the figure as a whole number, not one with it inside another
    dated = "Drains went uncleared in 2021. Engineers found 2 cracks."
    a, b = focus(dated, "2")
    assert dated[a:b] == "Engineers found 2 cracks."


def test_sentences_keep_closing_quotes_and_cover_the_text():
    parts = [PARAGRAPH[a:b] for a, b in sentences(PARAGRAPH)]
    assert parts[2] == "“We have no choice,” she said."
    assert " ".join(parts) == PARAGRAPH


def test_the_answer_line_is_the_best_ranked_that_holds_the_reply_word_for_word():
    lines = [("a.txt", 3, "No figure here."), ("b.txt", 9, PARAGRAPH), ("c.txt", 1, "4 million")]
    assert answer_line("4  million euros", lines) == ("b.txt", 9)
    assert answer_line("five million", lines) is None
    # whole numbers: "2" is not in "2021" nor "3%" in "2.3%"; the line that says "two" says it
    years = [("e.txt", 4, "Drains were not cleared in 2021 or 2022."), ("f.txt", 7, "Two were.")]
    assert answer_line("2", years) is None
    assert line_saying("2", years) == ("Two", ("f.txt", 7))
    assert answer_line("3%", [("g.txt", 1, "Inflation was 2.3% in May.")]) is None
    # a line that holds the reply word for word comes first; then one that says it otherwise
    spelt = [("c.txt", 2, "a 21-day strike"), ("d.txt", 5, "the 21 days of the strike")]
    assert line_saying("21 days", spelt) == ("21 days", ("d.txt", 5))
    assert line_saying("21 days", spelt[:1]) == ("21-day", ("c.txt", 2))
    assert line_saying("22 days", spelt) is None


def test_a_reply_is_found_in_the_words_the_line_spells_it_with():
    assert span_saying("21 days", "ending a 21-day strike at the port") == "21-day"
    assert span_saying("45 kilometers", "an infirmary about 45 kilometres away") == "45 kilometres"
    assert span_saying("organized crime", "Police blamed organised crime.") == "organised crime"
    assert span_saying("3", "Three people were hurt.") == "Three"
    assert span_saying("78%", "backed by 78 per cent of members") == "78 per cent"
    assert span_saying("78 per cent", "backed by 78% of members") == "78%"
    # a sign the line's words would lose is not dropped: no span
    assert span_saying("$14 million", "about 14 million dollars") == ""
    assert span_saying("-5%", "output rose 5 per cent") == ""
    # never part of a hyphenated word, across punctuation, or "one" as in "no one"
    assert span_saying("lethal weapons", "the US sent non-lethal weapon systems") == ""
    assert span_saying("20", "twenty-five people died") == ""
    assert span_saying("5 degrees", "temperatures of -5 degree") == ""
    assert span_saying("3 soldiers", "“three” soldiers") == ""
    assert span_saying("Kyiv Kharkiv", "Kyiv. Kharkiv was hit") == ""
    assert span_saying("1", "No one was hurt.") == ""
    # "one" followed by the reply's next word is the number: "one kilometre"
    assert span_saying("1 kilometre", "they advanced more than one kilometre") == "one kilometre"
    assert span_saying("1 was hurt", "No one was hurt in the blast.") == ""
    # names are spelt as written, and only the last word of a phrase takes a plural
    assert span_saying("Lucas", "Luca Rossi said") == "" and span_saying("acres", "Acer") == ""
    assert span_saying("new rule", "the news rules") == ""
    # a word the line does not hold, or words apart, say nothing
    assert span_saying("the bus", "the buses stopped") == ""
    assert span_saying("Kinzhal missile", "a Kinzhal hypersonic missile") == ""
    assert span_saying("", "anything") == ""
    # "us", "is" and "ss" endings are not plurals
    assert span_saying("paris", "talks in pari") == "" and span_saying("bus", "one bu") == ""


def test_words_lower_case_drop_the_possessive_and_spell_numbers_in_digits():
    assert words("Mayor Ruiz’s SIX offers, 4,000 euros") == [
        "mayor",
        "ruiz",
        "6",
        "offers",
        "4,000",
        "euros",
    ]


def test_a_figure_keeps_the_words_that_bound_it_in_its_line():
    line = "they advanced more than one kilometre, and some 70,000 people fled"
    assert qualified("one kilometre", line) == "more than one kilometre"
    assert qualified("70,000", line) == "some 70,000"
    assert qualified("$4.5 million", "a ransom of nearly $4.5 million") == "nearly $4.5 million"
    assert qualified("75", "raised the payment to £75 per household") == "£75"  # its currency
    assert qualified("4.5 million", "a ransom of nearly $4.5 million") == "nearly $4.5 million"
    assert qualified("75", "a 75-page report, price 75") == "75"  # no currency before it
    assert qualified("12", "up to 12 ships; 12 more", at=16) == "12"  # the second 12: no bound
    assert qualified("12", "Up to 12 ships") == "Up to 12"  # as the line writes it
    # not a figure, already bounded, not in the line, or inside a word: unchanged
    assert qualified("Kyiv", "talks about Kyiv") == "Kyiv"
    assert qualified("about 12", "about 12 ships") == "about 12"
    assert qualified("12", "13 ships") == "12"
    assert qualified("12", "the over-12 team") == "12"
    assert qualified("12", "the turnover 12 times") == "12"
    # a negation stays with its bound; "over" as a particle or preposition bounds nothing
    assert qualified("40", "No more than 40 people were let in.") == "No more than 40"
    assert qualified("3 stores", "Vexa took over 3 stores.") == "3 stores"
    assert qualified("500", "a row over 500 job cuts") == "500"
    assert qualified("1,000", "just over 1,000 people") == "just over 1,000"
    # a figure compared with another, a year, or a match inside a longer number: unchanged
    assert qualified("40%", "Turnout was 35%, lower than 40% in 2019.") == "40%"
    assert qualified("2019", "higher than 2019 levels") == "2019"
    assert qualified("40", "Some 40,000 marched; 40 were held.") == "40"
