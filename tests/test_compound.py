"""Two-part questions: how they split (a table), how the parts' answers join, and the pipeline
asking them in two readings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.answer import ABSTAIN_TEXT, Answer, Timings
from qa.cite import Citation
from qa.compound import Compound, answer_in_parts, split

# (question, first part, second part, second follows the first, a change) or None: one question
TABLE = [
    ("How many seats did the Greens win in the first round, and how many after the runoff?",
     "How many seats did the Greens win in the first round?", "How many after the runoff?",
     True, False),
    ("Who chaired the inquiry, and who wrote its report?",
     "Who chaired the inquiry?", "Who wrote its report?", True, False),
    ("How many nurses does the hospital employ according to the union, and according to the "
     "board?", "How many nurses does the hospital employ according to the union?",
     "And according to the board?", True, False),
    ("How many buses did the council say were running, compared with the operator's figure?",
     "How many buses did the council say were running?", "And the operator's figure?",
     True, False),
    ("How did the cost of the bridge change between the first estimate and the final bill?",
     "What was the cost of the bridge in the first estimate?",
     "What was the cost of the bridge in the final bill?", False, True),
    ("How did the council's forecast grow from its first figure to its revised one?",
     "What was the council's forecast in its first figure?",
     "What was the council's forecast in its revised figure?", False, True),
    ("How did the death toll rise between 4 March and 9 March?",
     "What was the death toll on 4 March?", "What was the death toll on 9 March?", False, True),
    ("How has the price of bread changed after the drought?",
     "What was the price of bread before the drought?",
     "What was the price of bread after the drought?", False, True),
    ("How many people died? And how many were hurt?",
     "How many people died?", "And how many were hurt?", True, False),
    ("Who won the seat, and by how much?", "Who won the seat?", "And by how much?", True, False),
    ("How many medals did Norway win compared with Sweden?",
     "How many medals did Norway win?", "And Sweden?", True, False),
    ("What was the price of oil before and after the attack?",
     "What was the price of oil before the attack?",
     "What was the price of oil after the attack?", False, True),
    ("How did unemployment change between March and May?",
     "What was unemployment in March?", "What was unemployment in May?", False, True),
    ("What was the jobless rate in May. What was it in June",
     "What was the jobless rate in May?", "What was it in June?", True, False),
    ("How much did the shares fall on Monday, and how much did they recover on Tuesday?",
     "How much did the shares fall on Monday?", "How much did they recover on Tuesday?",
     True, False),
    ("Is Dr. Who on tonight? Who plays him?", "Is Dr. Who on tonight?", "Who plays him?"),
    # one question each
    ("By how much did unemployment rise between March and May?", None),  # one amount
    ("What did Mrs. May say about Brexit?", None),
    ("What did the minister say about when and how the money would be spent?", None),
    ("How did sales change between the start and end of the year?", None),
    ("How did prices change between January and March in the UK?", None),
    ("How did the vote change between Monday's and Tuesday's counts?", None),
    ("What did UNICEF and WHO say about the outbreak?", None),
    ("What happened between the first call and when the ambulance arrived?", None),
    ("Who won the Arsenal versus Chelsea match?", None),
    ("How did the minimum wage rise from £10.42 to £11.44?", None),
    ("How did the metro fare rise from ₹40 to ₹55?", None),
    ("How did things change after the vote?", None),
    ("How did the fire move from the kitchen to the roof?", None),
    ("How did drivers react when fuel prices increased after the budget?", None),
    ("What did the mother of the boy who was hit by the car and who later died say?", None),
    ("What did the judge say about his conduct before, during, and after the trial?", None),
    ("What has the government done about housing, and in particular about rents?", None),
    ("Which hospital did best compared with the national average?", None),
    ("How much more did the stadium cost compared with the original budget?", None),
    ("Did the inquiry establish who knew about the leak and when they knew it?", None),
    ("At what time and where will the funeral be held?", None),
    ("How much did petrol prices increase in the month after the invasion?", None),
    ("How did the river rise so fast after the storm?", None),
    ("How much did the population grow between the 2011 and 2021 censuses?", None),
    ("Which is larger, the first figure or the second? Give the larger one.", None),
    ("How did the number of cases change between the first and second waves?", None),
    ("How has the price of eggs changed since January?", None),
    ("How many jobs were created in March compared with expectations?", None),
    ("How many votes did he get compared with what the polls predicted?", None),
    ("Which village is named both in the first report and in the second?", None),
    ("How many people were hurt between the station and the bridge?", None),
    ("Who won the vote and why?", None),
    ("Who resigned, and when?", None),
    ("How did the price change?", None),
    ("Bread and milk, and how many eggs?", None),
    ("What did the mayor say about the budget and the roads?", None),
]  # fmt: skip


@pytest.mark.parametrize("row", TABLE, ids=[r[0][:40] for r in TABLE])
def test_split(row):
    question, *expected = row
    found = split(question)
    if expected == [None]:
        assert found is None
    else:
        assert found == Compound(*expected)


SEATS = "How many seats did the Greens win in the first round, and how many after the runoff?"


def answer(question: str, text: str = "", line: int = 1, searched: str = "") -> Answer:
    """An Answer as the pipeline gives it: abstained when there is no text."""
    cited = [Citation(file="a.txt", start_line=line, end_line=line, quote=f"line {line} {text}")]
    return Answer(
        question=question,
        answer=text or ABSTAIN_TEXT,
        abstained=not text,
        citations=cited if text else [],
        retrieved=[],
        timings_ms=Timings(generate=100.0, total=150.0),
        model="fake",
        search_question=searched,
        signals={"evidence": 0.6 if line == 1 else 0.5},
        prompt_tokens=300,
        completion_tokens=3,
    )


class Script:
    """A fake one-question ask: scripted replies in order; records what it was asked."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.asked: list[tuple] = []

    def __call__(self, question, searched, past):
        self.asked.append((question, searched, list(past)))
        line = len(self.asked)
        return answer(question, self.replies.pop(0), line, searched or "")


