from qa.policy import Policy


def policy(**kw) -> Policy:
    return Policy(**{"min_score": 0.35, "min_fit": 0.16, "min_coverage": 0.0, **kw})


def test_weak_evidence_and_unknown_names_stop_reading_with_a_reason():
    assert policy().before_reading({"evidence": 0.2}, []) == (
        "no passage is close enough to the question"
    )
    assert policy().before_reading({"evidence": 0.6}, ["Odesa"]) == (
        "the articles never mention Odesa"
    )
    assert policy(unknown_names=False).before_reading({"evidence": 0.6}, ["Odesa"]) == ""
    assert policy().before_reading({}, []) != ""  # no lines at all: nothing to read


def test_fit_and_coverage_decide_after_reading():
    assert policy().after_reading({"fit": 0.1, "coverage": 1.0}).startswith("no candidate")
    assert policy(min_coverage=0.5).after_reading({"coverage": 0.2}).startswith("the cited line")
    assert policy().after_reading({"coverage": 0.2}) == ""  # no fit signal: not a which-question
