"""A real Bolt server for the tests and benchmarks: ArcadeDB (package `arcadedb-embedded`) with its Bolt plugin.

The server runs in a child Python process (its JVM, its log folder and its memory stay out of the test
process), on free loopback ports, in a temporary root folder, with a random root password. The child
stops when its stdin closes, so a crashed test run leaves no server behind.

- `start_bolt_server(root)` -> BoltServer (url, user, password, create_database, drop_database, stop)
- `fresh_neo4j_store(request)` -> Neo4jStore on a new, empty database of the session's server
If the server cannot start, the test errors: it is never skipped.
"""
from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READY = "BOLT-SERVER-READY"
_PASSWORD_ENV = "KGQA_TEST_ARCADEDB_PASSWORD"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BoltServer:
    root: Path
    bolt_port: int
    http_port: int
    password: str
    process: subprocess.Popen
    user: str = "root"
    _log: Path = field(default=Path())

    @property
    def url(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def _command(self, command: str) -> None:
        """A server command through ArcadeDB's HTTP API (database creation is not a Cypher statement)."""
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api/v1/server", method="POST",
            data=json.dumps({"command": command}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"ArcadeDB refused {command!r}: {exc.code} {exc.read()[:300]!r}") from exc

    def create_database(self, name: str) -> None:
        self._command(f"create database {name}")

    def drop_database(self, name: str) -> None:
        self._command(f"drop database {name}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self._log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()      # the child stops the server on EOF
                self.process.wait(timeout=10)   # open Bolt connections can hold it up: do not wait long
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def start_bolt_server(root: Path, heap: str = "1g", timeout_s: float = 180.0) -> BoltServer:
    """Start ArcadeDB with Bolt on free loopback ports under `root`; raise RuntimeError when it cannot."""
    root.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    bolt_port, http_port = free_port(), free_port()
    log = root / "server.log"
    env = dict(os.environ, **{_PASSWORD_ENV: password})
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.bolt_server", "--root", str(root), "--bolt-port", str(bolt_port),
             "--http-port", str(http_port), "--heap", heap],
            cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_fh)
    server = BoltServer(root, bolt_port, http_port, password, proc, _log=log)
    ready = threading.Event()

    def watch() -> None:
        for line in proc.stdout:
            if line.decode(errors="replace").strip() == READY:
                ready.set()
                return
    threading.Thread(target=watch, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not ready.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"ArcadeDB Bolt server did not start (exit code {proc.poll()}); "
                               f"log {log}:\n{server.log_tail()}")
    return server


# ---- the session's server and per-test databases ---------------------------------------------------

_server: BoltServer | None = None
_server_lock = threading.Lock()
_counter = itertools.count(1)


def session_server(config) -> BoltServer:
    """The test session's server, started on first use and stopped when the session ends."""
    global _server
    with _server_lock:
        if _server is None or _server.process.poll() is not None:
            root = Path(tempfile.mkdtemp(prefix="kgqa-arcadedb-"))
            _server = start_bolt_server(root)
            server = _server

            def stop() -> None:
                global _server
                server.stop()
                shutil.rmtree(root, ignore_errors=True)
                _server = None
            config.add_cleanup(stop)
        return _server


def fresh_neo4j_store(request):
    """A Neo4jStore on a new empty database (one per test; dropped afterwards)."""
    from kg.store.neo4j import Neo4jStore
    server = session_server(request.config)
    name = f"kgtest{os.getpid()}x{next(_counter)}"
    server.create_database(name)

    def drop() -> None:
        try:
            server.drop_database(name)
        except (RuntimeError, OSError):
            pass  # the temporary root goes with the session anyway
    request.addfinalizer(drop)
    return Neo4jStore(server.url, user=server.user, password=server.password, database=name)


# ---- the child process ----------------------------------------------------------------------------

def _serve(args: argparse.Namespace) -> None:
    from arcadedb_embedded.jvm import start_jvm
    start_jvm(heap_size=args.heap)
    import arcadedb_embedded
    server = arcadedb_embedded.create_server(
        root_path=args.root, root_password=os.environ[_PASSWORD_ENV],
        config={"host": "127.0.0.1", "http_port": args.http_port,
                "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin", "bolt_port": args.bolt_port})
    server.start()
    print(READY, flush=True)
    try:
        sys.stdin.read()          # until the parent closes our stdin (or dies)
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="run ArcadeDB with Bolt until stdin closes")
    parser.add_argument("--root", required=True)
    parser.add_argument("--bolt-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--heap", default="1g")
    _serve(parser.parse_args())