def test_both_parts_answered_are_joined_with_both_citations():
    question = (
        "How many seats did the Greens win in the first round, and how many after the runoff?"
    )
    ask = Script("12", "15")
    whole, read = answer_in_parts(ask, question, split(question))
    assert whole.answer == "12 and 15" and not whole.abstained and len(read) == 2
    assert [c.start_line for c in whole.citations] == [1, 2]
    assert whole.question == question
    # the second part was made to stand alone with the first answer in hand, and asks past it
    assert ask.asked[1] == (
        "How many after the runoff?",
        "How many seats did the Greens win after the runoff?",
        ["12"],
    )
    assert whole.parts == [
        "How many seats did the Greens win in the first round?",
        "How many seats did the Greens win after the runoff?",
    ]
    assert whole.signals["evidence"] == 0.5  # the weaker part's
    assert whole.timings_ms.generate == 200.0 and whole.prompt_tokens == 600


def test_the_passages_of_both_parts_come_best_first_each():
    from qa.retrieve import Passage

    def passages(*ids: str) -> list[Passage]:
        return [Passage(file="a.txt", start_line=1, end_line=1, score=0.5, text="", id=i)
                for i in ids]  # fmt: skip

    class Retrieving(Script):
        def __call__(self, question, searched, past):
            found = super().__call__(question, searched, past)
            found.retrieved = passages(*(["a", "b", "c"] if len(self.asked) == 1 else "dbe"))
            return found

    whole, _ = answer_in_parts(Retrieving("12", "15"), SEATS, split(SEATS))
    assert [p.id for p in whole.retrieved] == ["a", "d", "b", "c", "e"]


def test_a_change_is_from_the_first_figure_to_the_second():
    question = (
        "How did the cost of the bridge change between the first estimate and the final bill?"
    )
    ask = Script("2 million pounds", "3.1 million pounds")
    whole, _ = answer_in_parts(ask, question, split(question))
    assert whole.answer == "from 2 million pounds to 3.1 million pounds"
    assert ask.asked[1][2] == ["2 million pounds"]  # the second reading asks past the first


@pytest.mark.parametrize("replies", [("", "15"), ("12", ""), ("12", "12")])
def test_a_part_that_finds_nothing_or_the_same_leaves_the_whole_question(replies):
    question = (
        "How many seats did the Greens win in the first round, and how many after the runoff?"
    )
    ask = Script(*replies)
    whole, read = answer_in_parts(ask, question, split(question))
    assert whole is None and len(read) == len(ask.asked)
    assert len(ask.asked) == (1 if not replies[0] else 2)  # no second reading after nothing


