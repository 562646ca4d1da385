"""Authentication and roles: `X-API-Key: <key>` or `Authorization: Bearer <key>`.

Missing or unknown key -> 401; a role below the route's -> 403; over the key's rate -> 429.
Routes declare what they need with `Depends(require_role("reader"))` (or "curator", "admin"); the
dependency returns the caller's `Principal`.
"""
from __future__ import annotations

import hmac
from typing import Callable

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from kgqa.apikeys import ROLE_RANK, KeyFile, Principal, check_role, parse_settings_keys
from api.errors import ApiError
from api.middleware import LOG_KEY
from api.ratelimit import retry_after_header

# auto_error=False: we answer missing keys ourselves, with the structured 401.
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="an API key (`kgqa apikey create --role reader`)")
bearer = HTTPBearer(auto_error=False, description="the same API key as a bearer token")

MAX_KEY_CHARS = 200


class KeyRing:
    """Keys from settings (plain, compared in constant time) and from the key file (salted hashes)."""

    def __init__(self, settings_keys: str = "", key_file: KeyFile | None = None):
        self._settings = parse_settings_keys(settings_keys)
        self.key_file = key_file

    @property
    def configured(self) -> bool:
        return bool(self._settings) or (self.key_file is not None and bool(self.key_file.records()))

    def settings_principals(self) -> list[Principal]:
        return list(self._settings.values())

    def authenticate(self, presented: str) -> Principal | None:
        if not presented or len(presented) > MAX_KEY_CHARS:
            return None
        found = None
        for key, principal in self._settings.items():
            if hmac.compare_digest(key.encode(), presented.encode()):
                found = principal
        if found is None and self.key_file is not None:
            found = self.key_file.verify(presented)
        return found


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="kgqa"'})


async def authenticate(request: Request,
                       api_key: str | None = Security(api_key_header),
                       credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> Principal:
    presented = api_key or (credentials.credentials if credentials else None)
    if not presented:
        raise _unauthorized("an API key is required: send it as X-API-Key or Authorization: Bearer")
    state = request.app.state.kgqa
    principal = state.keyring.authenticate(presented.strip())
    if principal is None:
        raise _unauthorized("the API key is not valid (unknown or revoked)")
    request.scope.setdefault(LOG_KEY, {})["key"] = principal.name
    return principal


def require_role(role: str) -> Callable:
    """A dependency: the caller's key must have at least `role`; also applies the per-key rate limit."""
    check_role(role)

    async def dependency(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
        if ROLE_RANK[principal.role] < ROLE_RANK[role]:
            raise ApiError(403, "forbidden", f"this needs a {role} key; yours is a {principal.role} key")
        wait = request.app.state.kgqa.limiter.acquire(f"{principal.origin}:{principal.key_id}")
        if wait > 0:
            raise ApiError(429, "rate_limited", f"too many requests for this key; retry in {wait:.1f} s",
                           headers={"Retry-After": retry_after_header(wait)})
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency
