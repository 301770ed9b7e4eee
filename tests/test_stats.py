from qa.stats import answer_precision, interval, risk_coverage
from qa.suite import cell, discover


def test_interval_is_about_plus_minus_twelve_points_at_sixty_questions():
    low, high = interval([True] * 36 + [False] * 24)
    assert low < 0.6 < high and 0.2 < high - low < 0.3
    assert interval([]) is None and interval([True] * 5) == (1.0, 1.0)


def row(correct: bool, abstained: bool, evidence: float, answerable: bool = True) -> dict:
    return {"correct": correct, "abstained": abstained, "answerable": answerable,
            "signals": {"evidence": evidence}}  # fmt: skip


def test_answer_precision_counts_only_the_answers_given():
    rows = [row(True, False, 0.9), row(False, True, 0.2), row(False, False, 0.5, False)]
    assert answer_precision(rows) == [True, False]


def test_risk_coverage_raises_the_threshold_one_answer_at_a_time():
    rows = [
        row(True, False, 0.9),
        row(False, False, 0.5),
        row(True, False, 0.4),
        row(False, True, 0),
    ]
    points = risk_coverage(rows)
    assert [p["threshold"] for p in points] == [0.9, 0.5, 0.4]
    assert [p["precision"] for p in points] == [1.0, 0.5, 0.667]
    assert [p["coverage"] for p in points] == [0.25, 0.5, 0.75]


def test_discover_pairs_each_gold_file_with_its_corpus(tmp_path):
    gold, corpora, seeds = tmp_path / "gold", tmp_path / "corpora", tmp_path / "seeds"
    for d in (gold, corpora / "flood", seeds):
        d.mkdir(parents=True)
    for name in ("dev", "test", "flood"):
        (gold / f"{name}.jsonl").write_text("{}\n")
    sets = discover(gold, corpora, seeds)
    assert [(s.name, s.role, s.docs) for s in sets] == [
        ("dev", "tune", seeds), ("test", "frozen", seeds), ("flood", "frozen", corpora / "flood"),
    ]  # fmt: skip


def test_a_cell_shows_the_interval():
    assert cell({"accuracy": 0.5, "accuracy_ci": (0.3, 0.7)}, "accuracy") == "0.50 (0.30–0.70)"
    assert cell({"accuracy": None}, "accuracy") == "—"


def test_conversation_files_are_their_own_sets(tmp_path):
    from qa.suite import is_conversation_file

    gold, seeds = tmp_path / "gold", tmp_path / "seeds"
    (gold / "conversations").mkdir(parents=True)
    seeds.mkdir()
    (gold / "dev.jsonl").write_text('{"id": "a", "question": "q"}\n')
    (gold / "conversations" / "seeds.jsonl").write_text('{"id": "c", "turns": ["a", "b"]}\n')
    (gold / "conversations" / "dev.jsonl").write_text('{"id": "d", "turns": ["a", "b"]}\n')
    sets = discover(gold, tmp_path / "corpora", seeds)
    assert [(s.name, s.conversations, s.role, s.docs) for s in sets] == [
        ("dev", False, "tune", seeds), ("dev-conv", True, "tune", seeds),
        ("seeds-conv", True, "frozen", seeds),
    ]  # fmt: skip
    assert is_conversation_file(gold / "conversations" / "seeds.jsonl")
    assert not is_conversation_file(gold / "dev.jsonl")


def test_a_single_gold_file_is_a_tuning_set_only_when_named_dev():
    from pathlib import Path

    from qa.suite import tuning

    assert tuning(Path("tests/gold/dev2.jsonl"))
    assert tuning(Path("tests/gold/conversations/dev.jsonl"))
    assert not tuning(Path("tests/gold/conversations/seeds.jsonl"))
