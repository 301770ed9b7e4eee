"""The core with the real embedded models, through the real command line."""

import json
from pathlib import Path

from .conftest import ROOT, copy_seeds, index_file, qa

KINZHAL_Q = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


def file_lines(docs: str, file: str) -> list[str]:
    return (Path(docs) / file).read_text(encoding="utf-8").split("\n")


def test_ask_json_answers_six_and_cites_the_line(built):
    result = qa("ask", "--json", KINZHAL_Q, env=built)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert not answer["abstained"]
    assert "six" in answer["answer"].lower() or "6" in answer["answer"]
    assert answer["citations"], answer
    for c in answer["citations"]:
        assert c["file"] == "000_0d498ca450f5f7ad.txt"
        lines = file_lines(built["QA_DOCS"], c["file"])
        assert c["quote"] == "\n".join(lines[c["start_line"] - 1 : c["end_line"]])
        assert "six" in c["quote"].lower()
    assert set(answer["timings_ms"]) >= {"retrieve", "generate", "total"}
    assert answer["model"].endswith(".gguf") and len(answer["retrieved"]) >= 3


def test_ask_prints_answer_and_citations(built):
    result = qa("ask", "Who is the mayor of Kyiv?", env=built)
    assert result.returncode == 0, result.stderr
    assert "Klitschko" in result.stdout
    assert "000_0d498ca450f5f7ad.txt:31-31" in result.stdout


def test_out_of_scope_question_abstains(built):
    result = qa("ask", "--json", "What is the recipe for a chocolate cake?", env=built)
    answer = json.loads(result.stdout)
    assert answer["abstained"] and answer["citations"] == [] and answer["abstain_reason"]


def test_user_errors_are_one_line_and_nonzero(built, tmp_path):
    cases = [
        (["ask", "   "], {}, 2, "empty"),
        (["ask", "hi", "--model", str(tmp_path / "nope.gguf")], {}, 4, "nope.gguf"),
        (["index", "--docs", str(tmp_path / "missing")], {}, 2, "missing"),
        (["ask", "hi", "--top-k", "0"], {}, 2, "top-k"),
    ]
    for args, env, code, words in cases:
        result = qa(*args, env={**built, **env})
        assert result.returncode == code, (args, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr


def test_corrupt_index_suggests_rebuild_and_rebuild_fixes_it(tmp_path):
    env = {"QA_DOCS": str(copy_seeds(tmp_path / "docs")), "QA_INDEX_DIR": str(tmp_path / "ix")}
    assert qa("index", env=env).returncode == 0
    index_file(tmp_path / "ix", "dense.faiss").write_bytes(b"garbage")
    result = qa("ask", "Who is the mayor of Kyiv?", env=env)
    assert result.returncode == 3 and "qa index --rebuild" in result.stderr
    assert "Traceback" not in result.stderr
    assert qa("index", "--rebuild", env=env).returncode == 0
    assert qa("ask", "Who is the mayor of Kyiv?", env=env).returncode == 0


def test_ask_builds_a_missing_index_first_and_index_is_incremental(tmp_path):
    docs = copy_seeds(tmp_path / "docs")
    env = {"QA_DOCS": str(docs), "QA_INDEX_DIR": str(tmp_path / "ix")}
    result = qa("ask", "Who is the mayor of Kyiv?", env=env)
    assert result.returncode == 0 and "building the index" in result.stderr
    (docs / "005_extra.md").write_text("# Extra\n\nThe zoo reopened on Friday.\n")
    result = qa("index", env=env)
    assert "1 added, 0 changed, 0 removed, 5 unchanged" in result.stdout


def test_eval_on_a_three_question_gold_file(built, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "id": "a",
            "question": KINZHAL_Q,
            "answers": ["six", "6"],
            "evidence": ["000_0d498ca450f5f7ad.txt:17"],
            "answerable": True,
            "kind": "factoid",
        },
        {
            "id": "b",
            "question": "Who is the mayor of Kyiv?",
            "answers": ["Vitali Klitschko"],
            "evidence": ["000_0d498ca450f5f7ad.txt:31"],
            "answerable": True,
            "kind": "factoid",
        },
        {
            "id": "c",
            "question": "What is the recipe for a chocolate cake?",
            "answers": [],
            "evidence": [],
            "answerable": False,
            "kind": "out_of_scope",
        },
    ]
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "report.json"
    result = qa("eval", str(gold), "--out", str(out), "--min-accuracy", "0.5", env=built)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["overall"]["questions"] == 3
    assert report["overall"]["quote_faithfulness"] == 1.0
    assert report["overall"]["accuracy"] == 1.0
    assert report["overall"]["abstention_accuracy"] == 1.0
    assert "accuracy" in result.stdout and "recall@3" in result.stdout
    failing = qa("eval", str(gold), "--min-accuracy", "1.01", env=built)
    assert failing.returncode == 1 and "below threshold" in failing.stderr


def test_eval_of_conversations_with_gold_earlier_answers(built, tmp_path):
    # the first turn is not asked: its gold answer, cited from the line that says it, is what
    # "he" points to; a gold answer no line says leaves the follow-up with nothing to lean on
    conv = {
        "kind": "answer_entity",
        "answerable": True,
        "answers": ["three", "3"],
        "evidence": ["000_0d498ca450f5f7ad.txt:31"],
        "standalone": "How many people did Kyiv mayor Vitali Klitschko say were injured?",
    }
    rows = [
        conv | {"id": "a", "turns": ["Who is the mayor of Kyiv?", "How many did he say were hurt?"],
                "turn_answers": [["Vitali Klitschko"], ["three"]]},
        conv | {"id": "b", "turns": ["Who is the mayor of Kyiv?", "How many did he say were hurt?"],
                "turn_answers": [["Ada Lovelace"], ["three"]]},
    ]  # fmt: skip
    gold = tmp_path / "conv.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "report.json"
    result = qa("eval", str(gold), "--gold-earlier", "--out", str(out), env=built)
    assert result.returncode == 0, result.stderr
    assert "earlier turns took their gold answers" in result.stderr
    report = json.loads(out.read_text())
    assert report["earlier_turns"] == "gold"
    a, b = report["conversations"]
    assert a["earlier"] == ["Vitali Klitschko"] and "Vitali Klitschko" in a["searched"]
    assert b["earlier"] == ["The articles don't say."] and "Lovelace" not in b["searched"]
    refused = qa("eval", str(gold), "--gold-earlier", "--calibrate", env=built)
    assert refused.returncode != 0 and "--gold-earlier is for conversations" in refused.stderr
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({k: v for k, v in rows[0].items() if k != "turn_answers"}) + "\n")
    refused = qa("eval", str(bare), "--gold-earlier", env=built)
    assert refused.returncode != 0 and "needs turn_answers" in refused.stderr
    questions = ROOT / "tests" / "gold" / "dev.jsonl"
    refused = qa("eval", str(questions), "--gold-earlier", env=built)
    assert refused.returncode != 0 and "is for conversation files" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_readme_sample_question_is_the_done_when_question():
    assert KINZHAL_Q in (ROOT / "Makefile").read_text()
