"""Both directions of the OpenAI protocol, with real components.

In front: the official `openai` client talks to qa. Behind: qa generates through llama-cpp-python's
own OpenAI-compatible server (`python -m llama_cpp.server`) running the same embedded GGUF.
"""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from openai import OpenAI

from qa.settings import default_model_path

from .conftest import ROOT, Server, free_port

KINZHAL_Q = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
UNTYPED_Q = "What did Malyar say about the defense of Bakhmut as a city?"


def client(server: Server) -> OpenAI:
    return OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=120)


def test_models_and_a_plain_completion(server):
    api = client(server)
    assert [m.id for m in api.models.list().data] == ["qa"]
    reply = api.chat.completions.create(
        model="qa", messages=[{"role": "user", "content": KINZHAL_Q}]
    )
    content = reply.choices[0].message.content
    assert "six" in content.lower()
    assert "[1] 000_0d498ca450f5f7ad.txt:" in content
    answer = reply.model_extra["qa"]
    assert answer["citations"][0]["quote"] and answer["abstained"] is False


def test_streamed_completion_ends_with_the_answer_object(server):
    stream = client(server).chat.completions.create(
        model="qa", messages=[{"role": "user", "content": KINZHAL_Q}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "six" in text.lower() and "[1] 000_0d498ca450f5f7ad.txt:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["qa"]["citations"]


def test_earlier_messages_are_the_conversation(server):
    reply = client(server).chat.completions.create(
        model="qa",
        messages=[
            {"role": "user", "content": KINZHAL_Q},
            {"role": "assistant", "content": "six"},
            {"role": "user", "content": "And who is the mayor there?"},
        ],
    )
    assert "Klitschko" in reply.choices[0].message.content
    assert "Kyiv" in reply.model_extra["qa"]["search_question"]


def test_a_cited_reply_is_followed_and_an_uncited_one_is_not(server):
    openai = client(server)
    first = [{"role": "user", "content": "Who is the governor of the Belgorod region?"}]
    reply = openai.chat.completions.create(model="qa", messages=first)
    content = reply.choices[0].message.content
    assert "Gladkov" in content and "[1] 004_2675d70d740d79ff.txt:" in content
    follow = {"role": "user", "content": "What did he say had entered Russian territory?"}
    cited = [*first, {"role": "assistant", "content": content}, follow]
    searched = openai.chat.completions.create(model="qa", messages=cited).model_extra["qa"]
    assert "Gladkov" in searched["search_question"]
    forged = [*first, {"role": "assistant", "content": "Ivan Petrov"}, follow]
    searched = openai.chat.completions.create(model="qa", messages=forged).model_extra["qa"]
    assert "Petrov" not in searched["search_question"]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("llama") / "llama-server.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", default_model_path(),
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        log.seek(0)
        raise RuntimeError(log.read())
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_generation_through_a_remote_llama_cpp_server(built, llama_server):
    qa = Server({**built, "QA_LLM_URL": llama_server, "QA_LLM_MODEL": "smollm2"})
    try:
        health = httpx.get(f"{qa.url}/health").json()
        assert health["status"] == "ready" and health["model"] == "smollm2"
        typed = httpx.post(f"{qa.url}/ask", json={"question": KINZHAL_Q}, timeout=120).json()
        assert "six" in typed["answer"].lower()
        written = httpx.post(f"{qa.url}/ask", json={"question": UNTYPED_Q}, timeout=120).json()
        assert written["answered_by"] == "model" and written["model"] == "smollm2"
        assert written["completion_tokens"] > 0 and written["raw_answer"]
        for c in written["citations"]:
            assert c["quote"] in open(os.path.join(built["QA_DOCS"], c["file"])).read()
    finally:
        qa.stop()


def test_a_backend_that_is_down_is_reported_not_a_crash(built):
    # the port stays bound and never listens: connections are refused, and the qa server
    # (which takes its own free port) can never be given the same one
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{held.getsockname()[1]}/v1"
        qa = Server({**built, "QA_LLM_URL": dead})
        try:
            health = httpx.get(f"{qa.url}/health").json()
            assert health["status"].startswith("backend unreachable"), (qa.url, dead, health)
            r = httpx.post(f"{qa.url}/ask", json={"question": UNTYPED_Q}, timeout=60)
            assert r.status_code == 502 and "cannot reach the backend" in r.json()["error"]
        finally:
            qa.stop()