QUESTION = "How many Kinzhal missiles were shot down over Kyiv, and how many other missiles?"


def test_the_pipeline_reads_each_part_and_cites_both(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("six")
    fake_pipeline.generator.enqueue("12 other missiles")
    events = list(fake_pipeline.ask_stream(QUESTION))
    whole = events[-1]
    assert whole.answer == "six and 12 other missiles", whole
    assert len(fake_pipeline.generator.history) == 2  # one reading per part
    assert any("12 other missiles" in c.quote for c in whole.citations)
    assert events[:-1] and "".join(e.text for e in events[:-1]) == whole.answer
    assert whole.parts[0] == "How many Kinzhal missiles were shot down over Kyiv?"


def test_the_pipeline_reads_the_whole_question_when_a_part_finds_nothing(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    for reply in ("not stated", "six"):
        fake_pipeline.generator.enqueue(reply)
    whole = fake_pipeline.ask(QUESTION)
    assert whole.answer == "six" and whole.parts == []
    assert QUESTION in fake_pipeline.generator.history[-1][-1]["content"]
    fake_pipeline.settings.two_part = False
    fake_pipeline.generator.enqueue("six")
    alone = fake_pipeline.ask(QUESTION)
    assert whole.completion_tokens > alone.completion_tokens  # the part's reading counts


def test_two_part_reading_can_be_turned_off(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.settings.two_part = False
    fake_pipeline.generator.enqueue("six")
    assert fake_pipeline.ask(QUESTION).answer == "six"
    assert len(fake_pipeline.generator.history) == 1


WORDS = st.sampled_from(
    "how many what who when and , ? . between from to after before compared with the first "
    "final cost number rose fell changed by March 20 WHO in of a according union".split()
)


PHRASES = st.lists(WORDS, max_size=8).map(" ".join)
SHAPES = st.sampled_from([
    "How many {}, and how many {}?", "How did the cost change between {} and {}?",
    "Who {}? And who {}?", "What was the {} before and after {}?", "How many {} compared with {}",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=24).map(" ".join) | st.text(max_size=80)
       | st.builds(lambda shape, a, b: shape.format(a, b), SHAPES, PHRASES, PHRASES))  # fmt: skip
def test_split_never_fails_and_its_parts_are_questions(text):
    found = split(text)
    if found is not None:
        for part in (found.first, found.second):
            assert part.endswith("?") and len(part.strip(" ?")) > 0


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=24).map(" ".join)
       | st.builds(lambda shape, a, b: shape.format(a, b), SHAPES, PHRASES, PHRASES))  # fmt: skip
def test_asking_in_parts_never_fails(text):
    found = split(text)
    if found is not None:  # the second part is resolved against the first answer: any text
        whole, read = answer_in_parts(Script("12", "15"), text, found)
        assert read and (whole is None or whole.answer == found.join("12", "15"))


def test_a_follow_up_after_two_answers_does_not_take_them_for_one_thing():
    from qa.followup import Conversation

    whole, _ = answer_in_parts(Script("12", "15"), SEATS, split(SEATS))
    conversation = Conversation()
    conversation.remember(whole)
    assert conversation.turns[-1].answer == ""  # "12 and 15" names no one thing
    assert conversation.resolve("And in the next election?").startswith("How many seats")


def test_the_asker_stopping_ends_a_two_part_question_after_its_first_reading(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    for reply in ("six", "12 other missiles", "six"):
        fake_pipeline.generator.enqueue(reply)
    answer = fake_pipeline.ask(QUESTION, should_stop=lambda: bool(fake_pipeline.generator.history))
    assert len(fake_pipeline.generator.history) == 1 and answer.question == QUESTION


def test_a_two_part_question_is_held_to_the_length_limit(fake_pipeline):
    from qa.errors import InputError

    fake_pipeline.settings.max_question_chars = 60
    with pytest.raises(InputError):
        fake_pipeline.ask(QUESTION)
    assert fake_pipeline.generator.history == []
