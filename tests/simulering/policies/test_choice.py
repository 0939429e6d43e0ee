"""The ``patient_choice`` policy: a share choose by forward-looking published wait plus
travel, and re-choose while waiting when the figures move."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from allokering.domain import Stage
from scenarios.loader import Overrides, load_spec
from simulering.kpis import replication_kpis
from simulering.model import Model, Records
from simulering.patients import Patients, draw_patients
from simulering.policies import RoutingPolicy, make_policy
from simulering.policies.choice import WINDOW_DAYS, PatientChoice
from simulering.results import PolicyResult
from simulering.spec import ModelSpec
from simulering.streams import replication_stream
from tests.conftest import compile_dict, small_scenario
from tests.simulering.result_json import policy_json

FV, TR = Stage.FIRST_VISIT, Stage.TREATMENT


def _run(spec: ModelSpec, policy: RoutingPolicy, seed: int = 5) -> tuple[Patients, Records]:
    streams = replication_stream(seed, 0)
    patients = draw_patients(spec, streams)
    return patients, Model(spec, patients, policy, streams.get("policy")).run()


def _kpis(spec: ModelSpec, policy: RoutingPolicy, seed: int = 5) -> PolicyResult[float]:
    patients, records = _run(spec, policy, seed)
    return replication_kpis(spec, patients, records)


def _uneven(**options: Any) -> ModelSpec:
    """u1 is short of slots, u2 and u3 have room; everyone accepts any unit."""
    doc = small_scenario()
    doc["units"][0]["first_visit"] = {"slots_per_week": 6}
    doc["units"][1]["first_visit"] = {"slots_per_week": 16}
    doc["units"][2]["first_visit"] = {"slots_per_week": 14}
    doc["demand"] = {"split": "population", "referrals_per_year": 1400}
    doc["behaviour"] = {"travel": {"limit_km": 1000}, "no_show_share": 0.05}
    doc["run"] = {"horizon_days": 360, "warmup_days": 60}
    if options:
        doc["policy_options"] = options
    return compile_dict(doc)


def _two_units(**options: Any) -> ModelSpec:
    """Only two units offer first visits: u1 small, u2 large; demand near their sum."""
    doc = small_scenario()
    doc["units"][0]["first_visit"] = {"slots_per_week": 3}
    doc["units"][1]["first_visit"] = {"slots_per_week": 27}
    doc["units"][2]["first_visit"] = {"slots_per_week": 0}
    doc["demand"] = {"split": "population", "referrals_per_year": 1450}
    doc["behaviour"] = {"travel": {"limit_km": 1000}, "no_show_share": 0.05}
    doc["reductions"] = []
    doc["backlog"] = []
    doc["run"] = {"horizon_days": 420, "warmup_days": 60}
    doc["policy_options"] = {"travel_days_per_km": 0.0, **options}
    return compile_dict(doc)


def _wait_at(patients: Patients, rec: Records, unit: int) -> np.ndarray:
    """First-visit waits (served after the warm-up) at ``unit``."""
    served, start = rec.served[0], rec.clock_start[0]
    mask = (rec.unit[0] == unit) & (served >= 60) & (patients.backlog_stage < 0)
    return np.asarray(served[mask] - start[mask])


class LaggingMedian(PatientChoice):
    """The old rule, for comparison: everyone chooses, on each unit's median wait of the
    patients it served in the last refresh period, and nobody re-chooses."""

    def initialise(self, ctx: Any) -> None:
        super().initialise(ctx)
        self.chooser = [True] * len(self.chooser)
        self.published = [[0.0] * len(row) for row in self.published]
        self.log: list[list[tuple[int, float]]] = [[] for _ in self.published]

    def refresh(self, now: float) -> None:
        while now >= self.next_refresh:
            self.next_refresh += self.refresh_days
        for pool, log in enumerate(self.log):
            for unit in self.units[pool]:
                waits = [w for u, w in log if u == unit]
                if waits:
                    self.published[pool][unit] = float(np.median(waits))
            log.clear()

    def offer(self, unit: int, pool: int, now: float, slots: int) -> list[int]:
        taken = super().offer(unit, pool, now, slots)
        start = self.ctx.clock_start[0 if pool == 0 else 1]
        self.log[pool].extend((unit, now - start[ref]) for ref in taken)
        return taken


def test_registered_and_runs_on_the_small_scenario() -> None:
    spec = compile_dict(small_scenario())
    policy = make_policy("patient_choice", spec)
    assert policy.name == "patient_choice"
    kpis = _kpis(spec, policy).kpis
    assert kpis[FV]["completed"] > 0 and kpis[TR]["completed"] > 0
    assert kpis[FV]["patient_chosen_waits"] == 0


def test_same_seed_same_result_and_gallsten_runs() -> None:
    spec = compile_dict(small_scenario())
    a = _kpis(spec, make_policy("patient_choice", spec))
    b = _kpis(spec, make_policy("patient_choice", spec))
    assert policy_json(a) == policy_json(b)
    _, gallsten = load_spec("gallsten", Overrides(horizon_days=150, warmup_days=30))
    kpis = _kpis(gallsten, make_policy("patient_choice", gallsten)).kpis
    assert kpis[FV]["completed"] > 0


def test_choice_draw_is_a_new_stream_that_leaves_the_others_alone() -> None:
    spec = compile_dict(small_scenario())
    a = draw_patients(spec, replication_stream(5, 0))
    b = draw_patients(spec, replication_stream(5, 1))
    assert a.choice_draw.shape == (a.n,)
    assert a.choice_draw.min() >= 0.0 and a.choice_draw.max() < 1.0
    assert not np.array_equal(a.choice_draw[:10], b.choice_draw[:10])
    for name in ("tolerance_km", "no_show_draw", "withdraw_after", "service"):
        assert not np.array_equal(a.choice_draw, getattr(a, name).ravel()[: a.n])


def test_choice_share_zero_is_separate() -> None:
    """Nobody considers switching: exactly the separate result on the same patients."""
    spec = _uneven(travel_days_per_km=0.0, choice_share=0.0)
    _, sep = _run(spec, make_policy("separate", spec))
    policy = PatientChoice(spec.policy_options)
    _, choice = _run(spec, policy)
    np.testing.assert_array_equal(sep.served, choice.served)
    np.testing.assert_array_equal(sep.unit, choice.unit)
    assert policy.moves == 0 and policy.n_refreshes > 0


def test_high_travel_disutility_is_separate() -> None:
    """In the small region every area's home unit is also its nearest: all stay home."""
    spec = _uneven(travel_days_per_km=1e6, choice_share=1.0)
    _, sep = _run(spec, make_policy("separate", spec))
    _, choice = _run(spec, make_policy("patient_choice", spec))
    np.testing.assert_array_equal(sep.served, choice.served)
    np.testing.assert_array_equal(sep.unit, choice.unit)


