"""`kgqa serve` refuses bad set-ups with a clear message and exit code 2, before listening."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.api.live_server import REPO


def serve(tmp_path, *args, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    full_env.update({"KGQA_HOME": str(tmp_path), "KGQA_CONFIG": "/nonexistent", **env})
    return subprocess.run([sys.executable, "-m", "kgqa", "serve", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args,env,expected", [
    ([], {"KGQA_STORE": "sqlite:////nonexistent/kg.sqlite"}, "kgqa build"),
    (["--port", "70000"], {}, "--port 70000"),
    (["--workers", "0"], {}, "--workers 0"),
    ([], {"KGQA_API_RATE": "fast"}, "KGQA_API_RATE='fast'"),
    ([], {"KGQA_API_KEYS": "sekrit:root"}, "KGQA_API_KEYS entry 1: role 'root'"),
])
def test_bad_setups_exit_2_with_a_message(tmp_path, args, env, expected):
    done = serve(tmp_path, *args, **env)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert "sekrit" not in done.stderr
