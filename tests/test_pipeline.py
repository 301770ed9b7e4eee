import re

import pytest

from qa.answer import ABSTAIN_TEXT, Answer
from qa.cite import Citation, cite, verify
from qa.errors import InputError
from qa.pipeline import Token
from qa.reply import clean

KINZHAL = "000_0d498ca450f5f7ad.txt"


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("six", "six"),
        ("  Six.\nMore text", "Six"),
        ("Answer: 2018", "2018"),
        ('Short answer: "Vitali Klitschko" [2]', "Vitali Klitschko"),
        ("The short answer: Denis Pushilin", "Denis Pushilin"),
        ("", ""),
    ],
)
def test_clean(raw, cleaned):
    assert clean(raw) == cleaned


def test_answer_cites_the_line_that_holds_it(fake_pipeline):
    fake_pipeline.generator.enqueue("six")
    q = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
    answer = fake_pipeline.ask(q)
    assert not answer.abstained and answer.answer == "six"
    assert [(c.file, c.start_line, c.end_line) for c in answer.citations] in (
        [(KINZHAL, 17, 17)],
        [(KINZHAL, 19, 19)],
        [(KINZHAL, 39, 39)],
    )
    c = answer.citations[0]
    lines = (fake_pipeline.settings.docs / c.file).read_text().split("\n")
    assert c.quote == lines[c.start_line - 1]
    # the prompt came from prompts/ and carries the passages and the question
    user = fake_pipeline.generator.history[0][1]["content"]
    assert q in user and "Kinzhal" in user


def test_span_finder_answers_typed_questions_without_the_model(fake_pipeline):
    fake_pipeline.reader_mode = "spans"
    answer = fake_pipeline.ask("How many Kinzhal missiles did Ukraine say it shot down over Kyiv?")
    assert answer.answered_by == "spans" and fake_pipeline.generator.history == []
    assert re.search(rf"\b{answer.answer}\b", answer.citations[0].quote)  # its own line


def test_untyped_question_goes_to_the_model(fake_pipeline):
    fake_pipeline.reader_mode = "spans"
    fake_pipeline.generator.enqueue("dagger")
    answer = fake_pipeline.ask("What are Kinzhal missiles in Russian, difficult to intercept?")
    assert answer.answered_by == "model" and answer.answer == "dagger"
    assert "dagger" in answer.citations[0].quote


