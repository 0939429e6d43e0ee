"""Domain types: limits never beyond the guarantee, capacity plans, travel distance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allokering.domain import CapacityPlan, CareGuarantee, Priority, Stage, priority_ranks
from allokering.travel import TravelMatrix, great_circle_km, road_km


def test_priority_limits_cannot_exceed_guarantee() -> None:
    assert Priority("P1", 0.2, 30, 30).limit(Stage.FIRST_VISIT) == 30
    with pytest.raises(ValueError, match="may not exceed"):
        Priority("slow", 0.1, first_visit_days=120)
    with pytest.raises(ValueError, match="regions may not exceed 90"):
        CareGuarantee(first_visit_days=100)
    assert CareGuarantee().limit(Stage.TREATMENT) == 90


def test_priority_ranks_shortest_limit_first_ties_in_file_order() -> None:
    assert priority_ranks([90, 14, 30]) == [2, 0, 1]
    assert priority_ranks([14, 14, 90, 90]) == [0, 1, 2, 3]
    assert priority_ranks([90]) == [0]
    assert priority_ranks([]) == []


def test_great_circle_known_distance() -> None:
    # Göteborg (57.7089, 11.9746) – Stockholm (59.3293, 18.0686): about 398 km
    assert great_circle_km(57.7089, 11.9746, 59.3293, 18.0686) == pytest.approx(398, abs=3)
    assert road_km(57.7, 12.0, 57.7, 12.0) == 0.0
    assert road_km(58.0, 12.0, 59.0, 12.0) == pytest.approx(1.3 * 111.2, rel=0.01)


def test_travel_matrix_given_distance_wins() -> None:
    tm = TravelMatrix.build(
        [("a", 58.0, 12.0)], [("u", 59.0, 12.0), ("v", 58.0, 12.0)], {"a": {"u": 42.0}}
    )
    assert tm.km.tolist() == [[42.0, 0.0]]


@given(
    st.floats(0, 60),
    st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(1, 120),
    st.floats(0, 1),
)
def test_capacity_plan_tracks_fractional_capacity(per_week, weekdays, weeks, factor) -> None:
    days = 7 * weeks
    dow = [d % 7 for d in range(days)]
    plan = CapacityPlan.from_calendar("u", "first_visit", per_week, weekdays, dow, [factor] * days)
    assert all(s >= 0 for s in plan.slots_per_day)
    assert all(plan.slots_per_day[d] == 0 for d in range(days) if dow[d] not in weekdays)
    assert abs(sum(plan.slots_per_day) - per_week * weeks * factor) < 1.0 + 1e-6
