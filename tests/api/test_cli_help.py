"""The help the command line prints says what its source says, and its examples work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli import COMMANDS, app, load_command
from api.cli.common import SET_EXAMPLES
from scenarios.experiment import Experiment


def rendered_help(*path: str) -> str:
    """``remiss PATH --help`` with box drawing removed and whitespace collapsed."""
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "1000"}, color=False)
    assert result.exit_code == 0, result.output
    return " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())


def every_command() -> Iterator[tuple[tuple[str, ...], typer.core.TyperCommand]]:
    for name in COMMANDS:
        command = load_command(name)
        subs = getattr(command, "commands", None)
        if subs:
            for sub_name, sub in subs.items():
                yield (name, sub_name), sub
        else:
            yield (name,), command


@pytest.mark.parametrize(("path", "command"), list(every_command()), ids=lambda p: str(p))
def test_every_option_help_is_printed_as_written(
    path: tuple[str, ...], command: typer.core.TyperCommand
) -> None:
    """Rich markup would eat ``[su_ostra]``-like text; every help must survive whole."""
    shown = rendered_help(*path)
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            written = " ".join(text.replace("\\[", "[").split())
            assert written in shown, f"{' '.join(path)} {param.name}: {written!r}"


@pytest.mark.parametrize("command", ["simulate", "target"])
def test_the_set_examples_in_the_help_apply(command: str) -> None:
    shown = rendered_help(command)
    listed = shown.split("PATH=VALUE (repeatable): ")[1].split(" --")[0]
    assert tuple(listed.strip().split(", ")) == SET_EXAMPLES
    base = Experiment.load("gallsten")
    changed = Experiment.load("gallsten", list(SET_EXAMPLES))
    ostra = {u.unit: u for u in changed.scenario.units}["su_ostra"]
    assert ostra.first_visit.slots_per_week == 40
    before = base.scenario.demand.referrals_per_year
    assert changed.scenario.demand.referrals_per_year == pytest.approx(before * 1.1)


def test_redirected_tables_are_as_wide_as_they_need() -> None:
    """Written to a pipe, Rich would squeeze tables to 80 columns and cut names."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "scenarios", "list"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    lines = done.stdout.splitlines()
    assert "…" not in done.stdout
    assert max(len(line) for line in lines) > 80
    assert any("separate_by_hospital_group, separate, shared" in line for line in lines)


def test_one_error_style_across_the_commands() -> None:
    """Every command's error line starts ``error:`` (no ``Error:`` anywhere)."""
    sources = (Path(__file__).resolve().parents[2] / "api" / "cli").glob("*.py")
    assert not [p.name for p in sources if "Error:[/]" in p.read_text(encoding="utf-8")]
    args = ["estimate", "mmc", "--arrival-rate", "-1", "--service-rate", "1", "--servers", "2"]
    bad = CliRunner().invoke(app, args)
    assert bad.exit_code == 2 and "error:" in bad.output and "Error:" not in bad.output


PLACEHOLDER = re.compile(r"<[\w\[\]| ]+>")
"""Typer's type labels: ``<bool>``, ``<str>``, ``<list[str]>``, ``<int range>``, ``<a|b>``."""


@pytest.mark.parametrize("path", [(), *(p for p, _ in every_command())], ids=str)
def test_no_type_placeholders_in_any_help(path: tuple[str, ...]) -> None:
    """Values are named (N, DAYS, PATH=VALUE, sv|en); flags, --help included, show none."""
    shown = rendered_help(*path)
    assert not PLACEHOLDER.findall(shown), (path, PLACEHOLDER.findall(shown))
    assert "--help -h Show this message and exit." in shown


def test_values_are_named_for_what_they_are() -> None:
    shown = rendered_help("simulate")
    for expected in (
        "--policy -p POLICY Policy to compare",
        "--replications N [x>=1]",
        "--set PATH=VALUE Override",
        "--out DIR Folder",
        "--lang sv|en Report",
        "--executor serial|process|dask",
        "* SCENARIO Scenario file",
    ):
        assert expected in shown, expected
    assert "--json Print JSON instead of a table." in rendered_help("estimate", "mmc")
    assert "--units UNIT Scale only these units (repeatable" in rendered_help("target")


def test_allocate_help_lists_solve_and_what_auto_means() -> None:
    group = rendered_help("allocate")
    assert "solve Solve PROBLEM.json" in group and "generate Write" in group
    solve = rendered_help("allocate", "solve")
    assert "--solver auto|flow|cpsat|greedy|greedy_home|greedy_edd auto: flow" in solve
    assert "[default: (auto: flow, or cpsat with side constraints)]" in solve


def synopsis_of(command: str) -> str:
    """The synopsis of ``remiss COMMAND`` in docs/cli.md: its line and the indented
    lines continuing it."""
    lines = (Path(__file__).parents[2] / "docs" / "cli.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"remiss {command} "))
    continued = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        continued.append(line)
    return " ".join(" ".join(continued).split())


@pytest.mark.parametrize(
    ("doc_name", "sub"), [("allocate [solve]", "solve"), ("allocate generate", "generate")]
)
def test_the_cli_page_lists_every_allocate_option(doc_name: str, sub: str) -> None:
    command = dict(every_command())[("allocate", sub)]
    shown = synopsis_of(doc_name)
    for param in command.params:
        for opt in [*param.opts, *param.secondary_opts]:
            if opt.startswith("--") and opt != "--help":
                assert opt in shown, (opt, shown)
    for choices in re.findall(r"--[a-z-]+ ([a-z_]+(?:\|[a-z_]+)+)", rendered_help("allocate", sub)):
        assert choices in shown, (choices, shown)