@pytest.mark.parametrize("share", [0.3, 1.0])
def test_only_the_configured_share_switch(share: float) -> None:
    spec = _uneven(travel_days_per_km=0.0, choice_share=share)
    policy = PatientChoice(spec.policy_options)
    patients, rec = _run(spec, policy)
    served = ~np.isnan(rec.served[0]) & (patients.backlog_stage < 0)
    away = served & (rec.unit[0] != rec.home_unit)
    assert away.sum() > 20
    # every patient seen outside their home unit is one whose draw makes them choose
    assert (patients.choice_draw[away] < share).all()
    assert sum(policy.chooser) == int((patients.choice_draw < share).sum())
    if share == 1.0:
        assert all(policy.chooser)
    # u1 is short: a real part of its choosing patients leave it
    a1 = served & (patients.area == 0) & (patients.choice_draw < share)
    assert (rec.unit[0][a1] != 0).mean() > 0.3


def test_more_choosers_more_patients_away() -> None:
    shares = [0.0, 0.1, 0.5, 1.0]
    away = []
    for share in shares:
        spec = _uneven(travel_days_per_km=0.0, choice_share=share)
        _, rec = _run(spec, PatientChoice(spec.policy_options))
        served = ~np.isnan(rec.served[0])
        away.append(float((rec.unit[0][served] != rec.home_unit[served]).mean()))
    assert away[0] == 0.0
    assert away == sorted(away) and away[-1] > away[1]


