"""Same seed ⇒ identical output, serial or parallel; common random numbers across policies."""

from __future__ import annotations

import numpy as np

from scenarios.loader import Overrides, load_spec
from simulering.runner import run_replication, run_simulation
from simulering.streams import Streams, replication_stream
from tests.simulering.result_json import policy_json, replication_json, summaries_json


def _spec():
    return load_spec("gallsten", Overrides(horizon_days=300, warmup_days=60))[1]


def test_same_seed_same_result() -> None:
    spec = _spec()
    a = run_replication(spec, ["separate", "shared"], 42, 1)
    b = run_replication(spec, ["separate", "shared"], 42, 1)
    assert replication_json(a) == replication_json(b)


def test_other_seed_other_result() -> None:
    spec = _spec()
    a = run_replication(spec, ["separate"], 42, 0)
    b = run_replication(spec, ["separate"], 43, 0)
    assert replication_json(a) != replication_json(b)


def test_serial_equals_process_pool() -> None:
    spec = _spec()
    serial = run_simulation(spec, ["separate", "shared"], 9, 3, workers=1)
    pooled = run_simulation(spec, ["separate", "shared"], 9, 3, workers=2)
    assert summaries_json(serial) == summaries_json(pooled)


def test_replication_stream_equals_spawned_child() -> None:
    spawned = Streams(np.random.SeedSequence(5).spawn(4)[3]).get("arrivals").random(5)
    direct = replication_stream(5, 3).get("arrivals").random(5)
    assert (spawned == direct).all()


def test_a_stream_does_not_depend_on_which_streams_were_used_before() -> None:
    """Each purpose has its own child seed: drawing in another order, or drawing from
    other purposes first, leaves every stream's numbers unchanged."""
    s1 = replication_stream(1, 0)
    travel_first = s1.get("travel").random(5)
    arrivals_after = s1.get("arrivals").random(5)
    s2 = replication_stream(1, 0)
    s2.get("choice").random(1000)
    arrivals_first = s2.get("arrivals").random(5)
    travel_after = s2.get("travel").random(5)
    assert (arrivals_first == arrivals_after).all()
    assert (travel_first == travel_after).all()
    assert not (travel_first == arrivals_first).any()


def test_a_policy_result_does_not_depend_on_the_other_policies_run() -> None:
    """Common random numbers: the patients are drawn before any policy runs, so a
    policy's KPIs are the same alone and beside others (and in another order)."""
    spec = _spec()
    alone = run_replication(spec, ["shared"], 3, 0)["shared"]
    beside = run_replication(spec, ["separate_by_hospital_group", "optimised", "shared"], 3, 0)
    assert policy_json(alone) == policy_json(beside["shared"])
