"""``remiss-bench``: its own app with the benchmark subcommands, and the stored allocation
instance is exactly what the generator draws from the shared geography."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from allokering.generate import generate
from api.cli import app as remiss
from benchmarks.allocate import SEEDS, UNITS, WEEKS, instance_path
from benchmarks.cli import app
from scenarios.geography import VGR_UNIT_SITES, vgr_areas

runner = CliRunner()


def test_bench_app_lists_its_commands_and_remiss_has_none() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("allocate", "simulate", "service", "replications", "optimised"):
        assert name in result.output
    assert "bench" not in runner.invoke(remiss, ["--help"]).output


def test_bad_sizes_exit_2() -> None:
    result = runner.invoke(app, ["allocate", "--sizes", "ten"])
    assert result.exit_code == 2 and "--sizes" in result.output


def test_stored_instance_is_what_the_generator_draws() -> None:
    size = 10_000
    drawn = generate(
        size, vgr_areas(), VGR_UNIT_SITES, n_units=UNITS, weeks=WEEKS, seed=SEEDS[size]
    )
    stored = instance_path(size).read_text(encoding="utf-8")
    assert drawn.model_dump_json(exclude_defaults=True) == stored


def test_the_help_of_every_benchmark_names_its_values() -> None:
    commands = ["", "allocate", "simulate", "service", "replications", "optimised", "forecast"]
    for name in [*commands, "startup", "abuse", "docs"]:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks", *([name] if name else []), "-h"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert out.returncode == 0, out.stderr
        assert "Usage: remiss-bench" in out.stdout
        assert not re.search(r"<(bool|str|int|float|path|list\[\w+\])[^>]*>", out.stdout), name
