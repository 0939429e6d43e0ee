"""Filling a fresh database through the API, like a real deployment: an admin key
creates units at VGR sites with capacity for one specialty from this week on, then a
portal key registers waiting referrals and books a share of them at random units and
weeks, so the residual capacity has held slots to subtract."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from allokering.generate import UnitSite
from benchmarks.service_load.clients import new_client
from benchmarks.service_load.figures import (
    BOOKED_SHARE,
    SLOTS_PER_WEEK,
    SPECIALTY,
    STAGE,
    BenchError,
    SetupResult,
)
from benchmarks.service_load.referrals import Referrals, this_monday
from benchmarks.service_load.server import Server
from scenarios.geography import VGR_UNIT_SITES

WEEKS_SEEN = 26
"""The weeks the service sees, from this week on."""


async def send_all(
    client: httpx.AsyncClient,
    items: Sequence[Any],
    send: Callable[[httpx.AsyncClient, Any], Awaitable[httpx.Response]],
    clients: int,
) -> list[httpx.Response]:
    """Send one request per item, ``clients`` at a time. Setup only: a request whose
    connection broke (e.g. the server closed an idle keep-alive connection while this
    process was starved of CPU) is sent again, at most twice."""
    sem = asyncio.Semaphore(clients)

    async def one(item: Any) -> httpx.Response:
        async with sem:
            for attempt in range(3):
                try:
                    return await send(client, item)
                except httpx.TransportError:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    return await asyncio.gather(*(one(i) for i in items))


def check_statuses(responses: Sequence[httpx.Response], what: str, allowed: set[int]) -> None:
    """BenchError naming ``what`` failed unless every response's status is allowed."""
    bad = [r for r in responses if r.status_code not in allowed]
    if bad:
        raise BenchError(
            f"setup: {len(bad)} of {len(responses)} {what} failed, e.g. "
            f"{bad[0].status_code} {bad[0].text[:300]}"
        )


async def create_units(
    server: Server, sites: Sequence[UnitSite], monday: dt.date, clients: int
) -> None:
    """The units (admin key) with ``SLOTS_PER_WEEK`` first visits a week from ``monday``."""
    async with new_client(server.url, server.admin_key, clients) as admin:
        made = await send_all(
            admin,
            sites,
            lambda c, u: c.put(
                f"/v1/units/{u.id}",
                json={
                    "name": u.name,
                    "hospital_group": u.group,
                    "lat": u.lat,
                    "lon": u.lon,
                    "private": u.group == "privat",
                },
            ),
            clients,
        )
        check_statuses(made, "unit PUTs", {200, 201})
        caps = await send_all(
            admin,
            sites,
            lambda c, u: c.put(
                f"/v1/units/{u.id}/capacity",
                json={
                    "specialty": SPECIALTY,
                    "stage": STAGE,
                    "from_week": monday.isoformat(),
                    "slots_per_week": SLOTS_PER_WEEK,
                },
            ),
            clients,
        )
        check_statuses(caps, "capacity PUTs", {200})


async def register_and_book(
    server: Server,
    bodies: Sequence[dict[str, Any]],
    bookings: Sequence[tuple[str, str, dt.date]],
    clients: int,
) -> tuple[float, int]:
    """Register the referrals and book some (portal key): the registrations' seconds
    and the bookings that found the week full (409)."""
    t_reg = time.perf_counter()
    async with new_client(server.url, server.portal_key, clients) as portal:
        regs = await send_all(portal, bodies, lambda c, b: c.post("/v1/referrals", json=b), clients)
        reg_seconds = time.perf_counter() - t_reg
        check_statuses(regs, "referral registrations", {200, 201})  # 200: a retried one
        booked = await send_all(
            portal,
            bookings,
            lambda c, b: c.patch(
                f"/v1/referrals/{b[0]}",
                json={"status": "booked", "unit": b[1], "week": b[2].isoformat()},
            ),
            clients,
        )
        check_statuses(booked, "bookings", {200, 409})
    return reg_seconds, sum(r.status_code == 409 for r in booked)


async def setup(
    server: Server,
    database: str,
    workers: int,
    referrals: int,
    units: int,
    clients: int,
    seed: int,
) -> tuple[SetupResult, list[str]]:
    """Units, capacity and waiting referrals through the API; a share of them booked.
    Returns the setup's figures and the ids of the referrals registered."""
    t0 = time.perf_counter()
    sites = VGR_UNIT_SITES[:units]
    monday = this_monday()
    await create_units(server, sites, monday, clients)
    gen = Referrals(seed, "ref")
    bodies = [gen.body(n) for n in range(referrals)]
    rng = random.Random(seed + 1)
    to_book = rng.sample(range(referrals), round(BOOKED_SHARE * referrals))
    bookings = [
        (
            str(bodies[i]["referral_id"]),
            rng.choice(sites).id,
            monday + dt.timedelta(weeks=rng.randrange(WEEKS_SEEN)),
        )
        for i in to_book
    ]
    reg_seconds, conflicts = await register_and_book(server, bodies, bookings, clients)
    result = SetupResult(
        database=database,
        workers=workers,
        units=len(sites),
        referrals=referrals,
        booked=len(bookings) - conflicts,
        booking_conflicts=conflicts,
        seconds=round(time.perf_counter() - t0, 2),
        registrations_per_second=round(referrals / max(reg_seconds, 1e-9), 1),
    )
    return result, [b["referral_id"] for b in bodies]
