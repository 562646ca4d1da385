"""API keys: the key file (create, verify, revoke, list) and keys given in settings."""
from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from kgqa.apikeys import ApiKeyError, KeyFile, parse_settings_keys


def test_created_key_verifies_with_its_role_and_is_stored_hashed(tmp_path):
    keys = KeyFile(tmp_path / "api_keys.json")
    key, record = keys.create("curator", "ci-bot")
    principal = keys.verify(key)
    assert principal is not None and principal.role == "curator" and principal.name == "ci-bot"
    raw = (tmp_path / "api_keys.json").read_text()
    secret = key.rsplit("_", 1)[1]
    assert secret not in raw and key not in raw  # only salt + hash on disk
    assert json.loads(raw)["keys"][0]["hash"] == record.hash
    assert stat.S_IMODE((tmp_path / "api_keys.json").stat().st_mode) == 0o600


def test_wrong_secret_unknown_id_and_garbage_are_refused(tmp_path):
    keys = KeyFile(tmp_path / "k.json")
    key, _ = keys.create("reader")
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert keys.verify(tampered) is None
    assert keys.verify("kgqa_000000000000_" + key.rsplit("_", 1)[1]) is None
    assert keys.verify("") is None and keys.verify("not a key") is None


def test_revoke_by_name_takes_effect_for_an_open_key_file(tmp_path):
    path = tmp_path / "k.json"
    server_side = KeyFile(path)           # what a running server holds
    key, record = KeyFile(path).create("reader", "alice")
    assert server_side.verify(key) is not None
    KeyFile(path).revoke("alice")         # another process revokes
    assert server_side.verify(key) is None
    listed = {r.id: r for r in server_side.records()}
    assert listed[record.id].revoked_at is not None
    with pytest.raises(ApiKeyError, match="no active key"):
        KeyFile(path).revoke("alice")


def test_names_are_unique_among_active_keys_and_validated(tmp_path):
    keys = KeyFile(tmp_path / "k.json")
    keys.create("reader", "alice")
    with pytest.raises(ApiKeyError, match="already named"):
        keys.create("admin", "alice")
    with pytest.raises(ApiKeyError, match="key name"):
        keys.create("reader", "bad\nname")
    with pytest.raises(ApiKeyError, match="role"):
        keys.create("superuser")


def test_malformed_key_file_is_reported_with_its_path(tmp_path):
    path = tmp_path / "k.json"
    path.write_text('{"keys": [\n{"id": 1}\n]}')
    with pytest.raises(ApiKeyError, match="record 1 is malformed"):
        KeyFile(path).records()
    path.write_text("{not json")
    with pytest.raises(ApiKeyError, match=r"k\.json: not valid JSON \(line 1\)"):
        KeyFile(path).records()


def test_settings_keys_parse_roles_and_names_without_leaking_keys():
    parsed = parse_settings_keys(" k1:reader , k2:curator:ci-bot,k:3:admin")
    assert parsed["k1"].role == "reader" and parsed["k1"].name.startswith("settings-")
    assert parsed["k2"].name == "ci-bot" and parsed["k2"].role == "curator"
    assert parsed["k:3"].role == "admin"
    for bad, reason in [("secretkey", "entry 1"), ("ok:reader,secretkey:root", "entry 2: role 'root'"),
                        (":reader", "key is empty"), ("a:reader,a:admin", "twice")]:
        with pytest.raises(ApiKeyError, match=reason) as info:
            parse_settings_keys(bad)
        assert "secretkey" not in str(info.value)


def test_cli_create_prints_the_key_once_and_list_never_shows_it(tmp_path):
    env_file = tmp_path / "keys.json"
    run = lambda *a: subprocess.run([sys.executable, "-m", "kgqa.cli", "apikey", "--key-file", str(env_file), *a],
                                    capture_output=True, text=True, timeout=60)
    created = run("create", "--role", "admin", "--name", "ops")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("kgqa_") and KeyFile(env_file).verify(key).role == "admin"
    listed = run("list", "--json")
    assert listed.returncode == 0 and key not in listed.stdout
    assert json.loads(listed.stdout.splitlines()[0])["name"] == "ops"
    revoked = run("revoke", "nobody")
    assert revoked.returncode == 2 and "no active key" in revoked.stderr and "Traceback" not in revoked.stderr
