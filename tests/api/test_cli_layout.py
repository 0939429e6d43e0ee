"""The shape of the command line: the root app imports the command modules, command
modules import only the shared helpers, and nothing the ``remiss`` command is built
from imports the benchmarks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("allokering", "simulering", "scenarios", "api")
SHARED = {
    "api.cli.common",
    "api.cli.console",
    "api.cli.database",
    "api.cli.metavars",
    "api.cli.progress",
    "api.cli.terminal_tables",
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (``from a import b`` counts as ``a``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_the_benchmarks(package: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if any(m == "benchmarks" or m.startswith("benchmarks.") for m in imported_modules(path))
    ]
    assert offenders == []


def test_command_modules_import_only_the_shared_helpers() -> None:
    cli = ROOT / "api" / "cli"
    commands = {f"api.cli.{p.stem}" for p in cli.glob("*.py")} - SHARED - {"api.cli.__init__"}
    for path in sorted(cli.glob("*.py")):
        if path.stem in ("__init__", "__main__"):
            continue
        own = f"api.cli.{path.stem}"
        used = {m for m in imported_modules(path) if m == "api.cli" or m in commands} - {own}
        assert used == set(), f"{path.name} imports {sorted(used)}"


def test_importing_the_cli_loads_no_benchmark_code() -> None:
    code = "import sys, api.cli; print(sorted(m for m in sys.modules if m.startswith('bench')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
