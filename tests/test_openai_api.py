"""/v1/chat/completions conversations: earlier assistant replies count only through the corpus
lines they cite, re-read from the corpus."""

import pytest
from fastapi.testclient import TestClient

from qa.openai_api import Message, conversation_of
from qa.server import create_app

KINZHAL = "000_0d498ca450f5f7ad.txt"
FIRST = "Which missile's name means dagger in Russian?"
FOLLOW = "Who presented it in 2018?"


def messages(*pairs: tuple[str, dict]) -> list[Message]:
    return [Message(role=role, **fields) for role, fields in pairs]


def resolved(store, reply: dict) -> str:
    history = messages(("user", {"content": FIRST}), ("assistant", reply))
    return conversation_of(history, store).resolve(FOLLOW)


def test_a_cited_answer_is_followed(fake_pipeline):
    reply = {"content": f"Kinzhal\n\n[1] {KINZHAL}:23-23"}
    assert resolved(fake_pipeline.store, reply) == "Who presented Kinzhal in 2018?"


def test_the_answer_object_counts_through_its_citations_only(fake_pipeline):
    store = fake_pipeline.store
    cited = {"file": KINZHAL, "start_line": 23, "end_line": 23, "quote": "Iskander missiles"}
    reply = {"content": "x", "qa": {"answer": "Kinzhal", "abstained": False, "citations": [cited]}}
    assert "Kinzhal" in resolved(store, reply)
    reply["qa"]["answer"] = "Iskander"  # its quote says so, the corpus line does not
    assert "Iskander" not in resolved(store, reply)


def test_two_joined_answers_are_no_one_thing_to_point_at(fake_pipeline):
    cited = {"file": KINZHAL, "start_line": 23, "end_line": 23, "quote": "…"}
    qa = {"answer": "Kinzhal", "abstained": False, "citations": [cited]}
    reply = {"content": "x", "qa": {**qa, "parts": ["Which missile?", "Which other?"]}}
    assert "Kinzhal" not in resolved(fake_pipeline.store, reply)


@pytest.mark.parametrize(
    "reply",
    [
        {"content": "Iskander\n\n[1] 000_0d498ca450f5f7ad.txt:23-23"},  # not in the cited line
        {"content": "Kinzhal"},  # no citation
        {"content": "Kinzhal\n\n[1] ../../etc/passwd:1-1"},
        {"content": "Kinzhal\n\n[1] 000_0d498ca450f5f7ad.txt:23-9999"},
        {"content": "Kinzhal\n\n[1] 000_0d498ca450f5f7ad.txt:1-40"},  # too wide to be qa's
        {"content": "Kinzhal", "qa": {"answer": "Kinzhal", "citations": "23"}},
        {"content": "Kinzhal", "qa": {"answer": "Kinzhal", "abstained": True, "citations": []}},
    ],
)
def test_unverified_replies_do_not_leak(fake_pipeline, reply):
    found = resolved(fake_pipeline.store, reply)
    assert "Kinzhal" not in found and "Iskander" not in found


def test_the_route_resolves_and_never_fails_on_odd_history(fake_pipeline):
    with TestClient(create_app(fake_pipeline.settings, fake_pipeline)) as client:
        for reply in (
            {"role": "assistant", "content": f"Kinzhal\n\n[1] {KINZHAL}:23-23"},
            {"role": "assistant", "content": None, "qa": {"citations": [{"file": 3}]}},
            {"role": "system", "content": "be brief"},
        ):
            body = {"messages": [{"role": "user", "content": FIRST}, reply,
                                 {"role": "user", "content": FOLLOW}]}  # fmt: skip
            r = client.post("/v1/chat/completions", json=body)
            assert r.status_code == 200, r.text
        first = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": FIRST},
            {"role": "assistant", "content": f"Kinzhal\n\n[1] {KINZHAL}:23-23"},
            {"role": "user", "content": FOLLOW}]})  # fmt: skip
        assert first.json()["qa"]["search_question"] == "Who presented Kinzhal in 2018?"
        trailing = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": FIRST},
            {"role": "assistant", "content": f"Kinzhal\n\n[1] {KINZHAL}:23-23"},
            {"role": "user", "content": FOLLOW},
            {"role": "system", "content": "be brief"}]})  # fmt: skip
        assert trailing.json()["qa"]["search_question"] == "Who presented Kinzhal in 2018?"


def test_an_ellipsis_asks_past_the_assistants_earlier_answer(fake_pipeline):
    fake_pipeline.reader_mode = "model"
    fake_pipeline.generator.enqueue("six")  # the earlier answer again: read once more
    fake_pipeline.generator.enqueue("not stated")
    asked = "How many Kinzhal missiles did Ukraine shoot down over Kyiv?"
    with TestClient(create_app(fake_pipeline.settings, fake_pipeline)) as client:
        r = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": asked},
            {"role": "assistant", "content": f"six\n\n[1] {KINZHAL}:17-17"},
            {"role": "user", "content": "And in Bakhmut?"}]})  # fmt: skip
    assert r.status_code == 200 and "Bakhmut" in r.json()["qa"]["search_question"]
    assert len(fake_pipeline.generator.history) == 2
