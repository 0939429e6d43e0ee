"""The home unit of every area in every pool: whose list an area's patients join."""

from __future__ import annotations

from simulering.spec import ModelSpec

__all__ = ["home_units"]


def home_units(spec: ModelSpec) -> list[list[int]]:
    """home[pool][area]: the catchment unit if it serves the pool, else the nearest
    unit of the same hospital group that does, else the nearest unit that does."""
    result: list[list[int]] = []
    for pool in spec.pools:
        serves = pool.serves()
        row: list[int] = []
        for a in range(spec.n_areas):
            own = int(spec.home_unit[a])
            if serves[own]:
                row.append(own)
                continue
            same = [
                u
                for u in range(spec.n_units)
                if serves[u] and spec.unit_group[u] == spec.unit_group[own]
            ]
            candidates = same or [u for u in range(spec.n_units) if serves[u]]
            row.append(min(candidates, key=lambda u: spec.km[a, u]) if candidates else own)
        result.append(row)
    return result
