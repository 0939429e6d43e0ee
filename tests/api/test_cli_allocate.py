"""`remiss allocate`: dispatch between PROBLEM and `generate`, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from api.cli.allocate import app

runner = CliRunner()


def _mounted() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(app, name="allocate")

    @root.command()
    def other() -> None:  # a second command so that "allocate" is a subcommand
        """Unrelated."""

    return root


@pytest.fixture(scope="module")
def problem_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("alloc") / "p.json"
    res = runner.invoke(
        _mounted(),
        [
            "allocate",
            "generate",
            "--referrals",
            "600",
            "--units",
            "8",
            "--weeks",
            "6",
            "--seed",
            "2",
            "--out",
            str(path),
        ],
    )
    assert res.exit_code == 0, res.output
    return path


def test_generate_and_solve(problem_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    res = runner.invoke(_mounted(), ["allocate", str(problem_file), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "optimal" in res.output and "validation" in res.output
    data = json.loads(out.read_text())
    assert data["status"] == "optimal" and data["solver"] == "flow"
    assert set(data["objective"]) == {"breaches", "total_wait_days", "total_travel_km", "moves"}
    res = runner.invoke(app, [str(problem_file), "--solver", "greedy", "--out", str(out)])
    assert res.exit_code == 0 and json.loads(out.read_text())["solver"] == "greedy_edd"


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["referrals"][3].update(area="Atlantis"), "referrals[3].area"),
        (lambda d: d["units"][0].update(capacity=[1]), "units[0].capacity"),
        (lambda d: d["referrals"][1].update(id=d["referrals"][0]["id"]), "referrals[1].id"),
        (lambda d: d["units"][2]["capacity"].__setitem__(0, -3), "units[2].capacity[0]"),
        (
            lambda d: d["referrals"][0].update(booked={"unit": "nope", "week": 0}),
            "referrals[0].booked.unit",
        ),
    ],
)
def test_bad_input_exit_code_2(
    problem_file: Path, tmp_path: Path, edit: Callable[[Any], None], needle: str
) -> None:
    data = json.loads(problem_file.read_text())
    edit(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    res = runner.invoke(_mounted(), ["allocate", str(bad)])
    assert res.exit_code == 2
    assert needle in res.output and "bad.json" in res.output
    assert "Traceback" not in res.output


def test_unreadable_and_malformed(tmp_path: Path) -> None:
    res = runner.invoke(app, [str(tmp_path / "missing.json")])
    assert res.exit_code == 2 and "missing.json" in res.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    res = runner.invoke(app, [str(broken)])
    assert res.exit_code == 2 and "broken.json" in res.output


def test_unknown_solver_and_bad_csv(problem_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, [str(problem_file), "--solver", "magic"])
    assert res.exit_code == 2 and "unknown solver" in res.output
    csv = tmp_path / "areas.csv"
    csv.write_text("kod,kommun\n1,X\n")
    res = runner.invoke(
        app, ["generate", "--out", str(tmp_path / "x.json"), "--areas-csv", str(csv)]
    )
    assert res.exit_code == 2 and "areas.csv" in res.output


def test_help_lists_generate() -> None:
    res = runner.invoke(_mounted(), ["allocate", "--help"])
    assert res.exit_code == 0 and "generate" in res.output
