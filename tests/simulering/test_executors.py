"""One runner, every executor: serial, process pool and a Dask LocalCluster give
bit-identical results, in replication order, and progress within replications."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from scenarios.loader import Overrides, load_spec
from simulering.executors import DaskExecutor, open_executor
from simulering.runner import run_simulation
from tests.simulering.result_json import simulation_json, summaries_json

POLICIES = ["separate", "shared"]


def _spec() -> Any:
    return load_spec("gallsten", Overrides(horizon_days=150, warmup_days=30))[1]


def _run(executor: Any) -> tuple[str, list[float], list[tuple[str, int]]]:
    done: list[float] = []
    tables: list[tuple[str, int]] = []

    def keep(table: pa.Table) -> None:
        tables.append((table.column("policy")[0].as_py(), table.column("replication")[0].as_py()))

    run = run_simulation(
        _spec(), POLICIES, 7, 4, progress=done.append, on_records=keep, executor=executor
    )
    return simulation_json(run), done, tables


def test_serial_process_and_dask_are_bit_identical() -> None:
    with open_executor("serial") as ex:
        serial = _run(ex)
    with open_executor("process", workers=2) as ex:
        pooled = _run(ex)
    with DaskExecutor(workers=2, processes=False) as ex:
        dask = _run(ex)
    assert serial[0] == pooled[0] == dask[0]
    expected_tables = [(p, r) for r in range(4) for p in POLICIES]
    for _, done, tables in (serial, pooled, dask):
        assert done == sorted(done) and done[-1] == 4
        assert tables == expected_tables  # records in replication order
    for _, done, _ in (serial, pooled, dask):  # within replications (simulering.progress)
        assert any(0 < d < 1 for d in done), done


def test_worker_count_does_not_change_results() -> None:
    spec = _spec()
    one = run_simulation(spec, ["shared"], 3, 3, executor="process", workers=1)
    three = run_simulation(spec, ["shared"], 3, 3, executor="process", workers=3)
    assert summaries_json(one) == summaries_json(three)


def test_unknown_executor() -> None:
    with pytest.raises(ValueError, match="unknown executor"):
        open_executor("cloud")


def test_bench_replications_smoke(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from benchmarks.cli import app

    args = ["replications", "--replications", "2", "--policies", "separate"]
    args += ["--executors", "serial,process", "--horizon-days", "60", "--workers", "2"]
    result = CliRunner().invoke(app, [*args, "--results-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "identical results: yes" in result.output
    assert (tmp_path / "replications.md").read_text().count("| serial |") == 1
