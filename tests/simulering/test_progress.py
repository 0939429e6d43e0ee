"""Progress within replications: the model's weekly tick reaches the caller from the
serial executor and from the process pool's workers, changes no result, and a late
tick of an earlier run is not counted in the next."""

from __future__ import annotations

from typing import Any

from scenarios.loader import Overrides, load_spec
from simulering.executors import open_executor
from simulering.model import WEEK
from simulering.progress import Ticks
from simulering.runner import run_simulation
from tests.simulering.result_json import simulation_json

POLICIES = ["separate", "shared"]
REPLICATIONS = 3


def _spec() -> Any:
    return load_spec("gallsten", Overrides(horizon_days=140, warmup_days=28))[1]


def test_ticks_move_within_replications_and_change_nothing() -> None:
    spec = _spec()
    weeks = int((spec.horizon_days - 1) // WEEK)  # ticks per policy: days 7, 14, … < horizon
    for kind in ("serial", "process"):
        with open_executor(kind, workers=2) as ex:
            quiet = run_simulation(spec, POLICIES, 11, REPLICATIONS, executor=ex)
            seen: list[float] = []
            watched = run_simulation(
                spec, POLICIES, 11, REPLICATIONS, executor=ex, progress=seen.append
            )
        assert simulation_json(quiet) == simulation_json(watched), kind
        assert seen == sorted(seen), kind
        assert seen[-1] == REPLICATIONS
        first = [d for d in seen if d < 1]
        # every week of both policies of the first replication, in even steps
        assert len(first) >= weeks, (kind, len(first), weeks)
        assert min(first) < 1 / len(POLICIES) < max(first)  # the second policy is counted


def test_a_late_tick_of_another_run_or_replication_is_ignored() -> None:
    seen: list[float] = []
    ticks = Ticks(5, seen.append)
    ticks((5, 0, 0.5))
    ticks((4, 1, 0.9))  # an earlier run's straggler
    ticks.finish(0)
    ticks((5, 0, 0.75))  # after its result: ignored
    ticks((5, 1, 0.25))
    assert seen == [0.5, 1.0, 1.25]
