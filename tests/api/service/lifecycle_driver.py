"""Drives a shared queue through simulated days over the real HTTP API: every change
carries its business date ``on``, and after each day what the service reports (GET
endpoints) is kept as that day's snapshot.

The choices are random (seeded) but always allowed: the driver tracks each referral
from the service's own answers and picks only steps the life cycle permits, so every
request must succeed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from api.service.waiting_pauses import in_period
from api.service.weeks import monday

SPECIALTY = "livscykel"
UNITS = ("lc_u1", "lc_u2", "lc_u3")
AREAS = ("1480", "1490", "1481", "1482")
LIMITS = (14, 21, 30)
WAITING = ("waiting", "offered", "booked")


def declinable(ref: dict[str, Any]) -> bool:
    """Whether the referral holds a time (offered or booked) within its limit, whose
    decline starts a patient-chosen waiting (PVV)."""
    if ref["status"] not in ("offered", "booked") or not ref["week"]:
        return False
    limit = dt.date.fromisoformat(ref["clock_start"]) + dt.timedelta(days=ref["limit_days"])
    return dt.date.fromisoformat(ref["week"]) <= limit


@dataclass
class Day:
    """What the service reported at the end of one day."""

    day: dt.date
    referrals: dict[str, dict[str, Any]]
    """Every referral registered so far, as ``GET /v1/referrals/{id}`` answered."""
    status: dict[str, Any]
    """``GET /v1/queue/status?as_of=day``"""


@dataclass
class Driver:
    portal: httpx.Client
    planner: httpx.Client
    rng: random.Random
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    days: list[Day] = field(default_factory=list)
    requests: int = 0
    next_id: int = 0

    def call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.portal.request(method, path, json=body)
        self.requests += 1
        assert r.status_code in (200, 201), (method, path, body, r.status_code, r.text)
        out: dict[str, Any] = r.json()
        self.known[out["referral_id"]] = out
        return out

    def setup(self, first: dt.date, admin: httpx.Client) -> None:
        for i, uid in enumerate(UNITS):
            assert admin.put(
                f"/v1/units/{uid}", json={"name": uid, "lat": 57.7 + i / 10, "lon": 12.0}
            ).is_success
            cap = {
                "specialty": SPECIALTY,
                "stage": "first_visit",
                "from_week": str(monday(first)),
                "slots_per_week": 50,
            }
            assert admin.put(f"/v1/units/{uid}/capacity", json=cap).is_success

    def register(self, day: dt.date) -> None:
        self.next_id += 1
        body: dict[str, Any] = {
            "referral_id": f"lc-{self.next_id:04d}",
            "specialty": SPECIALTY,
            "area": self.rng.choice(AREAS),
            "priority": self.rng.choice(("P1", "P2", "standard")),
            "limit_days": self.rng.choice(LIMITS),
            "clock_start": str(day - dt.timedelta(days=self.rng.randint(0, 12))),
            "home_unit": self.rng.choice(UNITS),
            "on": str(day),
        }
        if self.rng.random() < 0.35:
            body["assessment"] = "received"
        self.call("POST", "/v1/referrals", body)

    def assess(self, ref: dict[str, Any], day: dt.date) -> None:
        rid, state, r = ref["referral_id"], ref["assessment"], self.rng.random()
        body: dict[str, Any] = {"on": str(day)}
        if state == "returned_for_completion":
            body["decision"] = "received" if r < 0.7 else "rejected"
        elif r < 0.6:
            body["decision"] = "accepted"
        elif r < 0.75:
            body["decision"] = "returned_for_completion"
        elif r < 0.9:
            at = ref["forwarded_to"] or ref["home_unit"]
            body["decision"] = "forwarded"
            body["unit"] = self.rng.choice([u for u in UNITS if u != at])
        else:
            body["decision"] = "rejected"
        self.call("POST", f"/v1/referrals/{rid}/assessment", body)

    def pause(self, ref: dict[str, Any], day: dt.date) -> bool:
        """Start or end a PVV/MOV period when one is allowed; whether one was changed."""
        rid = ref["referral_id"]
        for kind in ("pvv", "mov"):
            p = ref[kind]
            if p and in_period(dt.date.fromisoformat(p["from_date"]), _date(p["until"]), day):
                if self.rng.random() < 0.25:
                    self.call(
                        "POST", f"/v1/referrals/{rid}/{kind}", {"action": "end", "on": str(day)}
                    )
                    return True
                return False
        if self.rng.random() < 0.04:
            kind = self.rng.choice(("pvv", "mov"))
            if kind == "pvv" and not declinable(ref):
                return False  # PVV starts only from a declined time within the limit
            body: dict[str, Any] = {"action": "start", "on": str(day)}
            if self.rng.random() < 0.6:
                body["until"] = str(day + dt.timedelta(days=self.rng.randint(3, 20)))
            self.call("POST", f"/v1/referrals/{rid}/{kind}", body)
            return True
        return False

    def step(self, ref: dict[str, Any], day: dt.date) -> None:
        """At most one allowed change of ``ref`` on ``day`` (sometimes none)."""
        rid, status, r = ref["referral_id"], ref["status"], self.rng.random()
        path, on = f"/v1/referrals/{rid}", str(day)
        if status not in WAITING:
            return
        if ref["assessment"] != "accepted":
            if r < 0.5:
                self.assess(ref, day)
            return
        if r < 0.02:
            self.call("PATCH", path, {"status": "withdrawn", "on": on})
        elif status == "waiting" and r < 0.25:
            week = monday(day) + dt.timedelta(weeks=self.rng.randint(0, 3))
            unit = ref["home_unit"] if self.rng.random() < 0.7 else self.rng.choice(UNITS)
            new = "offered" if self.rng.random() < 0.7 else "booked"
            self.call("PATCH", path, {"status": new, "unit": unit, "week": str(week), "on": on})
        elif status == "offered" and r < 0.5:
            if self.rng.random() < 0.6:
                self.call("PATCH", path, {"status": "booked", "on": on})
            else:
                declined = self.rng.random() < 0.7
                self.call("PATCH", path, {"status": "waiting", "declined": declined, "on": on})
        elif status == "booked" and dt.date.fromisoformat(ref["week"]) <= day and r < 0.6:
            if self.rng.random() < 0.85:
                self.call("PATCH", path, {"status": "completed", "on": on})
            else:
                self.call("PATCH", path, {"status": "waiting", "no_show": True, "on": on})
        else:
            self.pause(ref, day)

    def run_day(self, day: dt.date) -> None:
        before = {rid: dict(ref) for rid, ref in self.known.items()}
        for _ in range(self.rng.randint(1, 3)):
            self.register(day)
        ids = sorted(self.known)
        self.rng.shuffle(ids)
        for rid in ids:
            self.step(self.known[rid], day)
        if self.rng.random() < 0.3 and ids:  # a second change the same day
            self.step(self.known[self.rng.choice(ids)], day)
        self.snapshot(day, before)

    def snapshot(self, day: dt.date, before: dict[str, dict[str, Any]]) -> None:
        """Read back what changed today, and the queue status as of today."""
        for rid, ref in list(self.known.items()):
            if before.get(rid) != ref:
                r = self.portal.get(f"/v1/referrals/{rid}")
                assert r.status_code == 200, r.text
                self.known[rid] = r.json()
        r = self.planner.get("/v1/queue/status", params={"as_of": str(day)})
        assert r.status_code == 200, r.text
        referrals = {rid: dict(ref) for rid, ref in self.known.items()}
        self.days.append(Day(day, referrals, r.json()))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value is not None else None
