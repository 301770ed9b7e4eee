"""What wraps the routes: the body limit, the API key and access log, and errors as JSON.

Plain ASGI middleware, and one error body ({"error": "..."}) for every failure.
"""

import hmac
import logging
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa.errors import (
    BackendError,
    BusyError,
    IndexStaleError,
    InputError,
    ModelUnavailableError,
    QAError,
    SourceNotFoundError,
)
from qa.settings import Settings

log = logging.getLogger("qa.server")

STATUS = {
    BackendError: 502,
    InputError: 400,
    SourceNotFoundError: 404,
    IndexStaleError: 409,
    BusyError: 503,
    ModelUnavailableError: 503,
}


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """The one error body every route uses."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class BodyLimit:
    """Refuses bodies over a byte limit before anything parses them (413)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = error(413, f"request body over {self.limit} bytes")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is None:  # chunked: read it here (it is small), so nothing turns 413 into 400
            messages = await self.buffered(receive)
            if messages is None:
                return await too_large(scope, receive, send)

            async def replay():
                return messages.pop(0) if messages else await receive()

            return await self.app(scope, replay, send)
        if not length.isdigit() or int(length) > self.limit:
            return await too_large(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await too_large(scope, receive, send)

    async def buffered(self, receive) -> list[dict] | None:
        """The body's messages up to the limit; None past it."""
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return None
            if not message.get("more_body"):
                return messages


class BodyTooLarge(Exception):
    """Raised inside BodyLimit's receive."""


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Access log and API key, then (outermost) the body limit."""
    app.add_middleware(AccessGate, api_key=settings.api_key)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)


def public(path: str) -> bool:
    """Routes open without the API key: the health check and the page with its files."""
    return path in ("/health", "/") or path.startswith("/static/")


class AccessGate:
    """Checks the API key and logs each request when its response ends.

    Plain ASGI rather than @app.middleware("http"): Starlette's BaseHTTPMiddleware wraps
    `receive` so that `request.is_disconnected()` never sees a client leave, and a plain /ask
    could then not stop its generation.
    """

    def __init__(self, app, api_key: str) -> None:
        self.app, self.api_key = app, api_key

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        state["queue_ms"] = 0.0
        status = 500  # unless a response starts

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if self.api_key and not public(scope["path"]) and not self.authorized(scope):
                denied = error(401, "missing or wrong API key", {"WWW-Authenticate": "Bearer"})
                return await denied(scope, receive, sending)
            await self.app(scope, receive, sending)
        finally:
            _log(scope, status, started)

    def authorized(self, scope) -> bool:
        """The bearer key matches, compared in constant time."""
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        given = header[7:] if header[:7].lower() == b"bearer " else b""
        return hmac.compare_digest(given, self.api_key.encode())


def _log(scope, status: int, started: float) -> None:
    log.info(
        "%s %s %d %.0fms queue=%.0fms",
        scope.get("method", ""),
        scope.get("path", ""),
        status,
        (time.perf_counter() - started) * 1000,
        scope.get("state", {}).get("queue_ms", 0.0),
    )


def add_error_handlers(app: FastAPI) -> None:
    """Known errors by type; validation errors in words; anything else a plain 500."""

    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError):
        status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 500)
        headers = {"Retry-After": "2"} if status == 503 else None
        return error(status, str(exc), headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(TimeoutError)
    async def timeout(request: Request, exc: TimeoutError):
        return error(504, str(exc) or "the request took too long")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            if e.get("type") == "json_invalid":
                problems.append("the body is not valid JSON")
            else:
                problems.append(f"{where or 'body'}: {e.get('msg', 'invalid')}")
        return error(422, "; ".join(problems) or "invalid request")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return error(500, "internal error")
