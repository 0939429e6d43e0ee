"""What the ``remiss`` commands share: the consoles, the one-line error, option types,
policy names, and loading a scenario or opening an executor with a
clear error instead of a traceback.

Command modules import this module and nothing else of :mod:`api.cli`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from allokering.domain import Stage
from api.cli.console import err, error
from scenarios.experiment import Experiment
from scenarios.loader import ScenarioError
from scenarios.overrides import OverrideError
from simulering.executors import open_executor
from simulering.policies import POLICIES
from simulering.spec import ModelSpec

USAGE_ERROR = 2
"""Exit code of bad input (a wrong option, file or field), as click uses for usage errors."""


ScenarioArg = Annotated[str, typer.Argument(help="Scenario file, or a library scenario name")]
HorizonDays = Annotated[int | None, typer.Option(min=1, help="Simulated days")]
WarmupDays = Annotated[int | None, typer.Option(min=0, help="Days before measuring")]
SET_EXAMPLES = (
    "units[su_ostra].first_visit.slots_per_week=40",
    "demand.referrals_per_year=+10%",
)
"""The ``--set`` examples the help shows; ``tests/api/test_cli_help.py`` runs them."""
SetAssignments = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        # escape(): the help is Rich markup, which would take [su_ostra] for a style tag
        help=escape(
            "Override a scenario field, PATH=VALUE (repeatable): " + ", ".join(SET_EXAMPLES)
        ),
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(min=1, help="Worker processes (default: one per core; 1 runs serially)"),
]


class ExecutorName(StrEnum):
    """Where replications run."""

    serial = "serial"
    process = "process"
    dask = "dask"


def fail(message: str) -> NoReturn:
    """Print one clear error line and exit with the usage-error code."""
    error(message, USAGE_ERROR)


def warn(lines: list[str]) -> None:
    """Each warning as one line on stderr."""
    for line in lines:
        err.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def policy_names() -> list[str]:
    """The routing policies a command may run (:data:`simulering.policies.POLICIES`)."""
    return list(POLICIES)


def check_policies(policies: Sequence[str]) -> None:
    """``--policy`` names: the first unknown one is an error listing the known ones."""
    known = policy_names()
    unknown = [p for p in policies if p not in known]
    if unknown:
        fail(f"--policy: unknown policy {unknown[0]!r}; known: {', '.join(known)}")


def stage_limits_of(spec: ModelSpec) -> dict[Stage, int]:
    """The guarantee limit of each stage, days."""
    return {stage: int(spec.guarantee_days[s]) for s, stage in enumerate(Stage)}


def load_or_fail(
    scenario: str,
    assignments: Sequence[str] = (),
    *,
    horizon_days: int | None = None,
    warmup_days: int | None = None,
    policies: Sequence[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> Experiment:
    """The experiment of a scenario with ``--set`` assignments and the run options given
    (the scenario's ``run:`` section fills the rest); one error line and exit 2 when the
    file, an assignment or a ``--policy`` is wrong."""
    try:
        experiment = Experiment.load(
            scenario,
            assignments,
            horizon_days=horizon_days,
            warmup_days=warmup_days,
            policies=policies,
            replications=replications,
            seed=seed,
        )
    except (ScenarioError, OverrideError) as exc:
        fail(str(exc))
    check_policies(experiment.plan.policies)
    return experiment


def resolve_executor(
    executor: ExecutorName | str | None, workers: int | None, dask_address: str | None
) -> str:
    """The executor name: as given; ``dask`` when only an address is; else ``serial``
    for ``--workers 1`` and ``process`` otherwise."""
    if executor is not None:
        kind = str(executor.value if isinstance(executor, ExecutorName) else executor)
    elif dask_address:
        kind = "dask"
    else:
        kind = "serial" if workers == 1 else "process"
    if dask_address and kind != "dask":
        fail(f"--dask-address needs --executor dask (got --executor {kind})")
    return kind


def open_or_fail(kind: str, workers: int | None, dask_address: str | None) -> Any:
    """Open the executor; a cluster that cannot be reached is one error line, exit 2."""
    try:
        return open_executor(kind, workers, dask_address)
    except (OSError, TimeoutError, ValueError) as exc:
        where = f" at {dask_address}" if dask_address else ""
        fail(f"--executor {kind}: cannot start or reach the executor{where}: {exc}")
