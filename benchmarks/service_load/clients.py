"""The load generator's HTTP clients: ``httpx.AsyncClient`` or an aiohttp session
behind the same small interface, each with a keep-alive connection per client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import httpx

END_USER = "bench-user"
"""The end user the portal names (``X-Remiss-User``, required on its routes)."""


class Reply(Protocol):
    """What the load loop reads of a response (``httpx.Response`` or :class:`AiohttpReply`)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


class LoadClient(Protocol):
    """What the timed phases need of a client (``httpx.AsyncClient`` or :class:`AiohttpClient`)."""

    async def get(self, url: str, *, headers: dict[str, str]) -> Reply: ...

    async def post(self, url: str, *, json: Any, headers: dict[str, str]) -> Reply: ...


Request = Callable[[LoadClient, int, dict[str, str]], Awaitable[Reply]]
"""Send request number ``n`` with these extra headers."""
CLIENTS = ("httpx", "aiohttp")


@dataclass(frozen=True)
class AiohttpReply:
    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class AiohttpClient:
    """The timed phases' client on aiohttp (its C HTTP parser costs a fraction of
    httpx's CPU per request, so the load generator leaves the server more of the cores
    they share). A keep-alive pool with a connection per concurrent client."""

    def __init__(self, url: str, key: str, clients: int, timeout: float = 60.0):
        self.url, self.key, self.clients, self.timeout = url.rstrip("/"), key, clients, timeout
        self._session: aiohttp.ClientSession | None = None

    async def _request(
        self, method: str, url: str, headers: dict[str, str], json: Any = None
    ) -> AiohttpReply:
        assert self._session is not None
        async with self._session.request(
            method, self.url + url, headers=headers, json=json
        ) as resp:
            return AiohttpReply(resp.status, await resp.read())

    async def get(self, url: str, *, headers: dict[str, str]) -> AiohttpReply:
        return await self._request("GET", url, headers)

    async def post(self, url: str, *, json: Any, headers: dict[str, str]) -> AiohttpReply:
        return await self._request("POST", url, headers, json)

    async def __aenter__(self) -> AiohttpClient:
        self._session = aiohttp.ClientSession(
            headers={"X-API-Key": self.key, "X-Remiss-User": END_USER},
            connector=aiohttp.TCPConnector(limit=self.clients, keepalive_timeout=2.0),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()


def new_client(url: str, key: str, clients: int, timeout: float = 60.0) -> httpx.AsyncClient:
    """An async client whose keep-alive pool holds a connection per concurrent client.
    Connections idle for 2 s are not reused: uvicorn closes idle ones after 5 s, and a
    request sent on a connection the server is closing fails (a client-side race that
    shows up when this process is starved of CPU on a loaded machine)."""
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0
    )
    return httpx.AsyncClient(
        base_url=url,
        headers={"X-API-Key": key, "X-Remiss-User": END_USER},
        limits=limits,
        timeout=httpx.Timeout(timeout),
    )


def open_client(kind: str, url: str, key: str, clients: int) -> AbstractAsyncContextManager[Any]:
    """The timed phases' client: ``httpx`` (an ``httpx.AsyncClient``) or ``aiohttp``."""
    return AiohttpClient(url, key, clients) if kind == "aiohttp" else new_client(url, key, clients)
