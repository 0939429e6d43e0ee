"""Coordinator-readable reasons for placements.

Example: ``"home unit SÄS Skene full until week 9; on time at SÄS Borås, week 2, 63 km"``.
Reasons are built once per distinct (area/eligibility, unit, week, lateness, booking)
combination and shared, so explaining a million placements stays cheap.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allokering.compiled import Compiled, IntArray, group_columns


def first_free_weeks(c: Compiled, unit: IntArray, week: IntArray) -> IntArray:
    """Per unit, the first week with a slot left after the plan (H when full)."""
    h = c.horizon
    placed = unit >= 0
    used = np.bincount(unit[placed] * h + week[placed], minlength=c.n_units * h)
    residual = c.capacity - used.reshape(c.n_units, h)
    has_room = residual > 0
    return np.where(has_room.any(axis=1), has_room.argmax(axis=1), h).astype(np.int64)


def explain(c: Compiled, unit: IntArray, week: IntArray) -> npt.NDArray[np.object_]:
    """A reason per referral ("" for unassigned ones)."""
    out = np.full(c.n_referrals, "", dtype=object)
    placed, gid, texts = reason_groups(c, unit, week)
    if len(placed):
        out[placed] = np.asarray(texts, dtype=object)[gid]
    return out


def reason_groups(
    c: Compiled, unit: IntArray, week: IntArray
) -> tuple[IntArray, IntArray, list[str]]:
    """The placed referrals, the reason group of each and one sentence per group.

    A group shares allowed units, unit, week, lateness, booking and home unit, so its
    members share the sentence; :func:`explain` spreads them onto referrals, the
    streamed result writer (:mod:`allokering.result_json`) writes them per group.
    """
    h = c.horizon
    placed = np.nonzero(unit >= 0)[0]
    if len(placed) == 0:
        return placed, placed, []
    u, w = unit[placed], week[placed]
    k = c.time_class()[placed]
    late_k = np.where(w >= k, k, -1)
    bu, bw = c.booked_unit[placed], c.booked_week[placed]
    booking = np.where(bu < 0, -1, np.where((bu == u) & (bw == w), -2, bu * h + bw))
    home = np.where(c.cost_home >= 0, c.cost_home, c.home[c.area])[placed]
    first, gid = group_columns(c.allow_code[placed], u, w, late_k, booking, home)
    free = first_free_weeks(c, unit, week)
    texts = [
        _sentence(
            c,
            int(c.allow_code[placed[i]]),
            int(u[i]),
            int(w[i]),
            int(late_k[i]),
            int(booking[i]),
            int(home[i]),
            free,
        )
        for i in first.tolist()
    ]
    return placed, gid, texts


def _sentence(
    c: Compiled, code: int, u: int, w: int, late_k: int, booking: int, home: int, free: IntArray
) -> str:
    h = c.horizon
    area = int(c.allow_area[code])
    label = c.unit_labels[u]
    status = "on time" if late_k < 0 else "late"
    core = f"{status} at {label}, week {w}, {c.km[area, u]} km"
    if late_k == 0:
        core += " (guarantee already passed)"
    elif late_k > 0:
        core += f" (guarantee limit in week {late_k - 1})"
    if booking == -2:
        return f"kept booked time; {core}"
    parts: list[str] = []
    if booking >= 0:
        parts.append(f"moved from booked time at {c.unit_labels[booking // h]} week {booking % h}")
    if u != home:
        home_label = c.unit_labels[home]
        if not c.allowed[code, home]:
            parts.append(f"home unit {home_label} not eligible")
        elif free[home] >= h:
            parts.append(f"home unit {home_label} full all {h} weeks")
        elif free[home] > w:
            parts.append(f"home unit {home_label} full until week {free[home]}")
    elif booking < 0 and late_k < 0:
        return f"{core} (home unit)"
    parts.append(core)
    return "; ".join(parts)
