"""The HTTP routes over a pipeline with fake models (the real ones run in tests/integration)."""

import json

import pytest
from fastapi.testclient import TestClient

from qa.server import create_app

KINZHAL = "000_0d498ca450f5f7ad.txt"


@pytest.fixture
def client(fake_pipeline):
    with TestClient(create_app(fake_pipeline.settings, fake_pipeline)) as c:
        yield c


def test_ask_returns_the_answer_object(client, fake_pipeline):
    fake_pipeline.generator.enqueue("six")
    r = client.post("/ask", json={"question": "How many Kinzhal missiles were shot down?"})
    assert r.status_code == 200
    body = r.json()
    for field in (
        "question",
        "answer",
        "abstained",
        "citations",
        "retrieved",
        "timings_ms",
        "model",
    ):
        assert field in body
    assert set(body["timings_ms"]) >= {"retrieve", "generate", "total"}
    assert body["answer"] == "six" and body["citations"][0]["file"] == KINZHAL


def test_stream_sends_tokens_then_answer_then_done(client, fake_pipeline):
    fake_pipeline.generator.enqueue("Vitali Klitschko")
    with client.stream("POST", "/ask", json={"question": "Who is the mayor?", "stream": True}) as r:
        assert r.status_code == 200
        events = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
    assert events[-2:] == ["answer", "done"] and set(events[:-2]) == {"token"}


@pytest.mark.parametrize(
    "body, status",
    [
        ({"question": ""}, 400),
        ({"question": "   "}, 400),
        ({"question": "x" * 2001}, 400),
        ({"question": 5}, 422),
        ({"question": "ok", "top_k": 0}, 422),
        ({"question": "ok", "top_k": 99}, 422),
        ({"question": "ok", "top_k": "3"}, 422),
        ({}, 422),
        ({"question": "ok", "other": 1}, 422),
        ([1, 2], 422),
    ],
)
def test_bad_input_is_4xx_with_a_message(client, body, status):
    r = client.post("/ask", json=body)
    assert r.status_code == status and r.json()["error"]


def test_malformed_bodies(client):
    for raw in (b"{not json", b"\xff\xfe\x00bad", b'{"question": "\xff"}'):
        r = client.post("/ask", content=raw, headers={"content-type": "application/json"})
        assert r.status_code in (400, 422) and r.json()["error"]
    r = client.post("/ask", content=b"x" * 20000, headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/sources/..%2F..%2Fetc%2Fpasswd",
        "/sources/../../etc/passwd",
        "/sources/%2Fetc%2Fpasswd",
        "/sources//etc/passwd",
        "/sources/nope.txt",
        "/sources/seeds%2F" + KINZHAL,
    ],
)
def test_sources_refuses_anything_outside_the_corpus(client, path):
    assert client.get(path).status_code == 404


def test_sources_and_search_and_health(client):
    r = client.get(f"/sources/{KINZHAL}", params={"start": 17, "end": 17})
    assert r.status_code == 200
    assert r.json()["lines"][0]["text"].startswith("Meanwhile, Ukraine affirmed")
    assert client.get(f"/sources/{KINZHAL}", params={"start": 99}).status_code == 400
    assert client.get(f"/sources/{KINZHAL}", params={"start": 0}).status_code == 422
    hits = client.get("/search", params={"q": "Kinzhal missiles", "k": 3}).json()
    assert len(hits) == 3 and all("score" in h for h in hits)
    assert client.get("/search", params={"q": ""}).status_code == 422
    health = client.get("/health").json()
    assert health["status"] == "ready" and health["files"] == 5
    assert len(client.get("/articles").json()) == 5


def test_api_key(fake_pipeline):
    settings = fake_pipeline.settings.model_copy(update={"api_key": "s3cret"})
    with TestClient(create_app(settings, fake_pipeline)) as c:
        assert c.get("/health").status_code == 200
        assert c.get("/search", params={"q": "x"}).status_code == 401
        bad = {"Authorization": "Bearer nope"}
        assert c.post("/ask", json={"question": "x"}, headers=bad).status_code == 401
        good = {"Authorization": "Bearer s3cret"}
        assert c.get("/search", params={"q": "x"}, headers=good).status_code == 200


def test_openapi_example_works_when_pasted(client, fake_pipeline):
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["AskRequest"]
    example = schema["examples"][0]
    fake_pipeline.generator.enqueue("six")
    assert (
        client.post(
            "/ask", content=json.dumps(example), headers={"content-type": "application/json"}
        ).status_code
        == 200
    )


def test_ask_resolves_a_follow_up_from_history(client):
    first = "Which missile's name means dagger in Russian?"
    cited = [{"file": KINZHAL, "start_line": 23, "end_line": 23, "quote": "anything"}]
    turn = {"question": first, "answer": "Kinzhal", "citations": cited}
    body = {"question": "Who presented it in 2018?", "history": [turn]}
    r = client.post("/ask", json=body)
    assert r.status_code == 200 and r.json()["search_question"] == "Who presented Kinzhal in 2018?"
    for unverified in (
        {**turn, "abstained": True},
        {**turn, "answer": "Iskander"},
        {**turn, "citations": [{"file": "../etc/passwd", "start_line": 1, "end_line": 1}]},
        {**turn, "citations": []},
    ):
        r = client.post("/ask", json={**body, "history": [unverified]})
        searched = r.json()["search_question"]
        assert r.status_code == 200 and "Kinzhal" not in searched and "Iskander" not in searched


@pytest.mark.parametrize(
    "history",
    [
        "not a list",
        [{"answer": "x"}],
        [{"question": 5}],
        [{"question": "q", "citations": [{"file": "f", "start_line": 0, "end_line": 1}]}],
        [{"question": "q", "citations": [{"file": "f", "start_line": "1", "end_line": 1}]}],
        [{"question": "q"}] * 21,
    ],
)
def test_bad_history_is_422(client, history):
    r = client.post("/ask", json={"question": "ok", "history": history})
    assert r.status_code == 422 and r.json()["error"]
