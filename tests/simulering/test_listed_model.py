"""The model from the actual waiting list: every policy keeps a listed referral on its
unit's list, serves nobody before their PVV/MOV ends, honours bookings, and draws only
what the list does not fix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from scenarios.schema import KNOWN_POLICIES
from simulering.listed import bookings
from simulering.patients import draw_patients
from simulering.runner import run_policy
from simulering.streams import replication_stream
from tests.conftest import compile_dict
from tests.scenarios.test_forecast_inputs import forecast_doc

SEED = 3


def _listed(n: int = 30) -> list[dict[str, Any]]:
    """``n`` referrals of area a3 (home u3) on u2's list, plus three special rows."""
    rows: list[dict[str, Any]] = [
        {
            "id": f"q-{i}",
            "unit": "u2",
            "area": "a3",
            "priority": "standard",
            "clock_start": f"2026-05-{1 + i % 28:02d}",
        }
        for i in range(n)
    ]
    rows += [
        {
            "id": "pvv",
            "unit": "u1",
            "area": "a1",
            "priority": "P1",
            "clock_start": "2026-04-01",
            "pvv_until": "2026-06-22",
        },
        {
            "id": "booked",
            "unit": "u3",
            "area": "a1",
            "priority": "standard",
            "clock_start": "2026-06-01",
            "booked_week": "2026-06-29",
        },
        {
            "id": "treat",
            "unit": "u1",
            "area": "a2",
            "priority": "standard",
            "stage": "treatment",
            "clock_start": "2026-05-20",
        },
    ]
    return rows


@pytest.mark.parametrize("policy", KNOWN_POLICIES)
def test_every_policy_honours_the_list(policy: str) -> None:
    spec = compile_dict(
        forecast_doc(waiting_list=_listed(), behaviour={"travel": {"limit_km": 1000}})
    )
    pts = draw_patients(spec, replication_stream(SEED, 0))
    rec = run_policy(spec, pts, policy, SEED, 0)
    pvv, booked, treat = 30, 31, 32
    assert rec.served[0, pvv] >= 19  # 2026-06-22 is day 19: not served before
    assert 26 <= rec.served[0, booked] < 33 and rec.unit[0, booked] == 2  # its week, its unit
    assert np.isnan(rec.clock_start[0, treat]) and np.isnan(rec.served[0, treat])
    assert rec.clock_start[1, treat] == -14 and rec.served[1, treat] >= 0
    assert (rec.home_unit[:30] == 1).all()  # on u2's list, not their area's u3
    if policy == "separate":
        assert (rec.unit[0, :30][rec.unit[0, :30] >= 0] == 1).all()
        assert rec.unit[1, treat] in (0, -1)


def test_the_list_fixes_priority_and_area_and_arrivals_keep_their_draws() -> None:
    with_list = compile_dict(forecast_doc(waiting_list=_listed()))
    without = compile_dict(forecast_doc(waiting_list=None))
    a = draw_patients(with_list, replication_stream(SEED, 1))
    b = draw_patients(without, replication_stream(SEED, 1))
    n = a.n_listed
    assert n == 33 and b.n_listed == 0
    assert with_list.waiting_list is not None
    assert (a.priority[:n] == with_list.waiting_list.priority).all()
    assert (a.area[:n] == with_list.waiting_list.area).all()
    assert (a.arrival[n:] == b.arrival).all() and (a.area[n:] == b.area).all()
    assert (a.priority[n:] == b.priority).all()  # not shifted by the listed rows
    assert a.ready[30] == 19 and a.ready[0] == 0


def test_arrivals_can_join_the_treatment_list_directly() -> None:
    spec = compile_dict(
        forecast_doc(
            waiting_list=[],
            demand={"split": "counts", "referrals_per_week": {"a1": 7}, "stage": "treatment"},
        )
    )
    pts = draw_patients(spec, replication_stream(SEED, 0))
    rec = run_policy(spec, pts, "separate", SEED, 0)
    assert pts.n > 30 and pts.decided.all()
    assert np.isnan(rec.clock_start[0]).all() and np.isnan(rec.served[0]).all()
    assert (rec.clock_start[1] == pts.arrival).all()
    served = ~np.isnan(rec.served[1])
    assert served.sum() > 10 and (rec.served[1][served] >= np.floor(pts.arrival[served])).all()


def test_a_closed_unit_serves_nobody_in_its_closure() -> None:
    closed = [
        {
            "unit": u,
            "pool": "first_visit",
            "from_date": "2026-06-03",
            "to_date": "2026-06-30",
            "slots_per_week": 0,
        }
        for u in ("u1", "u2", "u3")
    ]
    spec = compile_dict(forecast_doc(waiting_list=_listed(), capacity_changes=closed))
    pts = draw_patients(spec, replication_stream(SEED, 0))
    rec = run_policy(spec, pts, "shared", SEED, 0)
    fv = rec.served[0][~np.isnan(rec.served[0])]
    assert fv.size > 0 and fv.min() >= 28  # 2026-07-01 is day 28
    assert rec.served[0, 31] >= 28  # the booking in a closed week is not held


def _served_per_day(served: np.ndarray, unit: np.ndarray, days: int, units: int) -> np.ndarray:
    """How many referrals each unit served on each day (one stage's records)."""
    done = ~np.isnan(served)
    counts = np.zeros((days, units), dtype=np.int64)
    np.add.at(counts, (served[done].astype(np.int64), unit[done]), 1)
    return counts


@pytest.mark.parametrize("policy", ["separate", "shared"])
def test_bookings_hold_slots_and_never_exceed_capacity(policy: str) -> None:
    week = [
        {
            "id": f"b-{i}",
            "unit": "u3",
            "area": "a3",
            "priority": "standard",
            "clock_start": "2026-05-20",
            "booked_week": "2026-06-29",
        }
        for i in range(40)
    ]
    spec = compile_dict(forecast_doc(waiting_list=_listed() + week))
    pts = draw_patients(spec, replication_stream(SEED, 0))
    rec = run_policy(spec, pts, policy, SEED, 0)
    slots = spec.pools[0].slots
    assert slots is not None
    per_day = _served_per_day(rec.served[0], rec.unit[0], spec.horizon_days, spec.n_units)
    assert (per_day <= slots).all()  # a booking holds a slot, it is not served on top
    booked = np.arange(33, 73)
    in_week = (rec.served[0, booked] >= 26) & (rec.served[0, booked] < 33)
    capacity = int(slots[26:33, 2].sum())
    assert 0 < capacity < 40  # the week cannot hold them all
    # every slot of the week goes to a booking (less the no-shows and withdrawals) ...
    assert capacity - 7 <= in_week.sum() <= capacity - 1  # _listed's booking holds one
    # ... and the bookings it cannot hold wait on the list like any other referral
    held = bookings(spec, pts)
    assert sum(len(refs) for refs in held.values()) == capacity  # _listed's too: same week
    for (day, _), refs in held.items():
        assert len(refs) <= slots[day, 2]