def test_a_reply_is_answered_in_the_words_of_its_line(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("6")  # the lines say "six"
    answer = fake_pipeline.ask("How many Kinzhal missiles did Ukraine say it shot down over Kyiv?")
    assert not answer.abstained and answer.answer.lower() == "six" and answer.raw_answer == "6 "
    assert re.search(rf"\b{answer.answer}\b", answer.citations[0].quote)  # its own line


def test_a_figure_is_answered_with_the_words_its_line_bounds_it_with(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("1 kilometre")  # the line: "more than one kilometre"
    answer = fake_pipeline.ask(
        "How far did Serhiy Cherevatyi say the troops advanced over the past day?"
    )
    assert not answer.abstained and answer.answer == "more than one kilometre"
    assert answer.answer in answer.citations[0].quote


def test_unsupported_reply_abstains(fake_pipeline):
    fake_pipeline.generator.enqueue("Khormov Zzyzx")
    answer = fake_pipeline.ask("Who is the mayor of Kyiv?")
    assert answer.abstained and answer.citations == [] and answer.answer == ABSTAIN_TEXT
    assert answer.abstain_reason and answer.retrieved


def test_not_stated_abstains(fake_pipeline):
    fake_pipeline.generator.enqueue("not stated")
    answer = fake_pipeline.ask("What did the mayor say about the weather?")
    assert answer.abstained and "no answer" in answer.abstain_reason


def test_low_similarity_abstains_without_generating(fake_pipeline):
    fake_pipeline.settings.min_score = 0.99
    answer = fake_pipeline.ask("zebra quantum violin")
    assert answer.abstained and fake_pipeline.generator.history == []


def test_a_follow_up_is_held_to_its_own_evidence_threshold(fake_pipeline):
    fake_pipeline.settings.min_score = 0.99
    fake_pipeline.settings.min_score_followup = 0.0
    fake_pipeline.generator.enqueue("three")
    asked = "How many did he say were hurt?"
    answer = fake_pipeline.ask(asked, search_question="How many did Klitschko say were hurt?")
    assert fake_pipeline.generator.history and answer.search_question.startswith("How many did K")
    alone = fake_pipeline.ask(asked)  # not resolved: the standalone threshold stops it
    assert alone.abstained and alone.abstain_reason == "no passage is close enough to the question"
    # "ok." taken out adds nothing the conversation said: still a question that stands alone
    polite = fake_pipeline.ask("ok. How many were hurt?", search_question="How many were hurt?")
    assert polite.abstained and polite.abstain_reason == alone.abstain_reason


@pytest.mark.parametrize("question", ["", "   \n", "x" * 2001])
def test_bad_questions_are_input_errors(fake_pipeline, question):
    with pytest.raises(InputError):
        fake_pipeline.ask(question)


def test_stream_yields_tokens_then_answer(fake_pipeline):
    fake_pipeline.generator.enqueue("Vitali Klitschko")
    events = list(fake_pipeline.ask_stream("Who is the mayor of Kyiv?"))
    assert all(isinstance(e, Token) for e in events[:-1]) and len(events) > 1
    assert isinstance(events[-1], Answer)
    assert "".join(e.text for e in events[:-1]).strip() == "Vitali Klitschko"


def test_citation_table(fake_pipeline):
    store = fake_pipeline.store
    doc = store.documents[KINZHAL]
    lines = [(KINZHAL, n, doc.lines[n - 1]) for n in (17, 31, 33)]
    cited = cite("Vitali Klitschko", "Who is the mayor of Kyiv?", lines, store)
    assert [(c.file, c.start_line) for c in cited] == [(KINZHAL, 31)]
    # words found nowhere in the lines: no citation at all
    assert cite("Khormov", "Who is the mayor?", lines, store) == []
    good = Citation(file=KINZHAL, start_line=31, end_line=31, quote=store.lines(KINZHAL, 31, 31))
    assert verify(good, store)
    assert verify(good.model_copy(update={"quote": "injuring three people"}), store)
    assert not verify(good.model_copy(update={"quote": "invented words"}), store)
    assert not verify(good.model_copy(update={"start_line": 0}), store)
    assert not verify(good.model_copy(update={"end_line": 999}), store)
    assert not verify(good.model_copy(update={"file": "../etc/passwd"}), store)


def test_a_typed_question_without_a_candidate_abstains_without_the_model(
    fake_pipeline, monkeypatch
):
    monkeypatch.setattr("qa.read.readers.best_spans", lambda *a, **k: [])
    answer = fake_pipeline.ask("How many air defence systems were delivered?")
    assert answer.abstained and "no number" in answer.abstain_reason
    assert fake_pipeline.generator.history == []


def test_a_name_no_article_mentions_is_an_abstention_with_that_name(fake_pipeline):
    fake_pipeline.generator.enqueue("six")
    answer = fake_pipeline.ask("How many Kinzhal missiles were shot down over Odesa?")
    assert answer.abstained and answer.abstain_reason == "the articles never mention Odesa"
    assert fake_pipeline.generator.history == []
    # demonyms, everyday abbreviations and names the articles do mention are fine
    assert fake_pipeline.lines.unknown_names("What is the English word for Kinzhal on UK TV?") == []
    # a question after an opening ("ok.", "another thing:") starts with a capital too
    assert fake_pipeline.lines.unknown_names("another thing: What city did Odesa shell?") == [
        "Odesa"
    ]


def test_the_model_reader_writes_and_code_finds_the_line(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("Vitali Klitschko")
    answer = fake_pipeline.ask("Who is the mayor of Kyiv?")
    assert answer.answered_by == "model" and not answer.abstained
    assert "Vitali Klitschko" in answer.citations[0].quote
    assert len(fake_pipeline.generator.history) == 1


def test_the_model_reader_abstains_on_not_stated_and_on_words_no_line_holds(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("not stated")
    assert fake_pipeline.ask("Who is the mayor of Kyiv?").abstained
    fake_pipeline.generator.enqueue("Boris Johnson of London")
    answer = fake_pipeline.ask("Who is the mayor of Kyiv?")
    assert answer.abstained and answer.citations == []


def test_a_resolved_follow_up_is_what_the_model_reads(fake_pipeline):
    fake_pipeline.generator.enqueue("a group of saboteurs")
    searched = "What did Viacheslav Gladkov say had entered Russian territory?"
    answer = fake_pipeline.ask("What did he say had entered Russian territory?",
                               search_question=searched)  # fmt: skip
    prompt = fake_pipeline.generator.history[-1][-1]["content"]
    assert searched in prompt
    assert answer.question == "What did he say had entered Russian territory?"
    assert answer.search_question == searched


def test_a_reply_that_only_repeats_the_question_is_declined(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("Kyiv")
    answer = fake_pipeline.ask("Who is the mayor of Kyiv?")
    assert answer.abstained and answer.signals["novelty"] == 0.0
    assert answer.abstain_reason == "the reply only repeats words of the question"
    fake_pipeline.generator.enqueue("Vitali Klitschko")
    answer = fake_pipeline.ask("Who is the mayor of Kyiv?")
    assert not answer.abstained and answer.signals["novelty"] == 1.0


def shown_lines(messages: list[dict]) -> list[str]:
    """The lines a prompt shows the model (between 'Lines:' and the question)."""
    user = messages[-1]["content"]
    return user.split("Lines:\n", 1)[1].split("\n\nQuestion:", 1)[0].splitlines()


def test_a_follow_up_is_read_from_more_lines_than_a_standalone_question(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    settings = fake_pipeline.settings
    assert settings.followup_lines > settings.model_lines
    question = "What did he say had entered Russian territory?"
    searched = "What did Viacheslav Gladkov say had entered Russian territory?"
    fake_pipeline.ask(searched)
    assert len(shown_lines(fake_pipeline.generator.history[-1])) == settings.model_lines
    fake_pipeline.ask(question, search_question=searched)
    assert len(shown_lines(fake_pipeline.generator.history[-1])) == settings.followup_lines
    # a question that resolved to itself stands alone: it is read like one
    fake_pipeline.ask(searched, search_question=searched)
    assert len(shown_lines(fake_pipeline.generator.history[-1])) == settings.model_lines
    # a new topic with its opening taken off ("another thing:", "ok.") adds nothing the
    # conversation said: it stands alone too
    asked = len(fake_pipeline.generator.history)
    fake_pipeline.ask("another thing: w" + searched[1:], search_question=searched)
    assert len(fake_pipeline.generator.history) == asked + 1
    assert len(shown_lines(fake_pipeline.generator.history[-1])) == settings.model_lines


def test_the_rules_fallback_reads_its_own_lines_for_a_follow_up(fake_pipeline):
    fake_pipeline.reader_mode = "spans"
    searched = "What is the view of Viacheslav Gladkov on the raid?"
    fake_pipeline.ask("What is his view on the raid?", search_question=searched)
    assert fake_pipeline.generator.history  # a question of no type goes to the model
    shown = shown_lines(fake_pipeline.generator.history[-1])
    assert len(shown) == fake_pipeline.settings.context_lines


def test_a_reply_that_repeats_the_answer_asked_past_is_read_again_without_its_lines(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    question = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
    fake_pipeline.generator.enqueue("six")
    fake_pipeline.generator.enqueue("not stated")
    answer = fake_pipeline.ask("And the other missiles?", search_question=question,
                               not_again=["Six"])  # fmt: skip
    first, second = fake_pipeline.generator.history[-2:]
    assert any("six" in line.lower() for line in shown_lines(first))
    assert second and not any("six" in line.lower() for line in shown_lines(second))
    # the second reading found nothing: the first answer stands (no new abstention)
    assert not answer.abstained and answer.answer == "six"
    # without an answer to ask past, one reading
    fake_pipeline.generator.history.clear()
    fake_pipeline.generator.enqueue("six")
    fake_pipeline.ask("And the other missiles?", search_question=question)
    assert len(fake_pipeline.generator.history) == 1


def test_the_stream_and_the_usage_are_those_of_the_reading_kept(fake_pipeline):
    from qa.read import Token

    fake_pipeline.reader_mode = "model"
    question = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
    for reply in ("six", "a week ago"):
        fake_pipeline.generator.enqueue(reply)
    events = list(fake_pipeline.ask_stream("And the other missiles?", search_question=question,
                                           not_again=["six"]))  # fmt: skip
    answer = events[-1]
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert len(fake_pipeline.generator.history) == 2 and not answer.abstained
    assert answer.answer != "six" and streamed.strip() == answer.raw_answer.strip()
    # both readings were spent: the usage counts the two replies' tokens (1 + 3)
    assert answer.completion_tokens == 4
    # a second reading that is not kept still counts, and the first reading's words stream
    fake_pipeline.generator.history.clear()
    for reply in ("six", "not stated"):
        fake_pipeline.generator.enqueue(reply)
    events = list(fake_pipeline.ask_stream("And the other missiles?", search_question=question,
                                           not_again=["six"]))  # fmt: skip
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert events[-1].answer == "six" and streamed.strip() == "six"
    assert events[-1].completion_tokens == 3


def test_asking_past_with_no_other_line_keeps_the_answer(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("six")
    question = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
    answer = fake_pipeline.ask(question, search_question=question)
    lines = [ln for ln in fake_pipeline.lines.rank_lines(question, answer.retrieved, None)
             if "six" in ln.text.lower()]  # fmt: skip
    before = answer.model_dump()
    fake_pipeline._read_past(answer, question, lines, None, 5, ["six"])
    assert answer.model_dump() == before and len(fake_pipeline.generator.history) == 1


def test_a_busy_model_on_the_second_reading_keeps_the_first(fake_pipeline, monkeypatch):
    from qa.errors import BusyError

    fake_pipeline.reader_mode = "model"
    stream = fake_pipeline.generator.stream
    calls = []

    def busy_the_second_time(*args, **kw):
        calls.append(1)
        if len(calls) > 1:
            raise BusyError("the model is busy")
        yield from stream(*args, **kw)

    monkeypatch.setattr(fake_pipeline.generator, "stream", busy_the_second_time)
    fake_pipeline.generator.enqueue("six")
    question = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
    answer = fake_pipeline.ask("And in Bakhmut?", search_question=question, not_again=["six"])
    assert len(calls) == 2 and not answer.abstained and answer.answer == "six"
