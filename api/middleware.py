"""Pure ASGI middleware: request ids, access logs, the catch-all error handler and the body limit.

Access log lines carry method, path (never the query string: `?q=` may hold a patient's words), status,
duration and the key's name; never a header value, the body or the text.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import REQUEST_ID_KEY, ApiError, error_response

log = logging.getLogger("kgqa.api")
access_log = logging.getLogger("kgqa.api.access")

LOG_KEY = "kgqa.log"    # scope key: a dict routes and dependencies fill for the access log (key name)
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestContextMiddleware:
    """Outermost layer: assigns the request id, logs one access line, turns crashes into a structured 500."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        scope[REQUEST_ID_KEY] = request_id
        scope[LOG_KEY] = {}
        started = time.perf_counter()
        status = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                if scope["path"].startswith("/v1/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s (request %s)", scope.get("method"), scope.get("path"), request_id)
            if status["code"] == 0:
                response = error_response(scope, 500, "internal_error",
                                          "internal error; the server logged it under this request id")
                await response(scope, receive, send_with_id)
            else:
                raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info("%s %s %s %d %.1fms key=%s", request_id, scope.get("method"), scope.get("path"),
                            status["code"], elapsed_ms, scope[LOG_KEY].get("key", "-"))


class BodyTooLarge(ApiError):
    def __init__(self, limit: int):
        super().__init__(413, "body_too_large", f"the request body is larger than {limit} bytes")


class BodyLimitMiddleware:
    """413 before reading the body when Content-Length is too big; for chunked bodies, as soon as the
    bytes received pass the limit (raised from `receive`, which FastAPI turns into the error response)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await error_response(scope, 400, "bad_request", "the Content-Length header is not a number")(
                    scope, receive, send)
                return
            if length > self.limit:
                await error_response(scope, 413, "body_too_large",
                                     f"the request body is larger than {self.limit} bytes")(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited_receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return value.decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
                return None
    return None