def _context(spec: ModelSpec, policy: PatientChoice) -> Model:
    """A model whose lists the test fills by hand (nothing has run)."""
    streams = replication_stream(5, 0)
    patients = draw_patients(spec, streams)
    patients = dataclasses.replace(patients, choice_draw=np.zeros(patients.n))
    return Model(spec, patients, policy, streams.get("policy"))


def test_published_wait_is_queue_over_capacity() -> None:
    """Hand-computed: u1 offers 3 slots a week on weekdays, u2 27; 5 and 12 patients wait."""
    spec = _two_units(choice_share=0.0)
    policy = PatientChoice(spec.policy_options)
    model = _context(spec, policy)
    slots = spec.pools[0].slots
    assert slots is not None
    refs_u1 = [r for r in range(model.patients.n) if model.home_fv[r] == 0][:5]
    refs_u2 = [r for r in range(model.patients.n) if model.home_fv[r] == 1][:12]
    for ref in refs_u1 + refs_u2:
        model.queued[0][ref] = True
        policy.join(ref, 0, 0.0)
    policy.publish(0.0)
    cap1 = slots[0:WINDOW_DAYS, 0].mean()
    cap2 = slots[0:WINDOW_DAYS, 1].mean()
    assert cap1 == pytest.approx(3 / 7, rel=0.15) and cap2 == pytest.approx(27 / 7, rel=0.15)
    assert policy.published[0][0] == pytest.approx(5 / cap1)
    assert policy.published[0][1] == pytest.approx(12 / cap2)
    assert policy.published[0][2] == math.inf  # u3 offers no first visits at all
    # a withdrawn patient no longer counts
    model.withdraw[0][refs_u1[0]] = 0.0
    policy.publish(1.0)
    assert policy.published[0][0] == pytest.approx(4 / slots[1 : 1 + WINDOW_DAYS, 0].mean())


def test_a_unit_without_capacity_in_the_window_publishes_infinity() -> None:
    doc = small_scenario()
    doc["reductions"] = [{"name": "closed", "start": "01-01", "end": "02-15", "factor": 0.0}]
    spec = compile_dict(doc)
    policy = PatientChoice(spec.policy_options)
    _context(spec, policy)
    policy.publish(0.0)
    assert all(policy.published[0][u] == math.inf for u in policy.units[0])
    policy.publish(100.0)
    assert all(policy.published[0][u] < math.inf for u in policy.units[0])


def test_rechoice_when_the_published_wait_moves() -> None:
    """Everyone lists at home on day 0 (nothing is long yet); at the day-7 refresh u1's
    published wait has jumped, so its choosing patients move to u2, keeping their clock
    and turn; the entries left on u1's heap are skipped."""
    spec = _two_units(choice_share=1.0, rechoice_threshold_days=14)
    policy = PatientChoice(spec.policy_options)
    model = _context(spec, policy)
    refs = [r for r in range(model.patients.n) if model.home_fv[r] == 0][:30]
    for ref in refs:
        model.queued[0][ref] = True
        policy.join(ref, 0, 0.0)
    assert all(policy.at[0][r] == 0 for r in refs)
    policy.refresh(7.0)
    moved = [r for r in refs if policy.at[0][r] == 1]
    stayed = [r for r in refs if policy.at[0][r] == 0]
    assert moved and stayed and policy.moves == len(moved)
    # moves stop once u1's figure is back within the threshold of the 0 they chose on,
    # and nobody overshoots to the longer wait
    cap1, cap2 = policy.cap[0][0], policy.cap[0][1]
    w1, w2 = policy.published[0][0], policy.published[0][1]
    assert w1 == pytest.approx(len(stayed) / cap1) and w2 == pytest.approx(len(moved) / cap2)
    assert w1 <= 14 + 1e-9 and w1 + 1 / cap1 > 14
    assert w2 < w1
    # re-choices start from the back of the turn: the first in turn keep their place
    order = sorted(refs, key=lambda r: model.turn_key(r, 0))
    assert set(order[: len(stayed)]) == set(stayed)
    # u1's heap still holds entries of the moved: offering its slots skips them
    taken = policy.offer(0, 0, 8.0, len(refs))
    assert sorted(taken) == sorted(stayed)
    taken2 = policy.offer(1, 0, 8.0, len(refs))
    assert sorted(taken2) == sorted(moved)
    assert taken2 == sorted(moved, key=lambda r: model.turn_key(r, 0))
    assert all(model.clock_start[0][r] == model.patients.arrival[r] for r in refs)


