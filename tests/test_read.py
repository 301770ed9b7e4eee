import pytest

from qa.read import answer_type, capitalised_runs


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many Kinzhal missiles did Ukraine shoot down?", "number"),
        ("In what year did Putin present the Kinzhal?", "date"),
        ("When did the offensive start?", "date"),
        ("Who is the mayor of Kyiv?", "name"),
        ("In which city did the fighting take place?", "place"),
        ("Which agency took the picture?", "proper"),
        ("Which side has the upper hand when it comes to manpower?", "proper"),
        ("What does Kinzhal mean?", "other"),
    ],
)
def test_answer_type_follows_the_first_question_word(question, kind):
    assert answer_type(question) == kind


def test_capitalised_runs_link_of_and_the():
    text = "According to the Institute for the Study of War (ISW), Wagner left."
    runs = [t for _, t in capitalised_runs(text)]
    assert "Institute for the Study of War" in runs and "ISW" in runs and "According" not in runs
