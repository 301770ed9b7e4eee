"""The bad-input sweep: 244 malformed requests to /ask (plain and streamed) and
/v1/chat/completions on a real `qa serve`; every one a 4xx with a one-line error, no traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

Q = "How many Kinzhal missiles did Ukraine say it shot down over Kyiv?"
JSON = {"content-type": "application/json"}
TARGETS = {
    "ask": ("/ask", {"question": Q}),
    "stream": ("/ask", {"question": Q, "stream": True}),
    "chat": ("/v1/chat/completions", {"messages": [{"role": "user", "content": Q}]}),
}
Case = tuple[str, str, str, bytes | Iterator[bytes], dict[str, str]]  # name, method, path, ...


def raw_bodies(valid: dict) -> dict[str, bytes]:
    """Bodies that are not a JSON object of the right shape, whatever the route."""
    text = json.dumps(valid)
    deep = 10_000
    return {
        "invalid utf-8": b"\xff\xfe\xfa\xc3\x28",
        "invalid utf-8 in a string": text.replace(Q, "").encode().replace(b'""', b'"\xff\xfe"', 1),
        "raw NUL": b"\x00",
        "raw NUL in a string": text.replace("How", "Ho\x00w").encode(),
        "NULs": b"\x00" * 100,
        "empty": b"",
        "null": b"null",
        "true": b"true",
        "number": b"123",
        "float": b"1e999999",
        "string": b'"a question"',
        "empty array": b"[]",
        "array of the valid body": f"[{text}]".encode(),
        "arrays nested 10,000 deep": b"[" * deep + b"]" * deep,
        "arrays nested 5,000 deep": b"[" * 5000 + b"]" * 5000,
        "objects nested 10,000 deep": b'{"a":' * deep + b"1" + b"}" * deep,
        "nested 5,000 deep in the field": f'{{"question": {"[" * 5000}{"]" * 5000}}}'.encode(),
        "1 MB string": b'{"question": "' + b"x" * 1_000_000 + b'"}',
        "1 MB of spaces": b" " * 1_000_000,
        "truncated": text[:-7].encode(),
        "trailing garbage": (text + " garbage").encode(),
        "form encoded": b"question=hello",
        "NaN": b'{"question": NaN, "messages": NaN}',
        "single quotes": text.replace('"', "'").encode(),
        "comment": b"// hi\n" + text.encode(),
    }


def ask_fields() -> dict[str, dict]:
    """/ask bodies whose JSON parses but whose fields are wrong."""
    long = "word " * 500
    turn = {"question": "Who?", "answer": "x", "abstained": False, "citations": []}
    return {
        "no question": {},
        "question null": {"question": None},
        "question a number": {"question": 123},
        "question a list": {"question": [Q]},
        "question an object": {"question": {"text": Q}},
        "question empty": {"question": ""},
        "question blank": {"question": "   \n\t"},
        "question too long": {"question": long},
        "top_k 0": {"question": Q, "top_k": 0},
        "top_k -1": {"question": Q, "top_k": -1},
        "top_k 21": {"question": Q, "top_k": 21},
        "top_k 2**64": {"question": Q, "top_k": 2**64},
        "top_k a string": {"question": Q, "top_k": "5"},
        "top_k a float": {"question": Q, "top_k": 5.5},
        "top_k true": {"question": Q, "top_k": True},
        "stream a string": {"question": Q, "stream": "yes"},
        "stream a number": {"question": Q, "stream": 1},
        "unknown field": {"question": Q, "foo": 1},
        "history a string": {"question": Q, "history": "earlier"},
        "history of numbers": {"question": Q, "history": [1, 2]},
        "history too long": {"question": Q, "history": [turn] * 21},
        "history line 0": {
            "question": Q,
            "history": [{**turn, "citations": [{"file": "a", "start_line": 0, "end_line": 1}]}],
        },
        "history question a number": {"question": Q, "history": [{**turn, "question": 5}]},
        "history abstained a string": {"question": Q, "history": [{**turn, "abstained": "no"}]},
    }


def chat_fields() -> dict[str, dict]:
    """/v1/chat/completions bodies whose JSON parses but whose fields are wrong."""

    def user(content: object) -> dict:
        return {"messages": [{"role": "user", "content": content}]}

    return {
        "no messages": {},
        "messages empty": {"messages": []},
        "messages null": {"messages": None},
        "messages a string": {"messages": "hi"},
        "messages of numbers": {"messages": [1]},
        "role unknown": {"messages": [{"role": "bogus", "content": Q}]},
        "role missing": {"messages": [{"content": Q}]},
        "content a number": user(123),
        "content an object": user({"text": Q}),
        "text part a number": user([{"type": "text", "text": 123}]),
        "text part null": user([{"type": "text", "text": None}]),
        "text part without text": user([{"type": "text"}]),
        "part without type": user([{}]),
        "part a string": user(["hi"]),
        "only an image part": user([{"type": "image_url", "image_url": {"url": "x"}}]),
        "content empty": user(""),
        "content blank": user("  \n "),
        "content null": user(None),
        "content too long": user("word " * 500),
        "only a system message": {"messages": [{"role": "system", "content": Q}]},
        "last user message empty": {
            "messages": [{"role": "user", "content": Q}, {"role": "user", "content": ""}]
        },
        "stream a list": {**user(Q), "stream": []},
        "model a number": {**user(Q), "model": 123},
        "messages an object": {"messages": {"role": "user", "content": Q}},
    }


CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                 "application/jsonx"]  # fmt: skip


def cases() -> list[Case]:
    """Every request of the sweep."""
    out: list[Case] = []
    for target, (path, valid) in TARGETS.items():
        for name, body in raw_bodies(valid).items():  # declared JSON, and with no type at all
            out.append((f"{target}: {name}", "POST", path, body, JSON))
            out.append((f"{target}: {name}, no content type", "POST", path, body, {}))
        fields = chat_fields() if target == "chat" else ask_fields()
        for name, body in fields.items():
            if target == "stream" and "stream" not in body:
                body = {**body, "stream": True}
            out.append((f"{target}: {name}", "POST", path, json.dumps(body).encode(), JSON))
        for kind in CONTENT_TYPES:  # the valid body, declared as something else
            out.append((f"{target}: as {kind}", "POST", path, json.dumps(valid).encode(),
                        {"content-type": kind}))  # fmt: skip
        over = iter([b'{"question": "', *[b"x" * 65536] * 16, b'"}'])  # chunked, 1 MB
        out.append((f"{target}: chunked 1 MB", "POST", path, over, JSON))
        out.append((f"{target}: no content type, garbage", "POST", path, b"\xff\x00", {}))
    for method, path in [("GET", "/ask"), ("PUT", "/ask"), ("GET", "/v1/chat/completions"),
                         ("DELETE", "/v1/chat/completions")]:  # fmt: skip
        out.append((f"{method} {path}", method, path, b"", {}))
    return out


def test_every_malformed_request_is_a_4xx_with_one_error_line(server):
    sweep = cases()
    assert len(sweep) == 244
    outcomes: dict[str, int] = {}
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for name, method, path, body, headers in sweep:
            r = http.request(method, path, content=body, headers=headers)
            outcomes[name] = r.status_code
            assert 400 <= r.status_code < 500, (name, r.status_code, r.text[:300])
            error = r.json()["error"] if r.status_code != 405 else r.json().get("error", "")
            assert "Traceback" not in r.text and "\n" not in str(error), (name, r.text[:300])
        assert http.get("/health").status_code == 200
    server.log.flush()
    server.log.seek(0)
    log = server.log.read()
    assert "Traceback" not in log and " 500 " not in log
    print(json.dumps(sorted(outcomes.items()), indent=0))
