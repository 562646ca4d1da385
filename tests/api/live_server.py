"""Start `kgqa serve` in a subprocess on a free loopback port and wait until it is ready.

Used by the API tests and by bench/bench_api.py. The server's stderr (its logs) goes to a file so tests
can check what the access log holds.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, store_url: str, home: Path, log_path: Path, env: dict[str, str] | None = None,
                 workers: int = 1, ready_path: str = "/readyz"):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.ready_path = ready_path
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
        full_env.update({"KGQA_STORE": store_url, "KGQA_HOME": str(home), "KGQA_CONFIG": "/nonexistent",
                         "PYTHONUNBUFFERED": "1", **(env or {})})
        if os.environ.get("KGQA_SOURCES_DIR"):
            full_env["KGQA_SOURCES_DIR"] = os.environ["KGQA_SOURCES_DIR"]
        self._log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kgqa", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers)],
            cwd=REPO, env=full_env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 600) -> "LiveServer":
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + self.ready_path, timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s:\n{tail}")

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()
