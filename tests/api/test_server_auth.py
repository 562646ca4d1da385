"""Authentication and roles through the real server: no key, bad key, revoked key, each role, 403, 429."""
from __future__ import annotations

import httpx
import pytest

READ = "/v1/kg/version"


def test_health_needs_no_key_and_v1_does(server):
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    r = httpx.get(server.url + READ)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized" and "X-API-Key" in r.json()["error"]["message"]
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [
    {"X-API-Key": "wrong-key"},
    {"X-API-Key": ""},
    {"Authorization": "Bearer wrong-key"},
    {"Authorization": "Basic dGVzdDp0ZXN0"},
    {"X-API-Key": "x" * 5000},
])
def test_bad_keys_are_401(server, headers):
    r = httpx.get(server.url + READ, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["request_id"] == r.headers["x-request-id"]


def test_revoked_file_key_is_401_and_a_live_file_key_works(server):
    assert httpx.get(server.url + READ, headers={"X-API-Key": server.revoked_key}).status_code == 401
    assert httpx.get(server.url + READ, headers={"X-API-Key": server.keys["file"]}).status_code == 200


@pytest.mark.parametrize("role", ["reader", "curator", "admin"])
def test_every_role_reads_with_either_header(server, role):
    key = server.keys[role]
    assert httpx.get(server.url + READ, headers={"X-API-Key": key}).status_code == 200
    assert httpx.get(server.url + READ, headers={"Authorization": f"Bearer {key}"}).status_code == 200


@pytest.mark.parametrize("role,status", [("reader", 403), ("curator", 403), ("admin", 200)])
def test_admin_route_needs_an_admin_key(server, role, status):
    r = httpx.get(server.url + "/v1/admin/status", headers=server.headers(role))
    assert r.status_code == status
    if status == 403:
        assert r.json()["error"]["code"] == "forbidden" and "admin" in r.json()["error"]["message"]
    else:
        body = r.json()
        assert body["components"]["linker"] == "ready" and body["keys"]["settings"] == {
            "reader": 1, "curator": 1, "admin": 1}
        assert server.keys["admin"] not in r.text


def test_a_key_created_while_the_server_runs_works_at_once(server):
    from tests.api.conftest import _apikey
    path = server.live.log_path.parent / "api_keys.json"  # the key file the server reads
    key = _apikey(path, "create", "--role", "curator", "--name", "late-comer")
    assert httpx.get(server.url + READ, headers={"X-API-Key": key}).status_code == 200
    _apikey(path, "revoke", "late-comer")
    assert httpx.get(server.url + READ, headers={"X-API-Key": key}).status_code == 401


def test_rate_limit_gives_429_with_retry_after_per_key(strict_server):
    url = strict_server.url + READ
    with httpx.Client() as client:
        codes = [client.get(url, headers=strict_server.headers("reader")).status_code for _ in range(8)]
        assert codes[:3] == [200, 200, 200] and 429 in codes          # burst 3, refill one per 2 s
        limited = client.get(url, headers=strict_server.headers("reader"))
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
        # another key has its own bucket
        assert client.get(url, headers=strict_server.headers("curator")).status_code == 200
