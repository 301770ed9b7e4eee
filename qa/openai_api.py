"""OpenAI-compatible routes, so any OpenAI client can use qa as a model.

The last user message is the question; earlier user and assistant messages are the conversation a
follow-up is resolved against. An assistant message counts only through the lines it cites
(`[N] file:start-end` in its content, or the citations of the answer object in its `qa` field),
re-read from the corpus; its text is kept only when those lines hold its words. The reply's
content is the answer followed by `[N] file:start-end` lines; the whole answer object travels in
the extra field `qa` (and in the final streamed chunk).
"""

import asyncio
import json
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Literal

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from qa.answer import ABSTAIN_TEXT, Answer
from qa.errors import InputError
from qa.followup import Conversation, read_cited

if TYPE_CHECKING:
    from qa.store import Store

MODEL_ID = "qa"
CITED = re.compile(r"^\[\d+\]\s+(?P<file>\S.*?):(?P<start>\d+)-(?P<end>\d+)\s*$")


class ContentPart(BaseModel):
    """One part of a message's content; only text parts are read, and their text must be text."""

    model_config = ConfigDict(extra="allow")

    type: StrictStr = Field(description="'text', or another kind qa ignores (image_url, …).")
    text: StrictStr | None = Field(None, description="The text of a 'text' part.")

    @model_validator(mode="after")
    def text_part_has_text(self) -> "ContentPart":
        """A 'text' part without a string `text` is a malformed request (422), not a 500."""
        if self.type == "text" and self.text is None:
            raise ValueError("a text part needs a string `text`")
        return self


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: StrictStr | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return " ".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The part of a chat completions request qa reads; other fields are accepted, ignored."""

    model_config = ConfigDict(extra="allow")

    messages: list[Message] = Field(min_length=1)
    model: str = MODEL_ID
    stream: bool = False


def content_of(answer: Answer) -> str:
    """The answer and its citations as plain text."""
    lines = [answer.answer]
    if answer.citations:
        lines.append("")
        lines += [
            f"[{i}] {c.file}:{c.start_line}-{c.end_line}" for i, c in enumerate(answer.citations, 1)
        ]
    return "\n".join(lines)


def add_openai_routes(app: FastAPI) -> None:
    """/v1/models and /v1/chat/completions."""

    @app.get("/v1/models")
    async def models() -> dict:
        """The one model qa serves."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "qa"}],
        }

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatRequest, request: Request):
        """Answer the last user message, citing file and lines."""
        from qa.server import until_done_or_gone  # the wait /ask uses; qa.server imports us

        users = [m.text() for m in body.messages if m.role == "user"]
        if not users or not users[-1].strip():
            raise InputError("the last user message is empty")
        pipeline = app.state.pipeline
        last = max(i for i, m in enumerate(body.messages) if m.role == "user")
        conversation = conversation_of(body.messages[:last], pipeline.store)
        question = users[-1]
        standalone = conversation.resolve(question)
        deadline = time.monotonic() + app.state.settings.request_timeout
        stop = threading.Event()  # set when the client leaves: the generation stops
        work = asyncio.ensure_future(
            run_in_threadpool(
                pipeline.ask,
                question,
                None,
                search_question=standalone,
                not_again=conversation.not_again,
                should_stop=lambda: stop.is_set() or time.monotonic() > deadline,
            )
        )
        await until_done_or_gone(request, work, stop)
        answer = await work
        if time.monotonic() > deadline:
            raise TimeoutError("the answer took longer than the request time limit")
        ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        content = content_of(answer)
        extra = json.loads(answer.model_dump_json())
        if not body.stream:
            return {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": answer.prompt_tokens,
                    "completion_tokens": answer.completion_tokens,
                    "total_tokens": answer.prompt_tokens + answer.completion_tokens,
                },
                "qa": extra,
            }

        def chunk(delta: dict, finish: str | None = None, with_answer: bool = False) -> str:
            data = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if with_answer:
                data["qa"] = extra
            return f"data: {json.dumps(data)}\n\n"

        def events():
            yield chunk({"role": "assistant", "content": ""})
            yield chunk({"content": content})
            yield chunk({}, "stop", with_answer=True)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")


def cited_ranges(message: Message) -> list[tuple[str, int, int]]:
    """The (file, start, end) an assistant message cites: its qa object's, else its content's."""
    extra = (message.model_extra or {}).get("qa")
    if isinstance(extra, dict) and isinstance(extra.get("citations"), list):
        out = []
        for c in extra["citations"]:
            if isinstance(c, dict):
                file, start, end = c.get("file"), c.get("start_line"), c.get("end_line")
                if isinstance(file, str) and isinstance(start, int) and isinstance(end, int):
                    out.append((file, start, end))
        return out
    found = (CITED.match(line.strip()) for line in message.text().splitlines())
    return [(m["file"], int(m["start"]), int(m["end"])) for m in found if m]


def answer_text(reply: Message) -> str:
    """What an assistant message answered: its qa object's answer, else its first line."""
    extra = (reply.model_extra or {}).get("qa")
    if isinstance(extra, dict) and isinstance(extra.get("answer"), str):
        # an abstention, or two answers joined ("24 and 31"), names no one thing to point at
        joined = extra.get("abstained") is True or bool(extra.get("parts"))
        return "" if joined else extra["answer"].strip()
    content = reply.text().strip()
    return content.splitlines()[0].strip() if content else ""


def conversation_of(messages: list[Message], store: "Store") -> Conversation:
    """Earlier user questions, each with the assistant reply after it (if any)."""
    conversation = Conversation()
    pending = None
    for message in [*messages, None]:
        if pending is not None and (message is None or message.role in ("user", "assistant")):
            reply = message if message is not None and message.role == "assistant" else None
            cited = read_cited(store, cited_ranges(reply)) if reply is not None else []
            text = answer_text(reply) if reply is not None else ""
            answer = "" if not cited or text == ABSTAIN_TEXT else text
            conversation.add(pending, conversation.resolve(pending), answer, cited)
            pending = None
        if message is not None and message.role == "user" and message.text().strip():
            pending = message.text()
    return conversation
