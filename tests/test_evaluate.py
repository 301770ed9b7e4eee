"""Metric functions on hand-made cases, and the gold parser on malformed input."""

import json

import pytest

from qa.answer import Answer, Timings
from qa.cite import Citation
from qa.errors import InputError
from qa.evaluate import (
    GoldItem,
    calibrate,
    citation_ok,
    contains,
    decide,
    evaluate,
    exact,
    load_gold,
    quote_faithful,
    recall_at,
    summarize,
    token_f1,
)
from qa.retrieve import Passage

F = "a.txt"
ITEM = GoldItem(id="q", question="How many?", answers=["six", "6"], evidence=[f"{F}:3", f"{F}:7-8"])


def answer(text="six", citations=(), retrieved=(), abstained=False) -> Answer:
    return Answer(question="How many?", answer=text, abstained=abstained,
                  citations=list(citations), retrieved=list(retrieved),
                  timings_ms=Timings(total=10), model="m")  # fmt: skip


def test_containment_exact_and_f1():
    assert contains("Ukraine said six.", ["six"]) and not contains("sixty", ["six"])
    assert not contains(" ".join(["word"] * 20) + " six", ["six"])  # a pasted passage
    assert contains("The Dnipro River", ["Dnipro River"])
    assert exact("the Six!", ["six"]) and not exact("six missiles", ["six"])
    assert token_f1("six missiles", ["six"]) == pytest.approx(2 / 3)
    assert token_f1("", ["six"]) == 0.0


def test_citation_precision_rules():
    assert ITEM.evidence_lines() == {(F, 3), (F, 7), (F, 8)}
    covers = Citation(file=F, start_line=3, end_line=3, quote="whatever")
    quotes = Citation(file=F, start_line=20, end_line=20, quote="they shot down six")
    wrong = Citation(file=F, start_line=20, end_line=20, quote="nothing here")
    whole = Citation(file=F, start_line=1, end_line=40, quote="six and all")
    assert citation_ok(covers, ITEM) and citation_ok(quotes, ITEM)
    assert not citation_ok(wrong, ITEM)
    assert not citation_ok(whole, ITEM)  # a whole file is not a citation


def test_summary_on_known_rows(tmp_path):
    docs = tmp_path
    (docs / F).write_text("\n".join(f"line {n}" for n in range(1, 11)) + "\n")
    good = Citation(file=F, start_line=3, end_line=3, quote="line 3")
    forged = Citation(file=F, start_line=4, end_line=4, quote="line 99")
    passages = [Passage(file=F, start_line=7, end_line=9, score=0.5, text="")]
    items = [
        ITEM,
        ITEM.model_copy(update={"id": "q2"}),
        GoldItem(id="u", question="Who?", answerable=False),
    ]
    replies = iter([
        answer("six", [good], passages),
        answer("", [], [], abstained=True),  # wrongful abstention, empty answer
        answer("Bob", [forged], []),  # answered an unanswerable one, with a forged quote
    ])  # fmt: skip
    report = evaluate(lambda q: next(replies), items, docs)
    o = report["overall"]
    assert o["accuracy"] == 0.5 and o["wrongful_abstention"] == 0.5
    assert o["abstention_accuracy"] == 0.0
    assert o["citation_precision"] == 0.5 and o["citation_recall"] == 0.5
    assert o["quote_faithfulness"] == 0.5
    assert o["recall@1"] == 0.5
    assert quote_faithful(good, docs) and not quote_faithful(forged, docs)
    assert recall_at(answer(retrieved=passages), ITEM, 1)
    assert summarize([])["accuracy"] is None


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "double quotes"),
        (json.dumps({"question": "x"}), "id"),
        (
            json.dumps({"id": "a", "question": "x", "answers": ["y"], "evidence": ["nofile"]}),
            "evidence",
        ),
        (json.dumps({"id": "a", "question": "x", "answerable": True}), "needs answers"),
        (json.dumps({"id": "a", "question": "", "answers": ["y"]}), "question"),
    ],
)
def test_malformed_gold_lines_are_reported_with_their_number(tmp_path, line, message):
    gold = tmp_path / "gold.jsonl"
    ok = json.dumps({"id": "ok", "question": "q", "answers": ["a"], "evidence": ["f.txt:1"],
                     "extra": "kept"})  # fmt: skip
    gold.write_text(ok + "\n" + line + "\n")
    with pytest.raises(InputError) as err:
        load_gold(gold)
    assert message in str(err.value) and "gold.jsonl:2:" in str(err.value)


def test_gold_keeps_unknown_fields_and_refuses_duplicates(tmp_path):
    gold = tmp_path / "g.jsonl"
    row = {"id": "a", "question": "q", "answers": ["x"], "note": "kept"}
    gold.write_text(json.dumps(row) + "\n")
    assert load_gold(gold)[0].model_extra == {"note": "kept"}
    gold.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(InputError, match="duplicate"):
        load_gold(gold)


def row(answerable, evidence, correct=True, abstained=False, **signals):
    return {"answerable": answerable, "correct": correct, "abstained": abstained,
            "signals": {"evidence": evidence, **signals}}  # fmt: skip


def test_calibrate_finds_the_threshold_between_the_classes():
    rows = [row(True, 0.8), row(True, 0.6), row(True, 0.5, correct=False), row(False, 0.3),
            row(False, 0.45), row(False, 0.9)]  # fmt: skip
    result = calibrate(rows, max_wrongful=0.0)
    assert result["thresholds"] == {"evidence": 0.475}  # halfway between 0.45 and 0.5
    step = result["steps"][0]
    assert step["abstention_accuracy"] == 0.667 and step["wrongful_abstention"] == 0.0
    assert result["before"]["abstention_accuracy"] == 0.0
    # a signal a row lacks never makes it abstain; one absent everywhere stays off
    assert result["steps"][1]["threshold"] is None


def test_calibrate_respects_the_wrongful_abstention_limit():
    rows = [row(True, 0.2), row(True, 0.8), row(False, 0.3), row(False, 0.4)]
    assert calibrate(rows, max_wrongful=0.0)["thresholds"] == {}
    assert calibrate(rows, max_wrongful=0.5)["thresholds"] == {"evidence": 0.6}
    assert decide(rows, {"evidence": 0.6})["decisions_right"] == 0.75


def test_calibrate_takes_the_middle_of_equally_good_thresholds():
    rows = [row(False, 0.1), row(False, 0.2, abstained=True), row(False, 0.3, abstained=True),
            row(True, 0.9)]  # fmt: skip
    assert calibrate(rows, max_wrongful=0.0)["thresholds"] == {"evidence": 0.25}
