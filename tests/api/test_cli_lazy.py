"""The root command line imports a command's module only when that command is used."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from api.cli import COMMANDS, app, load_command

HEAVY = ("numpy", "simpy", "ortools", "fastapi", "sqlalchemy", "pydantic", "scipy")


def modules_after(*args: str) -> set[str]:
    """The modules loaded after running ``remiss ARGS`` in a fresh interpreter."""
    code = (
        "import sys\n"
        "from api.cli import app\n"
        f"try:\n    app({list(args)!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stderr.split())


@pytest.mark.parametrize("args", [("--help",), ("-h",), ("--version",), ()])
def test_root_help_and_version_import_no_heavy_package(args: tuple[str, ...]) -> None:
    loaded = modules_after(*args)
    assert not [name for name in HEAVY if name in loaded]


def test_simulate_help_does_not_import_the_service() -> None:
    loaded = modules_after("simulate", "--help")
    assert "simulering" in loaded
    assert "fastapi" not in loaded and "sqlalchemy" not in loaded


def test_root_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200, color=False)
    assert result.exit_code == 0, result.output
    for name, entry in COMMANDS.items():
        line = next(row for row in result.output.splitlines() if f" {name} " in row)
        assert entry.summary.split(",")[0][:40] in line


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_loads_and_prints_its_help(name: str) -> None:
    command = load_command(name)
    assert command.name == name and command.short_help == COMMANDS[name].summary
    result = CliRunner().invoke(app, [name, "-h"], color=False)
    assert result.exit_code == 0, result.output
    assert f"remiss {name}" in result.output


def test_sub_groups_keep_their_commands() -> None:
    result = CliRunner().invoke(app, ["scenarios", "list"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "gallsten" in result.output


def test_version_is_the_installed_one() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"remiss {version('remiss')}"


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["simulatee"])
    assert result.exit_code == 2
    assert "No such command" in result.output and "Did you mean 'simulate'" in result.output
