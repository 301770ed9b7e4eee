"""`qa ask` over Milvus Lite (QA_STORE=file.db): same answer and citation as the local store."""

import json

from .conftest import qa

QUESTION = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


def test_ask_over_milvus_lite_matches_the_local_store(built, tmp_path):
    local = qa("ask", "--json", QUESTION, env=built, timeout=600)
    milvus_env = {**built, "QA_STORE": str(tmp_path / "qa.db")}
    first = qa("ask", "--json", QUESTION, env=milvus_env, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "building the index now" in first.stderr  # built into Milvus on first use
    again = qa("ask", "--json", QUESTION, env=milvus_env, timeout=600)
    assert "building" not in again.stderr  # and loaded, not rebuilt, the next time
    a, b = json.loads(local.stdout), json.loads(again.stdout)
    assert b["answer"] == a["answer"] == "six"
    assert [(c["file"], c["start_line"]) for c in b["citations"]] == [
        (c["file"], c["start_line"]) for c in a["citations"]
    ]
