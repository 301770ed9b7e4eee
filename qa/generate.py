"""Generators write text for a chat; the default runs a local GGUF with llama.cpp."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qa.errors import BackendError, BusyError, ModelUnavailableError


@dataclass
class GenerationStats:
    """Filled in by a generator while it streams."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    queue_ms: float = 0.0


def grammar_text(choices: list[str]) -> str:
    """GBNF that lets the model write exactly one of the choices."""
    return "root ::= " + " | ".join(json.dumps(c, ensure_ascii=False) for c in choices)


def choice_grammar(choices: list[str]):
    """The same grammar, compiled for llama.cpp in this process."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(grammar_text(choices), verbose=False)


class Generator(Protocol):
    """Anything that streams a reply to chat messages."""

    name: str

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        stats: GenerationStats | None = None,
        should_stop: Callable[[], bool] | None = None,
        stop: list[str] | None = None,
        choices: list[str] | None = None,
    ) -> Iterator[str]: ...


class ModelQueue:
    """Admits `slots` callers at a time, first come first served, with a bounded number waiting."""

    def __init__(self, max_waiting: int, slots: int = 1) -> None:
        self.max_waiting = max_waiting
        self.slots = slots
        self._queue: deque[threading.Event] = deque()
        self._active = 0
        self._cond = threading.Lock()

    def busy(self) -> bool:
        """True when a new call would be refused."""
        return self._active >= self.slots and len(self._queue) >= self.max_waiting

    @property
    def waiting(self) -> int:
        """Calls waiting for the model."""
        return len(self._queue)

    @contextmanager
    def turn(self, should_stop: Callable[[], bool] | None) -> Iterator[float]:
        """Wait for the model, first come first served (yields the wait in ms).

        BusyError when too many already wait; TimeoutError when should_stop() turns true first.
        """
        started = time.monotonic()
        mine = threading.Event()
        with self._cond:
            if self.busy():
                raise BusyError("the model is busy and its queue is full; retry shortly")
            if self._active >= self.slots:
                self._queue.append(mine)
            else:
                self._active += 1
                mine.set()
        while not mine.wait(0.05):
            if should_stop is not None and should_stop():
                with self._cond:
                    if mine in self._queue:
                        self._queue.remove(mine)
                        raise TimeoutError("timed out waiting for the model")
                break  # granted just now: take the turn, the caller stops at once
        try:
            yield (time.monotonic() - started) * 1000
        finally:
            with self._cond:
                if self._queue:
                    self._queue.popleft().set()  # the slot passes straight on
                else:
                    self._active -= 1


# architecture (trailing version digits dropped) -> llama-cpp-python chat format, for GGUF files
# that carry no chat template
GUESSED_FORMATS = {"gemma": "gemma"}
NO_SYSTEM_TURN = {"gemma"}


def fold_system(messages: list[dict]) -> list[dict]:
    """The system message put at the head of the first user message."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest


