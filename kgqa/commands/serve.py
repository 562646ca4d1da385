"""`kgqa serve` (the HTTP API under uvicorn) and `kgqa apikey create|list|revoke`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kgqa.cli import UserError


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the HTTP API (see docs/api.md)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (default 1); each loads its own copy of the indexes")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.set_defaults(func=_serve)

    keys = sub.add_parser("apikey", help="create, list or revoke API keys (stored hashed in <home>/api_keys.json)")
    keys.add_argument("--key-file", help="the key file (default $KGQA_API_KEY_FILE or <KGQA_HOME>/api_keys.json)")
    ks = keys.add_subparsers(dest="apikey_command", metavar="ACTION")
    create = ks.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", required=True, choices=["reader", "curator", "admin"])
    create.add_argument("--name", help="a name for logs and for revoking (default key-<id>)")
    create.set_defaults(func=_create)
    ls = ks.add_parser("list", help="list keys (never the keys themselves)")
    ls.add_argument("--json", action="store_true", help="one JSON object per key")
    ls.set_defaults(func=_list)
    revoke = ks.add_parser("revoke", help="revoke a key by id or name; running servers notice at once")
    revoke.add_argument("key", help="the key's id or name (see `kgqa apikey list`)")
    revoke.set_defaults(func=_revoke)
    keys.set_defaults(func=lambda args: keys.print_help() or 2)


# ---- serve ------------------------------------------------------------------------------------------
def _log_config(level: str) -> dict:
    """uvicorn's logging plus the kgqa loggers (errors, access lines). uvicorn applies it in every worker
    process, so `--workers N` logs the same way as one worker."""
    import copy

    from uvicorn.config import LOGGING_CONFIG
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["kgqa"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["kgqa"] = {"class": "logging.StreamHandler", "formatter": "kgqa", "stream": "ext://sys.stderr"}
    config["loggers"]["kgqa"] = {"handlers": ["kgqa"], "level": level.upper(), "propagate": False}
    return config


def _serve(args) -> int:
    import uvicorn

    from api.config import ApiConfig
    from kgqa.context import KGContext
    from kgqa.settings import load_settings

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port}: use 1-65535")
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: use 1 or more")
    settings = load_settings(args.config, store=args.store)
    try:
        config = ApiConfig.from_env(settings)
        from kgqa.apikeys import parse_settings_keys
        parse_settings_keys(settings.api_keys)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    # Fail now, with the store's own message, rather than answering 503 forever.
    context = KGContext(settings)
    context.store.version()
    # uvicorn's own access log prints query strings (search text); ours (kgqa.api.access) does not.
    # A worker busy loading its indexes on a loaded machine can miss uvicorn's 5 s health ping and be
    # killed mid-start; give it longer.
    common = dict(host=args.host, port=args.port, access_log=False, log_level=args.log_level,
                  log_config=_log_config(args.log_level), timeout_keep_alive=5, server_header=False,
                  timeout_worker_healthcheck=60)
    if args.workers == 1:
        from api.app import create_app
        uvicorn.run(create_app(context, settings, config), **common)
    else:
        context.close()
        # Each worker process builds its own app from the environment: hand the CLI's choices on.
        if args.store:
            os.environ["KGQA_STORE"] = args.store
        if args.config:
            os.environ["KGQA_CONFIG"] = str(Path(args.config).resolve())
        # Workers share the cores: one encoder thread pool each as wide as the machine oversubscribes it.
        os.environ.setdefault("KGQA_EMBEDDING_THREADS", str(max(1, (os.cpu_count() or 1) // args.workers)))
        uvicorn.run("api.app:create_app", factory=True, workers=args.workers, **common)
    return 0


# ---- apikey -----------------------------------------------------------------------------------------
def _key_file(args):
    from kgqa.apikeys import KeyFile
    from kgqa.settings import load_settings
    if args.key_file:
        return KeyFile(args.key_file)
    if os.environ.get("KGQA_API_KEY_FILE"):
        return KeyFile(os.environ["KGQA_API_KEY_FILE"])
    return KeyFile(load_settings(args.config).home / "api_keys.json")


def _keys_call(fn):
    from kgqa.apikeys import ApiKeyError
    try:
        return fn()
    except ApiKeyError as exc:
        raise UserError(str(exc)) from None


def _create(args) -> int:
    keys = _key_file(args)
    key, record = _keys_call(lambda: keys.create(args.role, args.name))
    print(key)
    print(f"created {record.role} key {record.id} ({record.name}) in {keys.path}; "
          "this is the only time the key is shown: store it now", file=sys.stderr)
    return 0


def _list(args) -> int:
    records = _keys_call(lambda: _key_file(args).records())
    if args.json:
        for r in records:
            print(json.dumps(r.public()))
        return 0
    if not records:
        print("no keys (create one with `kgqa apikey create --role reader`)", file=sys.stderr)
        return 0
    print(f"{'ID':<14}{'NAME':<24}{'ROLE':<9}{'CREATED':<27}REVOKED")
    for r in records:
        print(f"{r.id:<14}{r.name[:23]:<24}{r.role:<9}{r.created_at:<27}{r.revoked_at or '-'}")
    return 0


def _revoke(args) -> int:
    keys = _key_file(args)
    record = _keys_call(lambda: keys.revoke(args.key))
    print(f"revoked key {record.id} ({record.name}, {record.role})", file=sys.stderr)
    return 0
