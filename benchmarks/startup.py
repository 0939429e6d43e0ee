"""Command-line start-up: the CPU time, wall time and peak memory of ``remiss`` commands,
each run in a fresh interpreter, beside the peer — an interpreter that imports only
Typer and Rich, the least any Typer command pays.

Each command runs ``repeat`` times; the figures are medians. CPU time is the child's
user + system time (``os.wait4``), peak memory its maximum resident set. The share of
start-up in ``remiss simulate textbook_mmc --replications 1`` is the CPU of
``remiss simulate --help`` (the interpreter, the imports of the simulate command and
argument parsing) divided by the CPU of the whole run. The load average is read before
and after, so a loaded machine shows in the figures.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from rich.table import Table

from benchmarks import RESULTS_DIR

REMISS: Final = (sys.executable, "-m", "api.cli")
PEER: Final = (sys.executable, "-c", "import typer, rich.console")
"""Typer and Rich alone: the floor under any Typer command's start-up."""
HELP_TARGET_CPU: Final = 0.3
"""Issue 15's target for ``remiss --help``: at most this many CPU seconds."""
STARTUP_SHARE_TARGET: Final = 0.20
"""Issue 15's target: start-up at most this share of a one-replication run."""
COMMANDS: Final[dict[str, tuple[str, ...]]] = {
    "peer: python -c 'import typer, rich'": PEER,
    "remiss --help": (*REMISS, "--help"),
    "remiss simulate --help": (*REMISS, "simulate", "--help"),
    "remiss allocate --help": (*REMISS, "allocate", "--help"),
    "remiss serve --help": (*REMISS, "serve", "--help"),
    "remiss simulate textbook_mmc --replications 1": (
        *REMISS,
        "simulate",
        "textbook_mmc",
        "--replications",
        "1",
        "--workers",
        "1",
    ),
}


@dataclass(frozen=True)
class Timing:
    """Medians over the repeats of one command."""

    command: str
    cpu_s: float
    wall_s: float
    peak_mib: float
    repeats: int


@dataclass(frozen=True)
class StartupReport:
    timings: list[Timing]
    startup_share: float
    """CPU of ``remiss simulate --help`` over CPU of the one-replication run."""
    load_before: list[float]
    load_after: list[float]
    machine: str


def run_once(argv: tuple[str, ...]) -> tuple[float, float, float]:
    """(CPU s, wall s, peak MiB) of one run of ``argv`` in a child process."""
    env = {**os.environ, "COLUMNS": "120"}
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def time_command(name: str, argv: tuple[str, ...], repeat: int) -> Timing:
    runs = [run_once(argv) for _ in range(repeat)]
    cpu, wall, peak = (statistics.median(column) for column in zip(*runs, strict=True))
    return Timing(name, round(cpu, 3), round(wall, 3), round(peak, 1), repeat)


def run(repeat: int = 5) -> StartupReport:
    """Every command of :data:`COMMANDS`, ``repeat`` times each."""
    before = [round(x, 2) for x in os.getloadavg()]
    timings = [time_command(name, argv, repeat) for name, argv in COMMANDS.items()]
    after = [round(x, 2) for x in os.getloadavg()]
    by_name = {t.command: t for t in timings}
    share = by_name["remiss simulate --help"].cpu_s / max(
        by_name["remiss simulate textbook_mmc --replications 1"].cpu_s, 1e-9
    )
    machine = (
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    return StartupReport(timings, round(share, 3), before, after, machine)


def rich_table(report: StartupReport) -> Table:
    peer = report.timings[0].cpu_s
    table = Table(title=f"Start-up, median of {report.timings[0].repeats} runs")
    for column in ("command", "CPU s", "× peer", "wall s", "peak MiB"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for t in report.timings:
        ratio = f"{t.cpu_s / peer:.1f}×" if peer > 0 else "–"
        table.add_row(t.command, f"{t.cpu_s:.3f}", ratio, f"{t.wall_s:.3f}", f"{t.peak_mib:.0f}")
    return table


def verdicts(report: StartupReport) -> list[str]:
    """Each target with the measured figure and whether it is met."""
    help_cpu = next(t.cpu_s for t in report.timings if t.command == "remiss --help")
    return [
        f"`remiss --help`: {help_cpu:.3f} s CPU (target ≤ {HELP_TARGET_CPU} s): "
        + ("met" if help_cpu <= HELP_TARGET_CPU else "missed"),
        f"start-up share of `remiss simulate textbook_mmc --replications 1`: "
        f"{100 * report.startup_share:.0f} % (target ≤ {100 * STARTUP_SHARE_TARGET:.0f} %): "
        + ("met" if report.startup_share <= STARTUP_SHARE_TARGET else "missed"),
        f"load average before {report.load_before}, after {report.load_after}",
    ]


def markdown(report: StartupReport) -> str:
    lines = [
        "# Command-line start-up",
        "",
        f"Each command in a fresh interpreter, median of {report.timings[0].repeats} runs; "
        f"CPU = the child's user + system time. Machine: {report.machine}.",
        "",
        "| command | CPU s | × peer | wall s | peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    peer = report.timings[0].cpu_s
    for t in report.timings:
        lines.append(
            f"| `{t.command}` | {t.cpu_s:.3f} | {t.cpu_s / peer:.1f}× | {t.wall_s:.3f} | "
            f"{t.peak_mib:.0f} |"
        )
    lines += ["", *(f"- {v}" for v in verdicts(report)), ""]
    lines.append("Reproduce with `remiss-bench startup`.")
    return "\n".join(lines) + "\n"


def write_results(report: StartupReport, out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "startup.md", out_dir / "startup.json"
    md.write_text(markdown(report), encoding="utf-8")
    js.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return md, js
