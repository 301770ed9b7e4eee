"""CI gate: `qa eval` on the test split must not regress below the measured figures."""

import json

from .conftest import ROOT, qa

# measured on tests/gold/test.jsonl with the default models (see README); set a little below
GATES = {
    "--min-accuracy": "0.35",
    "--min-citation-precision": "0.5",
    "--min-citation-recall": "0.5",
    "--min-abstention": "0.25",
    "--max-wrongful-abstention": "0.2",
}


def test_eval_on_the_test_split_meets_the_gates(built, tmp_path):
    out = tmp_path / "test-report.json"
    args = ["eval", str(ROOT / "tests" / "gold" / "test.jsonl"), "--out", str(out)]
    for flag, value in GATES.items():
        args += [flag, value]
    result = qa(*args, env=built, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    overall = json.loads(out.read_text())["overall"]
    assert overall["quote_faithfulness"] == 1.0
    assert overall["questions"] == 39
