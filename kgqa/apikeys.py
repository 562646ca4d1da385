"""API keys: a role per key, keys from settings (`KGQA_API_KEYS`) and from a key file of salted hashes.

A key handed out by `kgqa apikey create` looks like `kgqa_<id>_<secret>`: the id finds the record, the
secret (32 random bytes) is checked against `sha256(salt + secret)`. A fast hash is enough here because
the secret is random and long (256 bits), unlike a password; it keeps each request's check to a
microsecond, where a slow KDF (scrypt) would cost tens of milliseconds per request.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

ROLES = ("reader", "curator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
KEY_PREFIX = "kgqa_"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$")
_KEY_RE = re.compile(r"^kgqa_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
FILE_VERSION = 1


class ApiKeyError(ValueError):
    """A key file or key setting is wrong, or a key command cannot do what was asked."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name (safe to log), its role and where the key came from."""
    name: str
    role: str
    key_id: str
    origin: str  # "settings" | "file"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


@dataclass
class KeyRecord:
    id: str
    name: str
    role: str
    salt: str
    hash: str
    created_at: str
    revoked_at: str | None = None
    algorithm: str = "sha256"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def public(self) -> dict:
        """What `kgqa apikey list` shows: never the hash or salt."""
        return {"id": self.id, "name": self.name, "role": self.role, "created_at": self.created_at,
                "revoked_at": self.revoked_at}


def check_role(role: str) -> str:
    if role not in ROLE_RANK:
        raise ApiKeyError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def parse_settings_keys(spec: str) -> dict[str, Principal]:
    """`"key1:reader,key2:curator:ci-bot"` -> {key: Principal}. An entry is KEY:ROLE or KEY:ROLE:NAME.

    Error messages name the entry by position, never by the key itself."""
    out: dict[str, Principal] = {}
    for position, entry in enumerate((e.strip() for e in spec.split(",")), start=1):
        if not entry:
            continue
        parts = entry.split(":")
        name = ""
        if len(parts) >= 3 and parts[-2] in ROLE_RANK and parts[-1] not in ROLE_RANK:
            key, role, name = ":".join(parts[:-2]), parts[-2], parts[-1]
        elif len(parts) >= 2:
            key, role = ":".join(parts[:-1]), parts[-1]
        else:
            raise ApiKeyError(f"KGQA_API_KEYS entry {position}: expected KEY:ROLE (roles: {', '.join(ROLES)})")
        if role not in ROLE_RANK:
            raise ApiKeyError(f"KGQA_API_KEYS entry {position}: role {role!r} is not one of {', '.join(ROLES)}")
        if not key.strip():
            raise ApiKeyError(f"KGQA_API_KEYS entry {position}: the key is empty")
        if key in out:
            raise ApiKeyError(f"KGQA_API_KEYS entry {position}: the same key is given twice")
        # The name goes into access logs; derive it from a hash so the key itself never does.
        key_id = hashlib.sha256(key.encode()).hexdigest()[:8]
        out[key] = Principal(name=name or f"settings-{key_id}", role=role, key_id=key_id, origin="settings")
    return out


class KeyFile:
    """The key file (`<home>/api_keys.json`): create, list, revoke and verify keys.

    Readers call `verify`, which re-reads the file when it changed on disk, so a key created or revoked
    by `kgqa apikey` takes effect in a running server without a restart."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._records: dict[str, KeyRecord] = {}
        self._stamp: tuple[int, int] | None = None

    # ---- reading --------------------------------------------------------------------------------
    def _load(self) -> dict[str, KeyRecord]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError as exc:
            raise ApiKeyError(f"{self.path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise ApiKeyError(f"{self.path}: expected an object with a 'keys' list")
        records = {}
        for n, item in enumerate(data["keys"], start=1):
            try:
                rec = KeyRecord(**item)
                check_role(rec.role)
            except (TypeError, ApiKeyError) as exc:
                raise ApiKeyError(f"{self.path}: key record {n} is malformed ({exc})") from None
            records[rec.id] = rec
        return records

    def refresh(self) -> None:
        """Re-read the file if its modification time or size changed."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._records = self._load() if stamp else {}
            self._stamp = stamp

    def records(self) -> list[KeyRecord]:
        self.refresh()
        return sorted(self._records.values(), key=lambda r: (r.created_at, r.id))

    def verify(self, presented: str) -> Principal | None:
        match = _KEY_RE.match(presented)
        if not match:
            return None
        self.refresh()
        rec = self._records.get(match.group(1))
        if rec is None or not rec.active:
            return None
        if not hmac.compare_digest(_digest(rec.salt, match.group(2)), rec.hash):
            return None
        return Principal(name=rec.name, role=rec.role, key_id=rec.id, origin="file")

    # ---- writing --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, KeyRecord]]:
        """Hold an exclusive lock while reading, changing and atomically rewriting the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            records = self._load()
            yield records
            payload = {"version": FILE_VERSION, "keys": [asdict(r) for r in records.values()]}
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".api_keys.")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(payload, fh, indent=2)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
        self._stamp = None  # force a re-read next time

    def create(self, role: str, name: str | None = None) -> tuple[str, KeyRecord]:
        """A new key: returns (the key, shown once and never stored; its record)."""
        check_role(role)
        with self._locked() as records:
            key_id = secrets.token_hex(6)
            while key_id in records:
                key_id = secrets.token_hex(6)
            name = name if name is not None else f"key-{key_id}"
            if not _NAME_RE.match(name):
                raise ApiKeyError(f"key name {name!r}: use 1-64 letters, digits, spaces or . _ @ -")
            if any(r.name == name and r.active for r in records.values()):
                raise ApiKeyError(f"an active key is already named {name!r}; pick another name")
            secret = secrets.token_urlsafe(32)
            salt = secrets.token_hex(16)
            rec = KeyRecord(id=key_id, name=name, role=role, salt=salt, hash=_digest(salt, secret),
                            created_at=_now())
            records[key_id] = rec
        return f"{KEY_PREFIX}{key_id}_{secret}", rec

    def revoke(self, id_or_name: str) -> KeyRecord:
        with self._locked() as records:
            found = [r for r in records.values() if r.active and id_or_name in (r.id, r.name)]
            if not found:
                raise ApiKeyError(f"no active key with id or name {id_or_name!r} (see `kgqa apikey list`)")
            if len(found) > 1:
                raise ApiKeyError(f"{id_or_name!r} names several keys; revoke by id")
            found[0].revoked_at = _now()
        return found[0]
