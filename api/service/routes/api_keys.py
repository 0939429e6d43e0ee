"""The administrator's API keys: create (shown once), list, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status

from api.service import service_layer
from api.service.deps import Admin, St, request_id, v1_router
from api.service.schemas import KeyIn, KeyOut, NewKey

router = v1_router(tags=["admin"])


@router.post("/keys", response_model=NewKey, status_code=status.HTTP_201_CREATED)
def create_api_key(body: KeyIn, caller: Admin, st: St) -> NewKey:
    """A new API key; the key is in this response only (the database keeps its hash)."""
    return service_layer.create_api_key(st, body, caller, request_id())


@router.get("/keys", response_model=list[KeyOut])
def list_api_keys(caller: Admin, st: St) -> list[KeyOut]:
    return service_layer.list_api_keys(st)


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke_api_key(
    key_id: Annotated[str, Path(max_length=32, pattern=r"^[0-9a-f]+$")],
    caller: Admin,
    st: St,
) -> KeyOut:
    """Revoke a key: it stops working at once in this process and within
    ``KEY_CACHE_SECONDS`` (5 s) in other worker processes; the row stays for the audit."""
    return service_layer.revoke_api_key(st, key_id, caller, request_id())
