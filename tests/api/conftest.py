"""Real `kgqa serve` processes on loopback ports over the session's HPO graph.

- `server`: warm (graph and indexes loaded before /readyz says ready), keys of every role from
  KGQA_API_KEYS plus a key-file key and a revoked one; a generous rate limit.
- `strict_server`: same graph, no warm-up (store-only routes), a tight rate limit and body limit.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.api.live_server import REPO, LiveServer
from tests.conftest import TEST_HOME

KEYS = {"reader": "test-reader-0123456789", "curator": "test-curator-0123456789", "admin": "test-admin-0123456789"}


@dataclass
class Server:
    live: LiveServer
    keys: dict[str, str] = field(default_factory=dict)
    revoked_key: str = ""

    @property
    def url(self) -> str:
        return self.live.base_url

    def headers(self, role: str = "reader") -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


def _apikey(key_file: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "kgqa", "apikey", "--key-file", str(key_file), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def server(hpo_graph, hpo_context, tmp_path_factory):
    # Build the linker once in-process (other suites share it): that writes the embedding cache in
    # TEST_HOME, so the server process loads its indexes from disk instead of embedding every name again.
    hpo_context.linker
    tmp = tmp_path_factory.mktemp("api-server")
    key_file = tmp / "api_keys.json"
    file_key = _apikey(key_file, "create", "--role", "reader", "--name", "file-reader")
    revoked = _apikey(key_file, "create", "--role", "admin", "--name", "gone")
    _apikey(key_file, "revoke", "gone")
    env = {"KGQA_API_KEYS": ",".join(f"{k}:{role}:{role}-key" for role, k in KEYS.items()),
           "KGQA_API_KEY_FILE": str(key_file), "KGQA_API_RATE": "1000", "KGQA_API_BURST": "1000",
           "KGQA_CURATION_LOG": str(tmp / "curation.sqlite")}
    live = LiveServer(hpo_graph, TEST_HOME, tmp / "server.log", env)
    try:
        live.wait_ready(900)
        yield Server(live, {**KEYS, "file": file_key}, revoked)
    finally:
        live.stop()


@pytest.fixture(scope="session")
def strict_server(hpo_graph, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api-strict")
    env = {"KGQA_API_KEYS": ",".join(f"{k}:{role}" for role, k in KEYS.items()),
           "KGQA_API_KEY_FILE": str(tmp / "none.json"), "KGQA_API_WARMUP": "0",
           "KGQA_CURATION_LOG": str(tmp / "curation.sqlite"),
           "KGQA_API_RATE": "0.5", "KGQA_API_BURST": "3", "KGQA_API_MAX_BODY": "2048"}
    live = LiveServer(hpo_graph, TEST_HOME, tmp / "server.log", env, ready_path="/healthz")
    try:
        live.wait_ready(120)
        yield Server(live, dict(KEYS))
    finally:
        live.stop()
