"""The live index under a real `qa serve`, and the catch-up of a real `qa ask`."""

import json
import os
import time
from pathlib import Path

import httpx

from .conftest import Server, copy_seeds, qa

KINZHAL = "000_0d498ca450f5f7ad.txt"
KINZHAL_Q = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


def rewrite(docs: Path, scratch: Path) -> None:
    """Six Kinzhals become nine, written whole (a temporary file renamed over the article)."""
    path = docs / KINZHAL
    text = path.read_text(encoding="utf-8").replace("six", "nine").replace("SIX", "NINE")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def poll(url: str, until, seconds: float = 120) -> dict:
    """GET url until until(json) holds; the last body (the wait is bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        body = httpx.get(url, timeout=10).json()
        if until(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_an_edited_article_is_answered_from_its_new_text_by_a_running_server(tmp_path, store_env):
    env = {"QA_DOCS": str(copy_seeds(tmp_path / "docs")), "QA_INDEX_DIR": str(tmp_path / "ix")}
    env.update(store_env)
    s = Server(env)
    try:
        health = poll(f"{s.url}/health", lambda h: h["index_watching"] and not h["index_updating"])
        assert health["index_watching"], health
        first = httpx.post(f"{s.url}/ask", json={"question": KINZHAL_Q}, timeout=60).json()
        assert "six" in first["answer"].lower() and not first["stale"]
        rewrite(Path(env["QA_DOCS"]), tmp_path / "scratch.txt")
        before = health["index_build"]
        health = poll(f"{s.url}/health", lambda h: h["index_build"] != before)
        assert health["index_build"] != before, "no new build within 120 s"
        answer = httpx.post(f"{s.url}/ask", json={"question": KINZHAL_Q}, timeout=60).json()
        assert "nine" in answer["answer"].lower() and not answer["stale"], answer
        assert answer["citations"] and "NINE" in answer["citations"][0]["quote"].upper()
        assert health["files"] == 5
    finally:
        s.stop()


def test_qa_ask_updates_a_stale_index_before_answering_and_says_so_in_one_line(tmp_path, store_env):
    env = {"QA_DOCS": str(copy_seeds(tmp_path / "docs")), "QA_INDEX_DIR": str(tmp_path / "ix")}
    env.update(store_env)
    assert qa("index", env=env).returncode == 0
    rewrite(Path(env["QA_DOCS"]), tmp_path / "scratch.txt")
    result = qa("ask", "--json", KINZHAL_Q, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "1 changed" in lines[0] and "index updated" in lines[0], lines
    answer = json.loads(result.stdout)
    assert "nine" in answer["answer"].lower() and not answer["stale"], answer
    assert qa("index", "--check", env=env).returncode == 0
