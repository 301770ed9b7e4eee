"""Faults an operator meets, through real `qa` processes: articles changed under an index."""

import concurrent.futures as cf
import json
import shutil
import subprocess
import time
from itertools import islice
from pathlib import Path

import httpx
import pytest

from .conftest import Server, copy_seeds, free_port, index_file, qa

KINZHAL = "000_0d498ca450f5f7ad.txt"
KINZHAL_Q = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, str]:
    """A fresh copy of the seeds, indexed."""
    env = {"QA_DOCS": str(copy_seeds(tmp_path / "docs")), "QA_INDEX_DIR": str(tmp_path / "index")}
    result = qa("index", env=env)
    assert result.returncode == 0, result.stderr
    return env


def no_embedder(env: dict[str, str]) -> dict[str, str]:
    """The same settings with an embedder folder that does not exist: loading it would fail."""
    manifest = json.loads((Path(env["QA_INDEX_DIR"]) / "current" / "manifest.json").read_text())
    return {**env, "QA_EMBEDDER": f"/nonexistent/{manifest['embedder']}"}


def on_disk(env: dict[str, str], c: dict) -> str:
    lines = (Path(env["QA_DOCS"]) / c["file"]).read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[c["start_line"] - 1 : c["end_line"]])


def ask(env: dict[str, str]) -> dict:
    result = qa("ask", "--json", KINZHAL_Q, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_edited_article_is_never_cited_stale_and_check_reports_it(corpus):
    """Defect 1: three lines deleted above the cited line; then `qa index` makes it fresh."""
    fast = no_embedder(corpus)
    check = qa("index", "--check", env=fast)
    assert check.returncode == 0 and "up to date" in check.stdout, check.stderr
    path = Path(corpus["QA_DOCS"]) / KINZHAL
    path.write_text("".join(path.read_text().splitlines(keepends=True)[3:]))
    check = qa("index", "--check", env=fast)
    assert check.returncode == 1 and f"changed  {KINZHAL}" in check.stdout, check.stdout
    answer = ask(corpus)  # `qa ask` brings the index up to date first
    assert qa("index", "--check", env=fast).returncode == 0
    assert not answer["stale"] and not answer["abstained"] and answer["citations"]
    assert all(c["quote"] == on_disk(corpus, c) for c in answer["citations"])


def test_deleted_article_is_never_cited(corpus):
    (Path(corpus["QA_DOCS"]) / KINZHAL).unlink()
    check = qa("index", "--check", env=no_embedder(corpus))
    assert check.returncode == 1 and f"deleted  {KINZHAL}" in check.stdout
    answer = ask(corpus)
    assert not any(c["file"] == KINZHAL for c in answer["citations"])
    assert not any(p["file"] == KINZHAL for p in answer["retrieved"])


def test_emptied_article_is_removed_by_qa_index(corpus):
    """Defect 2: an article truncated to 0 bytes leaves the index on `qa index`."""
    (Path(corpus["QA_DOCS"]) / KINZHAL).write_bytes(b"")
    check = qa("index", "--check", env=no_embedder(corpus))
    assert check.returncode == 1 and f"emptied  {KINZHAL}" in check.stdout
    result = qa("index", env=corpus)
    assert result.returncode == 0 and "1 emptied" in result.stdout, result.stdout
    assert qa("index", "--check", env=no_embedder(corpus)).returncode == 0
    answer = ask(corpus)
    assert not any(c["file"] == KINZHAL for c in answer["citations"])
    assert not any(p["file"] == KINZHAL for p in answer["retrieved"])


def test_index_with_nothing_to_do_never_loads_the_embedder(corpus):
    """Defect 11 (part): a no-op `qa index` returns at once; the embedder path is never opened."""
    started = time.perf_counter()
    result = qa("index", env=no_embedder(corpus))
    elapsed = time.perf_counter() - started
    assert result.returncode == 0 and "nothing to do" in result.stdout, result.stderr
    print(f"no-op qa index: {elapsed:.1f}s")


def test_odd_files_are_skipped_with_a_reason_never_the_end_of_the_run(tmp_path):
    """Defects 4 and 10: every odd file named in a table with its reason; the rest indexed."""
    from tests.test_store import add_odd_files

    outside = tmp_path / "outside"
    outside.mkdir()
    env = {
        "QA_DOCS": str(copy_seeds(tmp_path / "docs")),
        "QA_INDEX_DIR": str(tmp_path / "index"),
        "QA_MAX_FILE_BYTES": "15000",
    }
    expected = add_odd_files(tmp_path / "docs", outside)
    result = qa("index", env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{len(expected)} skipped" in result.stdout and "indexed 6 files" in result.stdout
    for file, words in expected.items():
        row = next(line for line in result.stdout.splitlines() if file in line)
        assert words in row, row
    assert "latin.txt" in result.stdout and "read as cp1252" in result.stdout
    check = qa("index", "--check", env=no_embedder(env))
    assert check.returncode == 0, check.stdout


def drop_docs_key(path: Path) -> None:
    manifest = json.loads(path.read_text())
    del manifest["docs"]
    path.write_text(json.dumps(manifest))


DAMAGE = {
    "lines.bin": lambda p: p.write_bytes(b"".join(p.read_bytes().splitlines(True)[:-1])),
    "spans.npy": lambda p: p.write_bytes(b""),
    "manifest.json": drop_docs_key,
}


def test_damaged_index_fails_fast_in_one_line_and_never_serves(corpus):
    """Defects 5 and 6: checked before any model loads (the embedder here does not exist, so
    loading it would exit 4); `qa serve` refuses to start; `qa index` rebuilds."""
    fast = no_embedder(corpus)
    for name, damage in DAMAGE.items():
        damage(index_file(corpus["QA_INDEX_DIR"], name))
        runs = {
            "ask": qa("ask", KINZHAL_Q, env=fast),
            "serve": qa("serve", "--port", str(free_port()), env=fast, timeout=60),
            "check": qa("index", "--check", env=fast),
        }
        for command, run in runs.items():
            lines = run.stderr.strip().splitlines()
            assert run.returncode == 3, (command, run.stderr)
            assert len(lines) == 1 and name in lines[0] and "--rebuild" in lines[0], lines
        debug = qa("ask", KINZHAL_Q, env={**fast, "QA_DEBUG": "1"})
        assert debug.returncode != 0 and "Traceback" in debug.stderr
        rebuilt = qa("index", env=corpus)
        assert rebuilt.returncode == 0 and "previous index unreadable" in rebuilt.stdout
        assert qa("index", "--check", env=fast).returncode == 0


@pytest.fixture
def slow_server(built):
    """Every question goes to the model, which holds it 5 s per token; one may wait."""
    env = {**built, "QA_MAX_QUEUE": "1", "QA_TOKEN_DELAY_MS": "5000", "QA_READER": "model"}
    s = Server(env)
    yield s
    s.stop()


def first_event(url: str) -> tuple[int, str, str]:
    """Status, Retry-After and the first SSE event of a streamed question."""
    body = {"question": KINZHAL_Q, "stream": True}
    with httpx.stream("POST", url, json=body, timeout=60) as r:
        if r.status_code != 200:
            r.read()
            return r.status_code, r.headers.get("retry-after", ""), r.text
        event = next(line for line in r.iter_lines() if line.startswith("event:"))
        return 200, "", event


def test_streamed_requests_that_cannot_get_the_model_get_503_before_the_stream(slow_server):
    """Defect 7: one stream holds the model (its first token is out) and one request may wait;
    of six more sent at once, each refused gets 503 + Retry-After, never 200 + an error event."""
    url = f"{slow_server.url}/ask"
    body = {"question": KINZHAL_Q, "stream": True}
    with cf.ThreadPoolExecutor(6) as pool:
        with httpx.stream("POST", url, json=body, timeout=60) as holder:
            lines = holder.iter_lines()
            assert next(line for line in lines if line.startswith("event:")) == "event: token"
            futures = [pool.submit(first_event, url) for _ in range(6)]
            done = [f.result() for f in islice(cf.as_completed(futures, timeout=60), 5)]
        results = [f.result(timeout=60) for f in futures]  # the one queued: the model is free
    assert len(done) == 5
    refused = [r for r in results if r[0] == 503]
    assert len(refused) >= 5 and all(retry and "busy" in text for _, retry, text in refused)
    assert all(event == "event: token" for status, _, event in results if status == 200)


def test_malformed_chat_content_and_chunked_over_limit_body_on_a_real_server(server):
    """Defects 9 and 12 over real HTTP: 4xx for bad content parts, 413 for a chunked body."""
    for content in ([{"type": "text", "text": 123}], [{"type": "text", "text": None}]):
        body = {"messages": [{"role": "user", "content": content}]}
        r = httpx.post(f"{server.url}/v1/chat/completions", json=body, timeout=30)
        assert 400 <= r.status_code < 500 and r.json()["error"], r.text
    chunks = iter([b'{"question": "'] + [b"x" * 4096] * 8 + [b'"}'])
    headers = {"content-type": "application/json"}
    r = httpx.post(f"{server.url}/ask", content=chunks, headers=headers, timeout=30)
    assert r.status_code == 413 and r.json()["error"]


@pytest.fixture
def held_server(built):
    """Every question goes to the model, which then holds it 10 s per token; nobody may wait.
    A generation that is not cancelled holds the model longer than any wait below (8 s)."""
    env = {**built, "QA_MAX_QUEUE": "0", "QA_TOKEN_DELAY_MS": "10000", "QA_READER": "model"}
    s = Server(env)
    yield s
    s.stop()


def wait_for_the_model(url: str, seconds: float) -> list[int]:
    """Streamed probes until one gets the model (200 and a token; it leaves at once, which
    stops it) or the time is up; the statuses seen."""
    statuses, started = [], time.monotonic()
    while time.monotonic() - started < seconds:
        status, _, event = first_event(url)
        statuses.append(status)
        if status == 200:
            assert event == "event: token"
            break
        time.sleep(0.25)
    return statuses


def give_up_on(url: str, body: dict, seconds: float = 20) -> None:
    """Post, get the model, and leave after 1.5 s; a 503 (a probe's generation not yet
    stopped) is retried until the model is free."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            r = httpx.post(url, json=body, timeout=1.5)
        except httpx.TimeoutException:
            return  # it got the model and was still being answered: the client leaves
        assert r.status_code == 503, r.text  # anything else answered within 1.5 s: not held
        time.sleep(0.25)
    pytest.fail("the model never became free")


def test_client_that_gives_up_on_a_plain_ask_frees_the_model(held_server):
    """Defect 8: the model is held 10 s after each token unless the request is cancelled; a
    client giving up after 1.5 s must free it for the next request within 8 s."""
    url = f"{held_server.url}/ask"
    warm = wait_for_the_model(url, 30)  # the first question also embeds the lines it reads
    assert warm[-1] == 200, warm
    assert wait_for_the_model(url, 8)[-1] == 200  # a dropped stream freed it
    give_up_on(url, {"question": KINZHAL_Q})
    gave_up = time.monotonic()
    statuses = wait_for_the_model(url, 8)
    assert statuses[-1] == 200, statuses
    print(f"model free {time.monotonic() - gave_up:.1f}s after the client left; {statuses}")


def test_client_that_gives_up_on_a_chat_completion_frees_the_model(held_server):
    """Defect 8, OpenAI route: a non-streamed /v1/chat/completions left after 1.5 s frees the
    model (held 10 s per token otherwise) for the next request within 8 s."""
    url = f"{held_server.url}/ask"
    assert wait_for_the_model(url, 30)[-1] == 200  # warm: the lines it reads are embedded
    body = {"messages": [{"role": "user", "content": KINZHAL_Q}]}
    give_up_on(f"{held_server.url}/v1/chat/completions", body)
    statuses = wait_for_the_model(url, 8)
    assert statuses[-1] == 200, statuses


def test_articles_edited_and_deleted_under_a_running_server(tmp_path):
    """Defect 1 under `qa serve` before a new build is live (watching off here): answers flag
    the change and never quote what is gone."""
    env = {
        "QA_DOCS": str(copy_seeds(tmp_path / "docs")),
        "QA_INDEX_DIR": str(tmp_path / "ix"),
        "QA_WATCH": "0",
    }
    s = Server(env)
    try:

        def ask() -> dict:
            r = httpx.post(f"{s.url}/ask", json={"question": KINZHAL_Q}, timeout=60)
            assert r.status_code == 200, r.text
            return r.json()

        assert not ask()["stale"]
        path = Path(env["QA_DOCS"]) / KINZHAL
        path.write_text("".join(path.read_text().splitlines(keepends=True)[3:]))
        answer = ask()
        assert answer["stale"] and all(c["quote"] in on_disk(env, c) for c in answer["citations"])
        path.unlink()
        answer = ask()
        assert answer["stale"] and not any(c["file"] == KINZHAL for c in answer["citations"])
        assert httpx.get(f"{s.url}/health").status_code == 200
    finally:
        s.stop()


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 400 kB tmpfs: room for one build of the seeds (about 210 kB), not for a bigger one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def test_full_disk_during_a_build_keeps_the_previous_build(tmp_path, tiny_disk):
    docs = copy_seeds(tmp_path / "docs")
    env = {"QA_DOCS": str(docs), "QA_INDEX_DIR": str(tiny_disk / "index")}
    assert qa("index", env=env).returncode == 0
    for i in range(4):
        for f in sorted(docs.glob("0*.txt")):
            shutil.copyfile(f, docs / f"copy{i}_{f.name}")
    full = qa("index", env=env)
    lines = full.stderr.strip().splitlines()
    assert full.returncode == 3 and len(lines) == 1, full.stderr
    assert "No space left" in lines[0] and "previous build is kept" in lines[0]
    assert len(list((tiny_disk / "index").glob("build-*"))) == 1
    check = qa("index", "--check", env=no_embedder(env))
    assert check.returncode == 1 and "added" in check.stdout  # behind, but whole
    answer = ask(env)
    assert not answer["abstained"] and answer["citations"][0]["file"] == KINZHAL
