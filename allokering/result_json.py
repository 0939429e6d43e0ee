"""Write a result JSON straight from plan arrays, in chunks.

The file is byte for byte what ``AllocationResult.model_dump_json()`` writes for the
same plan, without building a million :class:`~allokering.problem.Assignment` rows
first: the summary fields come from the model (dumped with empty lists), each row is
the referral id followed by a pre-encoded tail per (unit, week, on time, reason
group) — a few thousand distinct tails for a million rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from allokering.compiled import Compiled, IntArray
from allokering.problem import AllocationResult
from allokering.reasons import reason_groups

CHUNK = 100_000
"""Rows per write."""
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_EMPTY_LISTS = '"assignments":[],"unassigned":[]'


def _enc(text: str) -> str:
    """A JSON string as pydantic writes it (UTF-8 kept, quotes, backslashes and control
    characters escaped)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, eq=False)
class RowTails:
    """The placed referrals (in referral order) and the JSON after each one's id."""

    placed: IntArray
    tails: list[str]


def write_result(
    out: TextIO, summary: AllocationResult, c: Compiled, unit: IntArray, rows: RowTails
) -> None:
    """Write ``summary`` (status, cost, ... with empty row lists) with the plan's rows:
    one assignment per placed referral in referral order, then the unassigned ids."""
    head, tail = summary.model_dump_json().split(_EMPTY_LISTS)
    placed, tails = rows.placed, rows.tails
    ids = c.referral_ids
    out.write(head + '"assignments":[')
    _write_joined(out, [ids[i] for i in placed.tolist()], tails)
    out.write('],"unassigned":[')
    _write_joined(out, [ids[i] for i in np.nonzero(unit < 0)[0].tolist()], None)
    out.write("]" + tail)


def row_tails(c: Compiled, unit: IntArray, week: IntArray, *, reasons: bool) -> RowTails:
    """The rows' JSON after the referral ids, with the coordinator reasons or ``""``."""
    units = [_enc(u) for u in c.unit_ids]
    if reasons:
        placed, gid, texts = reason_groups(c, unit, week)
        first = np.zeros(len(texts), dtype=np.int64)
        first[gid] = np.arange(len(gid))
        u, w = unit[placed][first], week[placed][first]
        on = 7 * w <= c.deadline[placed][first]
        table = [
            f',"unit":{units[a]},"week":{b},"on_time":{"true" if t else "false"},'
            f'"reason":{_enc(x)}}}'
            for a, b, t, x in zip(u.tolist(), w.tolist(), on.tolist(), texts, strict=True)
        ]
        code = gid
    else:
        placed = np.nonzero(unit >= 0)[0]
        h = c.horizon
        on = 7 * week[placed] <= c.deadline[placed]
        code = (unit[placed] * h + week[placed]) * 2 + on
        table = [
            f',"unit":{units[j // (2 * h)]},"week":{j // 2 % h},'
            f'"on_time":{"true" if j % 2 else "false"},"reason":""}}'
            for j in range(2 * h * c.n_units)
        ]
    tails: list[str] = np.asarray(table, dtype=object)[code].tolist() if len(code) else []
    return RowTails(placed, tails)


def _write_joined(out: TextIO, ids: Sequence[str], tails: Sequence[str] | None) -> None:
    """Comma-separated rows (``{"referral":id<tail>``) or plain id strings, in chunks."""
    raw = not _NEEDS_ESCAPE.search("".join(ids))
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        enc = [f'"{x}"' for x in part] if raw else [_enc(x) for x in part]
        if tails is not None:
            sub = tails[start : start + CHUNK]
            enc = ['{"referral":' + x + t for x, t in zip(enc, sub, strict=True)]
        if start:
            out.write(",")
        out.write(",".join(enc))
