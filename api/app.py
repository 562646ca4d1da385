"""The FastAPI application: `create_app(context, settings)`.

Layers, outermost first: request context (request id, access log, catch-all 500) -> CORS (only when
origins are configured) -> body limit (413) -> FastAPI (routers, auth and limits as dependencies).
Routers live in api/routes/<area>.py and are listed in ROUTERS; adding one is adding its module name.
"""
from __future__ import annotations

import importlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from kgqa.apikeys import KeyFile
from kgqa.context import KGContext
from kgqa.settings import Settings, load_settings
from api.auth import KeyRing
from api.config import ApiConfig
from api.errors import ErrorBody, JSONBody, install_error_handlers
from api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from api.state import AppState

log = logging.getLogger("kgqa.api")

# Modules under api/routes/ with a module-level `router`; a module not written yet is skipped.
ROUTERS = ("health", "qa", "graph", "admin", "curation")

DESCRIPTION = """Knowledge-grounded answers, entity linking, symptom triage and graph reads over a
biomedical knowledge graph. Send an API key as `X-API-Key: <key>` or `Authorization: Bearer <key>`.
Errors are `{"error": {"code", "message", "request_id"}}`. Triage output is decision support, not a diagnosis."""


def _include_routers(app: FastAPI) -> None:
    for name in ROUTERS:
        try:
            module = importlib.import_module(f"api.routes.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"api.routes.{name}":
                continue
            raise
        app.include_router(module.router)


def _document_common_errors(app: FastAPI) -> None:
    """Every operation's schema lists the errors the layers around it can give, whoever wrote the router:
    a body can be malformed (400) or too large (413); a key can be missing (401) or over its rate (429)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for defs_name, defs in error_schema.pop("$defs", {}).items():
            schemas.setdefault(defs_name, defs)
        schemas.setdefault("ErrorBody", error_schema)
        for item in schema.get("paths", {}).values():
            for op in item.values():
                extra = []
                if "requestBody" in op:
                    extra += [("400", "malformed JSON"), ("413", "request body too large"),
                              ("422", "invalid input (the message says which field)")]
                if op.get("security"):
                    extra += [("401", "missing or unknown API key"), ("429", "rate limit exceeded (see Retry-After)"),
                              ("503", "not ready yet or too busy (see Retry-After)"), ("504", "the request took too long")]
                for status, description in extra:
                    op.setdefault("responses", {}).setdefault(status, {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(context: KGContext | None = None, settings: Settings | None = None,
               config: ApiConfig | None = None) -> FastAPI:
    """The API over `context` (or a new KGContext from `settings`, or from the environment).

    The app closes a context it created itself when it shuts down; a context passed in stays open."""
    settings = settings or (context.settings if context is not None else load_settings())
    config = config or ApiConfig.from_env(settings)
    own_context = context is None
    context = context or KGContext(settings)
    keyring = KeyRing(settings.api_keys, KeyFile(config.key_file) if config.key_file else None)
    state = AppState(context, config, keyring, own_context)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not keyring.configured:
            log.warning("no API keys configured: every /v1 request will get 401 "
                        "(set KGQA_API_KEYS or run `kgqa apikey create --role reader`)")
        if config.warmup:
            state.warm_up(background=True)
        try:
            yield
        finally:
            state.close()

    app = FastAPI(title="kgqa API", version="1", description=DESCRIPTION, lifespan=lifespan,
                  default_response_class=JSONBody)
    app.state.kgqa = state
    install_error_handlers(app)
    _include_routers(app)
    _document_common_errors(app)

    # add_middleware wraps: the last added is the outermost.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=config.max_body_bytes)
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["X-API-Key", "Authorization", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    app.add_middleware(RequestContextMiddleware)
    return app