class LlamaGenerator:
    """llama.cpp in this process. Its model is not thread-safe, so one call runs at a time."""

    def __init__(
        self,
        path: str,
        n_ctx: int = 2048,
        threads: int = 2,
        seed: int = 0,
        max_waiting: int = 64,
        chat_format: str = "",
    ) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        if not path or not Path(path).is_file():
            from qa.models import MODELS

            known = next((m for m in MODELS.values() if m.file == Path(path).name), None)
            hint = f"; fetch it with `qa models get {known.name}`" if known else ""
            raise ModelUnavailableError(f"model file {path!r} does not exist{hint}")
        from llama_cpp import Llama

        try:
            self.llm = Llama(
                model_path=path, n_ctx=n_ctx, n_threads=threads, seed=seed, verbose=False
            )
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError on a bad file
            raise ModelUnavailableError(f"cannot load model {path!r}: {exc}") from exc
        self.name = Path(path).name
        metadata = self.llm.metadata
        if chat_format:
            self.llm.chat_format = chat_format
        elif not metadata.get("tokenizer.chat_template"):
            # no template in the file: llama-cpp-python would fall back to llama-2's format
            guess = GUESSED_FORMATS.get(
                metadata.get("general.architecture", "").rstrip("0123456789")
            )
            if guess:
                self.llm.chat_format = guess
        # formats without a system turn (Gemma's) would drop the instructions: fold them in
        self.fold_system = self.llm.chat_format in NO_SYSTEM_TURN
        self.lock = threading.Lock()  # belt and braces: the queue already admits one at a time
        self.queue = ModelQueue(max_waiting)

    def busy(self) -> bool:
        """True when a new call would be refused."""
        return self.queue.busy()

    def count_tokens(self, text: str) -> int:
        """Tokens of text in this model's vocabulary."""
        return len(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        stats: GenerationStats | None = None,
        should_stop: Callable[[], bool] | None = None,
        stop: list[str] | None = None,
        choices: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield the reply piece by piece, greedily; stops early when should_stop() is true."""
        grammar = choice_grammar(choices) if choices else None
        if self.fold_system:
            messages = fold_system(messages)
        with self.queue.turn(should_stop) as waited, self.lock:
            if stats is not None:
                stats.queue_ms = waited
            chunks = self.llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                stop=stop or None,
                grammar=grammar,
            )
            try:
                for chunk in chunks:
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta:
                        if stats is not None:
                            stats.completion_tokens += 1
                        yield delta
                    if should_stop is not None and should_stop():
                        break
            finally:
                chunks.close()
                if stats is not None:
                    # llama keeps prompt + completion tokens of the last call in n_tokens
                    stats.prompt_tokens = max(int(self.llm.n_tokens) - stats.completion_tokens, 0)


class RemoteGenerator:
    """An OpenAI-compatible chat completions server (llama.cpp's server, vLLM, …).

    Choices are sent as a llama.cpp `grammar`; servers that ignore it answer freely, and the
    pipeline then checks the reply against the lines like any written answer.
    """

    def __init__(
        self,
        url: str,
        model: str = "",
        api_key: str = "",
        timeout: float = 60.0,
        slots: int = 4,
        max_waiting: int = 64,
    ) -> None:
        import httpx

        self.queue = ModelQueue(max_waiting, slots)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self.model = model
        self.name = model or self.url

    def health(self) -> str:
        """'ready', or why the backend cannot be reached."""
        import httpx

        try:
            r = self.client.get("/models", timeout=5)
        except httpx.HTTPError as exc:
            return f"backend unreachable: {type(exc).__name__}"
        return "ready" if r.status_code == 200 else f"backend answered {r.status_code}"

    def busy(self) -> bool:
        """True when a new call would be refused."""
        return self.queue.busy()

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        stats: GenerationStats | None = None,
        should_stop: Callable[[], bool] | None = None,
        stop: list[str] | None = None,
        choices: list[str] | None = None,
    ) -> Iterator[str]:
        """Stream the reply over SSE; connection errors and 5xx become BackendError."""
        import httpx

        body = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.model:
            body["model"] = self.model
        if stop:
            body["stop"] = stop
        if choices:
            body["grammar"] = grammar_text(choices)
        try:
            with (
                self.queue.turn(should_stop) as waited,
                self.client.stream("POST", "/chat/completions", json=body) as response,
            ):
                if stats is not None:
                    stats.queue_ms = waited
                if response.status_code >= 400:
                    response.read()
                    raise BackendError(
                        f"backend answered {response.status_code}: {response.text[:200]}"
                    )
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    usage = chunk.get("usage")
                    if usage and stats is not None:
                        stats.prompt_tokens = usage.get("prompt_tokens", 0)
                    for choice in chunk.get("choices") or []:
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            if stats is not None:
                                stats.completion_tokens += 1
                            yield delta
                    if should_stop is not None and should_stop():
                        break
        except httpx.TimeoutException as exc:
            raise TimeoutError(f"the backend at {self.url} timed out") from exc
        except httpx.HTTPError as exc:
            raise BackendError(f"cannot reach the backend at {self.url}: {exc}") from exc


class SlowGenerator:
    """Another generator with a pause after each piece: a testing aid that makes streaming (and
    stopping it) observable whatever the model's speed."""

    def __init__(self, inner: Generator, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.name = inner.name

    def __getattr__(self, attr: str):
        return getattr(self.inner, attr)  # busy(), health(), count_tokens(), llm, ...

    def stream(
        self,
        messages: list[dict],
        max_tokens: int,
        stats: GenerationStats | None = None,
        should_stop: Callable[[], bool] | None = None,
        **kwargs,
    ) -> Iterator[str]:
        """The inner generator's pieces, each followed by the pause (cut short by should_stop)."""
        for piece in self.inner.stream(messages, max_tokens, stats, should_stop, **kwargs):
            yield piece
            until = time.monotonic() + self.delay
            while time.monotonic() < until and not (should_stop and should_stop()):
                time.sleep(min(0.05, self.delay))
