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


def test_streamed_request_that_cannot_get_the_model_is_a_503_before_the_stream(fake_pipeline):
    """Defect 7: a plain 503 with Retry-After, not a 200 and then an error event."""
    from conftest import FakeGenerator

    from qa.errors import BusyError

    class Busy(FakeGenerator):
        def stream(self, *args, **kwargs):
            raise BusyError("the model is busy and its queue is full; retry shortly")
            yield  # a generator, like every Generator

    fake_pipeline.generator = Busy()
    body = {"question": "What are Kinzhal missiles in Russian, difficult to intercept?"}
    with TestClient(create_app(fake_pipeline.settings, fake_pipeline)) as c:
        for stream in (True, False):
            r = c.post("/ask", json={**body, "stream": stream})
            assert r.status_code == 503 and r.headers["retry-after"], r.text
            assert "busy" in r.json()["error"]


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "text", "text": 123}],
        [{"type": "text", "text": None}],
        [{"type": "text"}],
        [None],
        [123],
        [{"text": "no type"}],
        {"type": "text", "text": "not in a list"},
        5,
    ],
)
def test_malformed_chat_message_content_is_4xx(client, content):
    """Defect 9: was a 500 'internal error'."""
    body = {"messages": [{"role": "user", "content": content}]}
    r = client.post("/v1/chat/completions", json=body)
    assert 400 <= r.status_code < 500 and r.json()["error"], r.text


def test_chat_content_parts_are_read(client, fake_pipeline):
    fake_pipeline.generator.enqueue("six")
    parts = [
        {"type": "text", "text": "How many Kinzhal missiles"},
        {"type": "image_url", "image_url": {"url": "x"}},
        {"type": "text", "text": "were shot down?"},
    ]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": parts}]})
    assert r.status_code == 200 and r.json()["qa"]["question"].endswith("were shot down?")


def test_over_limit_chunked_body_is_413(client, fake_pipeline):
    """Defect 12: a body without Content-Length, sent in chunks, was refused with 400."""
    limit = fake_pipeline.settings.max_body_bytes

    def chunks():
        yield b'{"question": "'
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    headers = {"content-type": "application/json"}
    r = client.post("/ask", content=chunks(), headers=headers)
    assert r.status_code == 413 and "over" in r.json()["error"]
    fake_pipeline.generator.enqueue("six")
    small = iter([b'{"question": "How many Kinzhal', b' missiles were shot down?"}'])
    r = client.post("/ask", content=small, headers=headers)
    assert r.status_code == 200 and r.json()["answer"] == "six"


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


def test_an_ellipsis_from_history_asks_past_the_earlier_answer(client, fake_pipeline):
    fake_pipeline.reader_mode = "model"
    first = "How many Kinzhal missiles did Ukraine shoot down over Kyiv?"
    cited = [{"file": KINZHAL, "start_line": 17, "end_line": 17}]
    turn = {"question": first, "answer": "six", "citations": cited}
    fake_pipeline.generator.enqueue("six")  # the same answer again: read once more without it
    fake_pipeline.generator.enqueue("not stated")
    r = client.post("/ask", json={"question": "And in Bakhmut?", "history": [turn]})
    assert r.status_code == 200 and "Bakhmut" in r.json()["search_question"]
    assert len(fake_pipeline.generator.history) == 2


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
