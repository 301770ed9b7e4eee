"""OpenAI-compatible routes, so any OpenAI client can use qa as a model.

The last user message is the question; earlier user messages are the conversation a follow-up is
rewritten from (assistant messages are ignored, so no earlier answer becomes a fact). The reply's
content is the answer followed by `[N] file:start-end` lines; the whole answer object travels in
the extra field `qa` (and in the final streamed chunk).
"""

import json
import time
import uuid
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from qa.answer import Answer
from qa.errors import InputError
from qa.followup import Conversation

MODEL_ID = "qa"


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
    async def chat_completions(body: ChatRequest):
        """Answer the last user message, citing file and lines."""
        users = [m.text() for m in body.messages if m.role == "user"]
        if not users or not users[-1].strip():
            raise InputError("the last user message is empty")
        conversation = Conversation()
        for earlier in users[:-1]:
            conversation.add(conversation.rewrite(earlier))
        question = users[-1]
        standalone = conversation.rewrite(question)
        pipeline = app.state.pipeline
        deadline = time.monotonic() + app.state.settings.request_timeout
        answer = await run_in_threadpool(
            pipeline.ask,
            question,
            None,
            search_question=standalone,
            should_stop=lambda: time.monotonic() > deadline,
        )
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
