"""CI gates: `qa eval --all` on the frozen sets must stay above fixed floors.

The floors (tests/gold/floors.json) sit a clear margin below the figures measured when they were
set (see the README) and are never raised to follow an improvement: they are a regression alarm.
"""

import json

from .conftest import ROOT, qa

FROZEN = {"test": 39, "holdout": 30, "council": 73, "transfer": 66, "recall": 30, "flood": 30}


def test_the_frozen_sets_stay_above_their_floors(built, tmp_path):
    out, floors = tmp_path / "all.json", ROOT / "tests" / "gold" / "floors.json"
    assert sorted(json.loads(floors.read_text())) == sorted(FROZEN)
    # the seeds' sets use the built copy of the seeds; the corpora get indexes of their own
    args = ["eval", "--all", "--sets", ",".join(FROZEN), "--floors", str(floors), "--out", str(out)]
    dirs = [
        "--gold-dir",
        str(ROOT / "tests" / "gold"),
        "--corpora-dir",
        str(ROOT / "tests" / "corpora"),
    ]
    result = qa(*args, *dirs, env=built, timeout=2400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    sets = json.loads(out.read_text())["sets"]
    assert {name: r["overall"]["questions"] for name, r in sets.items()} == FROZEN
    assert all(r["overall"]["quote_faithfulness"] == 1.0 for r in sets.values())


def test_a_floor_that_is_missed_fails_the_run(built, tmp_path):
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"holdout": {"min_accuracy": 0.99}}))
    result = qa("eval", "--all", "--sets", "holdout", "--floors", str(floors),
                "--gold-dir", str(ROOT / "tests" / "gold"), env=built, timeout=900)  # fmt: skip
    assert result.returncode == 1
    assert "holdout: accuracy" in result.stderr and "min-accuracy 0.99" in result.stderr


def test_calibrate_reports_a_threshold_per_signal(built, tmp_path):
    out = tmp_path / "calibration.json"
    gold = ROOT / "tests" / "gold" / "dev.jsonl"
    result = qa("eval", str(gold), "--calibrate", "--out", str(out), env=built, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "use: QA_MIN_SCORE=" in result.stdout and "QA_MIN_FIT=" in result.stdout
    calibration = json.loads(out.read_text())["calibration"]
    assert [s["signal"] for s in calibration["steps"]] == ["evidence", "fit", "coverage", "novelty"]
    assert all(s["wrongful_abstention"] <= 0.1 for s in calibration["steps"])
    # asked with the thresholds off: every abstention left is the model's or a rule's own
    reasons = {q["abstain_reason"] for q in json.loads(out.read_text())["questions"]}
    assert "no passage is close enough to the question" not in reasons
