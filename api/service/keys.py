"""API keys with roles. Only a key's SHA-256 is stored; the key is shown once.

A key is ``rmk_<id>_<secret>`` with a 256-bit random secret, so a fast hash is safe
(no password stretching is needed for random keys). Roles:

- ``portal``: referrals, suggestions, allocation runs, stateless allocation;
- ``planner``: scenarios, simulations, estimates, stateless allocation, queue status;
- ``admin``: units, capacity, keys;
- ``auditor``: the audit log (``GET /v1/audit``).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.service.db_schema import ApiKeyRow, utcnow
from api.service.http_problems import Problem
from api.service.unit_of_work import UnitOfWork


class Role(StrEnum):
    portal = "portal"
    planner = "planner"
    admin = "admin"
    auditor = "auditor"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id (the audit log's actor) and its roles; on routes
    that name them, the end user the portal acts for and the route's purpose
    (:mod:`api.service.access_log`)."""

    key_id: str
    roles: frozenset[Role]
    end_user: str = ""
    purpose: str = ""


def hash_key(key: str) -> str:
    """The SHA-256 the database keeps of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, roles: list[Role], name: str = "") -> tuple[ApiKeyRow, str]:
    """A new key row (added to ``session``) and the key itself, shown only once."""
    if not roles:
        raise ValueError("a key needs at least one role")
    key_id = secrets.token_hex(6)
    key = f"rmk_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(
        id=key_id,
        name=name,
        roles=",".join(sorted({r.value for r in roles})),
        key_hash=hash_key(key),
        created_at=utcnow(),
    )
    session.add(row)
    return row, key


def roles_of(row: ApiKeyRow) -> frozenset[Role]:
    """The roles a key row holds."""
    return frozenset(Role(r) for r in row.roles.split(",") if r)


KEY_CACHE_SECONDS = 5.0
"""How long a process trusts a key it has looked up. A revocation takes effect at once
in the process that made it and within this many seconds in other worker processes."""


class KeyCache:
    """Key hash → (key id, roles, revoked) for :data:`KEY_CACHE_SECONDS`."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, str, frozenset[Role], bool]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> tuple[str, frozenset[Role], bool] | None:
        hit = self._entries.get(key_hash)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1], hit[2], hit[3]

    def put(self, key_hash: str, key_id: str, roles: frozenset[Role], revoked: bool) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_hash] = (
                time.monotonic() + KEY_CACHE_SECONDS,
                key_id,
                roles,
                revoked,
            )

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


def find_key(uow: UnitOfWork, digest: str) -> ApiKeyRow | None:
    """The key row with this hash, or None."""
    with uow.reading() as session:
        return session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest))


KeyEntry = tuple[str, frozenset[Role], bool]
"""What the key cache holds of a key: its id, its roles and whether it is revoked."""


async def look_up(cache: KeyCache, uow: UnitOfWork, key: str) -> KeyEntry | None:
    """The cached entry of ``key`` (None: no such key). A cache hit needs no thread; a
    miss reads on a worker thread, as a database that does not answer must not stall
    the event loop (and /livez with it)."""
    digest = hash_key(key)
    hit = cache.get(digest)
    if hit is None:
        row = await anyio.to_thread.run_sync(find_key, uow, digest)
        if row is None:
            return None
        hit = (row.id, roles_of(row), row.revoked_at is not None)
        cache.put(digest, *hit)
    return hit


header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key from `remiss apikey create`"
)


def require(*allowed: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller's key must exist, be live and hold one of ``allowed``."""

    async def check(request: Request, key: str | None = Depends(header)) -> Caller:
        if not key:
            raise Problem(401, "Unauthorized", "send an API key in the X-API-Key header")
        hit = await look_up(request.app.state.remiss.keys, request.app.state.remiss.uow, key)
        if hit is None:
            raise Problem(401, "Unauthorized", "unknown or revoked API key")
        key_id, roles, revoked = hit
        request.state.key_id = key_id  # for the audit row of a refusal
        if revoked:
            raise Problem(401, "Unauthorized", "unknown or revoked API key")
        if not roles & set(allowed):
            need = " or ".join(r.value for r in allowed)
            raise Problem(403, "Forbidden", f"this route needs the role {need}")
        caller = Caller(key_id, roles)
        request.state.caller = caller
        return caller

    check.allowed = allowed  # type: ignore[attr-defined]
    return check
