import pytest

from qa.followup import Conversation, is_follow_up


@pytest.mark.parametrize(
    "question, expected",
    [
        ("And what did Russia say about it?", True),
        ("What about the zoo?", True),
        ("How many people did it injure?", True),
        ("Who is the mayor of Kyiv?", False),
        ("What did Prigozhin say about Bakhmut?", False),
        ("What is Kinzhal?", False),
    ],
)
def test_is_follow_up(question, expected):
    assert is_follow_up(question) is expected


def test_rewrite_uses_earlier_questions_not_answers():
    c = Conversation()
    first = "How many Kinzhal missiles did Ukraine shoot down over Kyiv?"
    assert c.rewrite(first) == first
    c.add(first)
    rewritten = c.rewrite("And what did Russia say about it?")
    assert rewritten.startswith("What did Russia say about it?")
    assert "Kinzhal" in rewritten and "Kyiv" in rewritten and "many" not in rewritten
    new_topic = "Who is the governor of the Belgorod region?"
    assert c.rewrite(new_topic) == new_topic
    c.reset()
    assert c.rewrite("And what about it?") == "And what about it?"
