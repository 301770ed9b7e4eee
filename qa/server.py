"""The HTTP service: FastAPI routes over one Pipeline, with the model serialised and bounded."""

import asyncio
import json
import logging
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from qa.answer import Answer
from qa.errors import (
    BusyError,
    InputError,
    SourceNotFoundError,
)
from qa.followup import Conversation, read_cited
from qa.http_types import Article, AskRequest, EarlierTurn, Health, Source, SourceLine
from qa.middleware import add_error_handlers, add_middleware
from qa.openai_api import add_openai_routes
from qa.pipeline import Pipeline, Token
from qa.retrieve import Passage
from qa.settings import Settings

log = logging.getLogger("qa.server")
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, pipeline: Pipeline | None = None) -> FastAPI:
    """The app; loads the pipeline at start-up unless one is given (tests inject one)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.pipeline is None:
            app.state.pipeline = await run_in_threadpool(
                Pipeline.from_settings, settings, lambda m: log.warning("%s", m)
            )
        yield

    app = FastAPI(
        title="qa",
        version="0.1.0",
        description="Answers from a folder of articles, citing file and lines.",
        lifespan=lifespan,
    )
    app.state.pipeline = pipeline
    app.state.settings = settings
    app.state.live = None  # a LiveIndex under `qa serve` with watching on
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    add_middleware(app, settings)
    add_error_handlers(app)
    add_routes(app, settings)
    add_openai_routes(app)
    return app


def add_routes(app: FastAPI, settings: Settings) -> None:
    """The routes."""

    def pipe() -> Pipeline:
        return app.state.pipeline

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        """The page for asking and checking citations."""
        return FileResponse(STATIC / "index.html")

    @app.get("/health", response_model=Health)
    async def health() -> Health:
        """Ready or not, and what is loaded."""
        p = pipe()
        check = getattr(p.generator, "health", None)
        live = app.state.live
        return Health(
            index_build=p.store.path.name,
            index_updating=bool(live and live.updating),
            index_watching=bool(live and live.watching),
            status=await run_in_threadpool(check) if check else "ready",
            model=p.generator.name,
            embedder=p.embedder.name,
            files=len(p.store.documents),
            chunks=p.store.size,
            index_built_at=p.store.manifest.get("built_at", ""),
        )

    @app.post(
        "/ask",
        response_model=Answer,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "Answer, or SSE"},
            400: {"description": "Bad question"},
            503: {"description": "Queue full"},
            504: {"description": "Timed out"},
        },
    )
    async def ask(body: AskRequest, request: Request):
        """Answer a question with citations; with "stream": true, as Server-Sent Events."""
        p = pipe()
        question = p.check_question(body.question)
        searched, not_again = standalone_question(p, question, body.history)
        deadline = time.monotonic() + settings.request_timeout
        if body.stream:
            return await stream_answer(
                app, request, question, body.top_k, deadline, searched, not_again
            )
        if settings.log_questions:
            log.info("question: %s", question)
        stop = threading.Event()
        work = asyncio.ensure_future(
            run_in_threadpool(
                p.ask,
                question,
                body.top_k,
                search_question=searched,
                not_again=not_again,
                should_stop=lambda: stop.is_set() or time.monotonic() > deadline,
            )
        )
        await until_done_or_gone(request, work, stop)
        answer = await work
        request.state.queue_ms = answer.timings_ms.queue
        if time.monotonic() > deadline:
            raise TimeoutError("the answer took longer than the request time limit")
        return answer

    @app.get("/search", response_model=list[Passage])
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=settings.max_question_chars)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
    ) -> list[Passage]:
        """Retrieval only: the k passages closest to q."""
        return await run_in_threadpool(pipe().search, q, k)

    @app.get("/articles", response_model=list[Article])
    async def articles() -> list[Article]:
        """The indexed articles."""
        docs = pipe().store.documents.values()
        return [Article(file=d.file, title=d.title, lines=len(d.lines)) for d in docs]

    @app.get("/sources/{file:path}", response_model=Source)
    async def sources(
        file: str,
        start: Annotated[int | None, Query(ge=1)] = None,
        end: Annotated[int | None, Query(ge=1)] = None,
    ) -> Source:
        """Lines start..end of one indexed article (all of it by default)."""
        doc = pipe().store.documents.get(file)
        if doc is None:
            raise SourceNotFoundError(f"no such article: {file!r}")
        total = len(doc.lines)
        first, last = start or 1, min(end or total, total)
        if first > max(total, 1) or first > last:
            raise InputError(f"no lines {first}-{end or total} in {file} ({total} lines)")
        lines = [SourceLine(number=n, text=doc.lines[n - 1]) for n in range(first, last + 1)]
        return Source(
            file=file, title=doc.title, total_lines=total, start=first, end=last, lines=lines
        )


def standalone_question(
    p: Pipeline, question: str, history: list[EarlierTurn]
) -> tuple[str, list[str]]:
    """The question resolved against the earlier turns (unchanged without them), and the
    earlier answers it asks past (an ellipsis: "And by May 20?")."""
    conversation = Conversation()
    for turn in history:
        if not turn.question.strip():
            continue
        ranges = [(c.file, c.start_line, c.end_line) for c in turn.citations]
        cited = [] if turn.abstained else read_cited(p.store, ranges)
        answer = turn.answer if cited else ""
        conversation.add(turn.question, conversation.resolve(turn.question), answer, cited)
    return conversation.resolve(question), conversation.not_again


async def stream_answer(
    app: FastAPI,
    request: Request,
    question: str,
    top_k: int | None,
    deadline: float,
    search_question: str | None = None,
    not_again: list[str] | None = None,
):
    """SSE: `token` events as the model writes, then `answer`, then `done`.

    The stream starts only with the first event: a request that cannot get the model (or fails
    any other way first) gets its plain status, 503 with Retry-After when busy, which clients
    and proxies can retry; a 200 followed by an error event they cannot.
    """
    from sse_starlette.sse import EventSourceResponse

    p: Pipeline = app.state.pipeline
    if getattr(p.generator, "busy", lambda: False)():
        raise BusyError("the model is busy and its queue is full; retry shortly")
    stop = threading.Event()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def produce():
        try:
            for event in p.ask_stream(
                question,
                top_k,
                search_question=search_question,
                not_again=not_again or (),
                should_stop=lambda: stop.is_set() or time.monotonic() > deadline,
            ):
                loop.call_soon_threadsafe(queue.put_nowait, event)
        except Exception as exc:  # before the first event: a status; after it: an error event
            loop.call_soon_threadsafe(queue.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    worker = loop.run_in_executor(None, produce)
    first = await first_event(request, queue, stop)
    if isinstance(first, Exception):
        await worker
        raise first  # mapped by type: BusyError -> 503 + Retry-After, TimeoutError -> 504

    async def events():
        try:
            event = first
            while event is not None:
                if isinstance(event, Token):
                    yield {"event": "token", "data": json.dumps({"text": event.text})}
                elif isinstance(event, Answer):
                    request.state.queue_ms = event.timings_ms.queue
                    yield {"event": "answer", "data": event.model_dump_json()}
                else:
                    yield {"event": "error", "data": json.dumps({"error": str(event)})}
                event = await queue.get()
            await worker
            if time.monotonic() > deadline:
                yield {"event": "error", "data": json.dumps({"error": "timed out"})}
            yield {"event": "done", "data": "{}"}
        finally:
            stop.set()  # a client that went away stops the generation

    return EventSourceResponse(events(), ping=15)


async def until_done_or_gone(request: Request, work: asyncio.Future, stop: threading.Event):
    """Wait for work; a client that disconnects meanwhile sets stop, which frees the model."""
    while not work.done():
        await asyncio.wait({work}, timeout=0.25)
        if not work.done() and not stop.is_set() and await request.is_disconnected():
            stop.set()


async def first_event(request: Request, queue: asyncio.Queue, stop: threading.Event):
    """The producer's first event (or error); a client gone meanwhile stops its wait."""
    while True:
        try:
            return await asyncio.wait_for(queue.get(), 0.25)
        except TimeoutError:
            if not stop.is_set() and await request.is_disconnected():
                stop.set()


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Fewer glibc malloc arenas: each request thread otherwise keeps its own, and RSS creeps."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def serve(settings: Settings) -> None:
    """Run the app under uvicorn."""
    import uvicorn

    limit_malloc_arenas()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", force=True
    )
    for noisy in ("httpx", "sentence_transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # loaded here, not in the lifespan: a QAError (a damaged index first, before any model)
    # reaches the command line as one line and its exit code, never a startup traceback
    pipeline = Pipeline.from_settings(settings, lambda m: log.warning("%s", m))
    app = create_app(settings, pipeline)
    if settings.watch:
        from qa.live import LiveIndex

        app.state.live = LiveIndex(pipeline)
        app.state.live.start()
    try:
        uvicorn.run(
            app, host=settings.host, port=settings.port, log_level="warning", access_log=False
        )
    finally:
        if app.state.live is not None:
            app.state.live.stop()
