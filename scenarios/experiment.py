"""One experiment: a scenario, its region, the compiled model and the run plan, loaded
once and used by every command that simulates (``remiss simulate``, ``remiss target``,
``remiss scenarios table``, ``remiss calibrate``) and by the service's simulation jobs.

The run plan — which policies, how many replications, which seed, the horizon and the
warm-up — has its defaults in one place: what the caller asks for, else what the
scenario's ``run:`` section says (:class:`scenarios.schema.RunSpec`), else the schema's
defaults. ``--set`` assignments are applied to the validated scenario before it is
compiled (:mod:`scenarios.overrides`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scenarios.loader import (
    Overrides,
    ScenarioError,
    check_references,
    compile_scenario,
    load_region,
    load_scenario,
    resolve_scenario_path,
)
from scenarios.overrides import OverrideError, apply_overrides
from scenarios.schema import RegionSpec, Scenario
from simulering.executors import Executor
from simulering.results import SimulationResult
from simulering.runner import Progress, run_simulation
from simulering.spec import ModelSpec

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class RunPlan:
    """What to run: policies (the first is the baseline of the paired comparison),
    replications and root seed. The horizon and warm-up are in the compiled spec."""

    policies: tuple[str, ...]
    replications: int
    seed: int

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        policies: Sequence[str] | None = None,
        replications: int | None = None,
        seed: int | None = None,
    ) -> RunPlan:
        """The plan asked for, the scenario's ``run:`` section filling what is not."""
        run = scenario.run
        return cls(
            policies=tuple(policies or run.policies),
            replications=replications or run.replications,
            seed=run.seed if seed is None else seed,
        )


@dataclass(frozen=True)
class Experiment:
    """A scenario ready to run, every part loaded once."""

    scenario: Scenario
    path: Path
    """The scenario file (a region given by name is looked up beside it)."""
    region: RegionSpec
    spec: ModelSpec
    plan: RunPlan
    overrides: tuple[str, ...] = ()
    """The ``--set`` assignments applied, as given."""

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def simulated_days(self) -> int:
        """Days the run simulates: every replication of every policy over the horizon
        (the unit a service job's progress counts in)."""
        return self.plan.replications * len(self.plan.policies) * self.spec.horizon_days

    @classmethod
    def load(
        cls,
        ref: str | Path,
        assignments: Sequence[str] = (),
        *,
        horizon_days: int | None = None,
        warmup_days: int | None = None,
        policies: Sequence[str] | None = None,
        replications: int | None = None,
        seed: int | None = None,
    ) -> Experiment:
        """A scenario file or library name with ``--set`` assignments applied.

        Raises :class:`~scenarios.loader.ScenarioError` for a bad file and
        :class:`~scenarios.overrides.OverrideError` for a bad assignment (path, value,
        or a cross-reference the change broke).
        """
        path = resolve_scenario_path(ref)
        scenario = apply_overrides(load_scenario(path), assignments)
        region = load_region(scenario, path)
        try:
            check_references(scenario, region, path)
        except ScenarioError as exc:
            if not assignments:
                raise
            raise OverrideError(", ".join(assignments), f"{exc.field}: {exc.problem}") from None
        return cls(
            scenario=scenario,
            path=path,
            region=region,
            spec=compile_scenario(scenario, region, Overrides(horizon_days, warmup_days)),
            plan=RunPlan.of(scenario, policies, replications, seed),
            overrides=tuple(assignments),
        )

    @classmethod
    def of_scenario(
        cls,
        scenario: Scenario,
        path: Path,
        *,
        horizon_days: int | None = None,
        warmup_days: int | None = None,
        policies: Sequence[str] | None = None,
        replications: int | None = None,
        seed: int | None = None,
    ) -> Experiment:
        """An already validated scenario (e.g. sent inline to the service), its region
        file looked up from ``path``. :class:`~scenarios.loader.ScenarioError` when its
        references do not hold."""
        region = load_region(scenario, path)
        check_references(scenario, region, path)
        return cls(
            scenario=scenario,
            path=path,
            region=region,
            spec=compile_scenario(scenario, region, Overrides(horizon_days, warmup_days)),
            plan=RunPlan.of(scenario, policies, replications, seed),
        )

    def with_spec(self, spec: ModelSpec) -> Experiment:
        """The same experiment on a changed model (e.g. scaled capacity)."""
        return replace(self, spec=spec)

    def run(
        self,
        executor: Executor | str | None = None,
        workers: int = 1,
        progress: Progress | None = None,
        on_records: Callable[[pa.Table], None] | None = None,
    ) -> SimulationResult:
        """Run the plan (:func:`simulering.runner.run_simulation`)."""
        return run_simulation(
            self.spec,
            self.plan.policies,
            self.plan.seed,
            self.plan.replications,
            workers=workers,
            progress=progress,
            on_records=on_records,
            executor=executor,
            scenario=self.name,
            overrides=self.overrides,
        )