def test_no_rechoice_below_the_threshold() -> None:
    spec = _two_units(choice_share=1.0, rechoice_threshold_days=1e9)
    policy = PatientChoice(spec.policy_options)
    model = _context(spec, policy)
    refs = [r for r in range(model.patients.n) if model.home_fv[r] == 0][:30]
    for ref in refs:
        model.queued[0][ref] = True
        policy.join(ref, 0, 0.0)
    policy.refresh(7.0)
    assert policy.moves == 0 and all(policy.at[0][r] == 0 for r in refs)


def test_rechoice_happens_in_a_run() -> None:
    spec = _uneven(travel_days_per_km=0.0, choice_share=0.5)
    policy = PatientChoice(spec.policy_options)
    _run(spec, policy)
    assert policy.moves > 0
    frozen = PatientChoice(spec.policy_options.model_copy(update={"rechoice_threshold_days": 1e9}))
    _run(spec, frozen)
    assert frozen.moves == 0


def test_no_herding_onto_the_small_unit() -> None:
    """Two units, u1 a tenth of the capacity; everyone may choose. The small unit's waits
    stay in line with the large one's (the old lagging median let them run away)."""
    spec = _two_units(choice_share=1.0)
    patients, rec = _run(spec, PatientChoice(spec.policy_options))
    small, large = _wait_at(patients, rec, 0), _wait_at(patients, rec, 1)
    assert small.size > 10 and large.size > 100
    p90_small, p90_large = np.percentile(small, 90), np.percentile(large, 90)
    assert p90_small <= 1.5 * p90_large + 14
    # the old rule herds: on the same patients its small unit's waits run away
    lag_spec = _two_units(choice_share=1.0, choice_refresh_days=30)
    old_patients, old = _run(lag_spec, LaggingMedian(lag_spec.policy_options))
    old_small = _wait_at(old_patients, old, 0)
    assert np.percentile(old_small, 90) > 1.5 * np.percentile(_wait_at(old_patients, old, 1), 90)
    assert np.percentile(old_small, 90) > p90_small


def test_lists_are_in_turn_order() -> None:
    """Priority group first, then the oldest clock: P1 referrals are taken first."""
    spec = _two_units(choice_share=0.0)
    policy = PatientChoice(spec.policy_options)
    model = _context(spec, policy)
    refs = [r for r in range(model.patients.n) if model.home_fv[r] == 1][:40]
    for ref in reversed(refs):
        model.queued[0][ref] = True
        policy.join(ref, 0, 0.0)
    taken = policy.offer(1, 0, 0.0, len(refs))
    assert taken == sorted(refs, key=lambda r: model.turn_key(r, 0))
    pri = model.patients.priority[taken]
    assert len(set(pri.tolist())) == 2 and (np.diff(pri) >= 0).all()


def test_refusing_units_are_not_chosen() -> None:
    """Patients choose among units they accept: with no travel at all, everyone stays."""
    doc = small_scenario()
    doc["behaviour"] = {"travel": {"limit_km": 0}}
    doc["policy_options"] = {"travel_days_per_km": 0.0, "choice_share": 1.0}
    spec = compile_dict(doc)
    _, sep = _run(spec, make_policy("separate", spec))
    _, choice = _run(spec, make_policy("patient_choice", spec))
    np.testing.assert_array_equal(sep.unit, choice.unit)
