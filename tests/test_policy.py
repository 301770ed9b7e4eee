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


def test_a_follow_up_has_its_own_evidence_threshold():
    terse = {"evidence": 0.25}  # "which firm does she work for": its best line is less like it
    assert policy().before_reading(terse, []) != ""
    assert policy().before_reading(terse, [], followup=True) != ""  # no threshold of its own
    assert policy(min_score_followup=0.15).before_reading(terse, [], followup=True) == ""
    assert policy(min_score_followup=0.15).before_reading(terse, []) != ""  # standalone: 0.35
    assert policy(min_score_followup=0.15).before_reading({"evidence": 0.1}, [], followup=True)


def test_calibration_turns_the_follow_up_threshold_off_too():
    from qa.policy import OFF
    from qa.settings import Settings

    off = Policy.from_settings(Settings().model_copy(update=OFF))
    assert off.before_reading({"evidence": -0.5}, [], followup=True) == ""
    assert off.before_reading({"evidence": -0.5}, []) == ""


def test_fit_and_coverage_decide_after_reading():
    assert policy().after_reading({"fit": 0.1, "coverage": 1.0}).startswith("no candidate")
    assert policy(min_coverage=0.5).after_reading({"coverage": 0.2}).startswith("the cited line")
    assert policy().after_reading({"coverage": 0.2}) == ""  # no fit signal: not a which-question


def test_a_reply_made_of_the_question_s_own_words_is_declined():
    from qa.reply import ALTERNATIVES, novelty

    assert novelty("Ukraine", "Who is the president of Ukraine?") == 0.0
    assert novelty("Volodymyr Zelensky", "Who is the president of Ukraine?") == 1.0
    assert novelty("the Kyiv zoo", "How many were hurt at the zoo?") == 0.5
    reason = policy(min_novelty=0.01).after_reading({"novelty": 0.0})
    assert reason == "the reply only repeats words of the question"
    assert policy(min_novelty=0.01).after_reading({"novelty": 0.5}) == ""
    assert ALTERNATIVES.search("Was the bridge closed or reopened?")
    assert not ALTERNATIVES.search("Who ordered the closure?")
