"""Pure logic of the API layer, in-process with stand-in components: crashes, timeouts, a full queue,
request ids, CORS and the access log. (Everything against the real graph is in test_server.py.)"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiConfig
from kgqa.cli import UserError
from kgqa.settings import load_settings

KEY = "test-reader-key"


class StandInLinker:
    """Behaves as told by the text: 'crash', 'slow', 'user-error'; otherwise no mentions."""

    def link(self, text, types=None):
        if "crash" in text:
            raise RuntimeError("secret internal detail /srv/db.sqlite")
        if "slow" in text:
            time.sleep(1.0)
        if "user-error" in text:
            raise UserError("the text is in a language the linker does not read")
        return []


class StandInStore:
    def version(self):
        return "test.0"


class StandInContext:
    def __init__(self, settings):
        self.settings = settings
        self.store = StandInStore()
        self.linker = StandInLinker()

    def close(self):
        pass


def make_client(tmp_path, **config) -> TestClient:
    settings = load_settings(config_file="/nonexistent", home=str(tmp_path), api_keys=f"{KEY}:reader")
    cfg = ApiConfig.from_env(settings, environ={}, **{"warmup": False, **config})
    return TestClient(create_app(StandInContext(settings), settings, cfg), raise_server_exceptions=False)


def link(client, text, **headers):
    return client.post("/v1/link", json={"text": text}, headers={"X-API-Key": KEY, **headers})


def test_crash_is_a_structured_500_without_internals_and_the_app_keeps_serving(tmp_path, caplog):
    with make_client(tmp_path) as client, caplog.at_level(logging.ERROR, logger="kgqa.api"):
        r = link(client, "crash please")
        assert r.status_code == 500
        body = r.json()["error"]
        assert body["code"] == "internal_error" and body["request_id"] == r.headers["x-request-id"]
        assert "secret" not in r.text and "Traceback" not in r.text and "sqlite" not in r.text
        assert any("RuntimeError" in (rec.exc_text or "") for rec in caplog.records)  # logged server-side
        assert link(client, "fine").status_code == 200


def test_slow_work_times_out_with_504(tmp_path):
    with make_client(tmp_path, timeout_s=0.2) as client:
        r = link(client, "slow")
        assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"
        assert "0.2 s" in r.json()["error"]["message"]


def test_full_queue_answers_503_busy_with_retry_after(tmp_path):
    with make_client(tmp_path, threads=1, max_queue=0) as client:
        with ThreadPoolExecutor(3) as pool:
            statuses = list(pool.map(lambda _: link(client, "slow"), range(3)))
        codes = sorted(r.status_code for r in statuses)
        assert codes.count(200) >= 1 and 503 in codes
        busy = next(r for r in statuses if r.status_code == 503)
        assert busy.json()["error"]["code"] == "busy" and busy.headers["retry-after"] == "1"


def test_user_errors_from_components_are_422_with_their_message(tmp_path):
    with make_client(tmp_path) as client:
        r = link(client, "user-error")
        assert r.status_code == 422
        assert r.json()["error"]["message"] == "the text is in a language the linker does not read"


def test_request_id_is_echoed_when_sane_and_replaced_when_not(tmp_path):
    with make_client(tmp_path) as client:
        assert link(client, "x", **{"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
        replaced = link(client, "x", **{"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
        assert replaced != "bad id\twith spaces" and len(replaced) == 32


def test_cors_is_off_by_default_and_on_for_configured_origins(tmp_path):
    origin = {"Origin": "https://triage.example.org"}
    with make_client(tmp_path) as client:
        assert "access-control-allow-origin" not in link(client, "x", **origin).headers
    with make_client(tmp_path, cors_origins=("https://triage.example.org",)) as client:
        assert link(client, "x", **origin).headers["access-control-allow-origin"] == "https://triage.example.org"
        pre = client.options("/v1/link", headers={**origin, "Access-Control-Request-Method": "POST"})
        assert pre.status_code == 200


def test_access_log_has_key_name_and_status_but_never_the_text_or_query(tmp_path, caplog):
    with make_client(tmp_path) as client, caplog.at_level(logging.INFO, logger="kgqa.api.access"):
        link(client, "my private symptom zebra-fever")
        client.get("/v1/entities?q=private-query-words", headers={"X-API-Key": KEY})
    lines = [r.getMessage() for r in caplog.records if r.name == "kgqa.api.access"]
    assert any("POST /v1/link 200" in line and "key=settings-" in line for line in lines)
    assert all("zebra" not in line and "private" not in line for line in lines)


def test_chunked_body_over_the_limit_is_413_while_streaming(tmp_path):
    with make_client(tmp_path, max_body_bytes=1000) as client:
        def chunks():
            yield b'{"text": "'
            for _ in range(50):
                yield b"x" * 100
            yield b'"}'
        r = client.post("/v1/link", content=chunks(), headers={"X-API-Key": KEY, "Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_not_ready_component_gives_503_with_retry_after(tmp_path):
    release = threading.Event()

    class SlowContext(StandInContext):
        @property
        def linker(self):
            release.wait(10)
            return StandInLinker()

        @linker.setter
        def linker(self, value):
            pass

    settings = load_settings(config_file="/nonexistent", home=str(tmp_path), api_keys=f"{KEY}:reader")
    app = create_app(SlowContext(settings), settings, ApiConfig.from_env(settings, environ={}))
    with TestClient(app) as client:
        r = link(client, "x")
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready" and r.headers["retry-after"]
        assert client.get("/readyz").status_code == 503
        release.set()
        for _ in range(100):
            r = link(client, "x")
            if r.status_code != 503:
                break
            time.sleep(0.05)
        assert r.status_code == 200
