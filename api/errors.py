"""Structured errors: every error response is `{"error": {"code", "message", "request_id"}}`.

Client mistakes get a 4xx naming what is wrong; anything unexpected gets a plain 500 with the request
id (the traceback goes to the server log only). Validation messages never echo the input back: it may
be a patient's own words.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("kgqa.api")

REQUEST_ID_KEY = "kgqa.request_id"   # scope key set by the request-context middleware

_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
    504: "timeout",
}


class ApiError(StarletteHTTPException):
    """Raise from a route or dependency: becomes a structured error response."""

    def __init__(self, status_code: int, code: str, message: str, headers: dict[str, str] | None = None,
                 details: list[dict] | None = None):
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.details = details


class ErrorInfo(BaseModel):
    code: str = Field(description="machine-readable reason, e.g. invalid_request, not_found, rate_limited")
    message: str = Field(description="what is wrong, for a person")
    request_id: str = Field(description="quote it when reporting a problem; also in the X-Request-ID header")
    details: list[dict[str, Any]] | None = Field(default=None, description="per-field problems (422 only)")


class ErrorBody(BaseModel):
    error: ErrorInfo


def request_id_of(scope: dict) -> str:
    return scope.get(REQUEST_ID_KEY, "-")


class JSONBody(Response):
    """JSON without pydantic re-validation: the fast path for large answers."""
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate somewhere: \u-escapes keep the JSON valid
            return json.dumps(content, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()


def error_response(scope: dict, status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   details: list[dict] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id_of(scope)}
    if details:
        body["details"] = details
    return JSONBody({"error": body}, status_code=status, headers=headers)


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _validation_details(exc: RequestValidationError) -> tuple[str, str, list[dict]]:
    """(code, message, details) for a validation failure; malformed JSON is a 400 of its own."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        pos = next((e["loc"][1] for e in errors if e.get("type") == "json_invalid" and len(e["loc"]) > 1), None)
        where = f" at character {pos}" if isinstance(pos, int) else ""
        return "malformed_json", f"the request body is not valid JSON{where}", []
    details = []
    for e in errors:
        msg = e.get("msg", "invalid value")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        details.append({"field": _field_path(e.get("loc", ())), "problem": msg, "type": e.get("type", "")})
    first = details[0] if details else {"field": "request", "problem": "invalid"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return "invalid_request", f"{first['field']}: {first['problem']}{more}", details


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request.scope, exc.status_code, exc.code, exc.message, exc.headers, exc.details)

    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 400 and message == "There was an error parsing the body":
            code, message = "malformed_json", "the request body could not be parsed as JSON (not UTF-8, or nested too deeply)"
        elif exc.status_code == 404:
            message = "no such endpoint; see /docs for the API"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on this endpoint"
        return error_response(request.scope, exc.status_code, code, message, getattr(exc, "headers", None))

    async def on_validation_error(request: Request, exc: RequestValidationError) -> Response:
        code, message, details = _validation_details(exc)
        return error_response(request.scope, 400 if code == "malformed_json" else 422, code, message,
                              details=details)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


# Documented in every route's OpenAPI responses.
def error_responses(*statuses: int) -> dict[int | str, dict]:
    descriptions = {
        400: "malformed JSON", 401: "missing or unknown API key", 403: "the key's role is too low",
        404: "unknown id", 413: "request body too large", 422: "invalid input (the message says which field)",
        429: "rate limit exceeded (see Retry-After)", 503: "not ready yet or too busy (see Retry-After)",
        504: "the request took too long",
    }
    return {s: {"model": ErrorBody, "description": descriptions.get(s, "error")} for s in statuses}
