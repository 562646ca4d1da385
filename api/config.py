"""The API's own knobs (limits, CORS, key file), read from KGQA_API_* environment variables.

They sit beside kgqa.settings.Settings (graph, models, keys) rather than in it: only the server needs them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from kgqa.settings import Settings


class ConfigError(ValueError):
    """An API setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class ApiConfig:
    max_body_bytes: int = 64 * 1024        # KGQA_API_MAX_BODY: larger request bodies get 413
    rate_per_second: float = 20.0          # KGQA_API_RATE: token-bucket refill per key (0 = no limit)
    rate_burst: int = 40                   # KGQA_API_BURST: bucket size per key
    timeout_s: float = 30.0                # KGQA_API_TIMEOUT: longest a request may compute before 504
    ask_timeout_s: float = 0.0             # KGQA_API_ASK_TIMEOUT: for /v1/ask (0 = llm_timeout + timeout)
    threads: int = 4                       # KGQA_API_THREADS: worker threads for blocking work
    max_queue: int = 64                    # KGQA_API_MAX_QUEUE: waiting jobs beyond the threads before 503
    cors_origins: tuple[str, ...] = ()     # KGQA_API_CORS_ORIGINS: comma-separated; empty = CORS off
    key_file: Path | None = None           # KGQA_API_KEY_FILE: default <home>/api_keys.json
    warmup: bool = True                    # KGQA_API_WARMUP: load graph and indexes at start-up

    @classmethod
    def from_env(cls, settings: Settings, environ: dict | None = None, **overrides) -> "ApiConfig":
        env = os.environ if environ is None else environ
        values: dict = {}
        specs = {
            "max_body_bytes": ("KGQA_API_MAX_BODY", int, 1),
            "rate_per_second": ("KGQA_API_RATE", float, 0),
            "rate_burst": ("KGQA_API_BURST", int, 1),
            "timeout_s": ("KGQA_API_TIMEOUT", float, 0.001),
            "ask_timeout_s": ("KGQA_API_ASK_TIMEOUT", float, 0),
            "threads": ("KGQA_API_THREADS", int, 1),
            "max_queue": ("KGQA_API_MAX_QUEUE", int, 0),
        }
        for name, (var, kind, minimum) in specs.items():
            raw = env.get(var)
            if raw is None or raw.strip() == "":
                continue
            try:
                value = kind(raw)
            except ValueError:
                raise ConfigError(f"{var}={raw!r}: expected a {'whole ' if kind is int else ''}number") from None
            if value < minimum:
                raise ConfigError(f"{var}={raw!r}: must be at least {minimum}")
            values[name] = value
        if env.get("KGQA_API_CORS_ORIGINS"):
            values["cors_origins"] = tuple(o.strip() for o in env["KGQA_API_CORS_ORIGINS"].split(",") if o.strip())
        if env.get("KGQA_API_KEY_FILE"):
            values["key_file"] = Path(env["KGQA_API_KEY_FILE"])
        if env.get("KGQA_API_WARMUP"):
            raw = env["KGQA_API_WARMUP"].strip().lower()
            if raw not in ("0", "1", "true", "false", "yes", "no"):
                raise ConfigError(f"KGQA_API_WARMUP={raw!r}: expected 1 or 0")
            values["warmup"] = raw in ("1", "true", "yes")
        values.update({k: v for k, v in overrides.items() if v is not None})
        config = cls(**values)
        if config.key_file is None:
            config = replace(config, key_file=settings.home / "api_keys.json")
        if not config.ask_timeout_s:
            config = replace(config, ask_timeout_s=settings.llm_timeout + config.timeout_s)
        return config
