from qa.cite import answer_line, focus
from qa.text import sentences

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


def test_sentences_keep_closing_quotes_and_cover_the_text():
    parts = [PARAGRAPH[a:b] for a, b in sentences(PARAGRAPH)]
    assert parts[2] == "“We have no choice,” she said."
    assert " ".join(parts) == PARAGRAPH


def test_the_answer_line_is_the_best_ranked_that_holds_the_reply_word_for_word():
    lines = [("a.txt", 3, "No figure here."), ("b.txt", 9, PARAGRAPH), ("c.txt", 1, "4 million")]
    assert answer_line("4  million euros", lines) == ("b.txt", 9)
    assert answer_line("five million", lines) is None
