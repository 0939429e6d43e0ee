"""`remiss simulate` end to end: table, JSON contract, Parquet records."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from api.cli import app
from simulering.kpis import KPI_NAMES

runner = CliRunner()


def test_simulate_json_and_parquet(tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    result = runner.invoke(
        app,
        [
            "simulate",
            "gallsten",
            "--replications",
            "2",
            "--horizon-days",
            "200",
            "--warmup-days",
            "30",
            "--seed",
            "3",
            "--workers",
            "1",
            "--json",
            str(out_json),
            "--out",
            str(tmp_path / "out"),
            "-p",
            "separate",
            "-p",
            "shared",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Mean wait" in result.output and "shared" in result.output
    doc = json.loads(out_json.read_text())
    assert doc["scenario"] == "gallsten" and doc["seed"] == 3 and doc["replications"] == 2
    assert set(doc["policies"]) == {"separate", "shared"}
    pol = doc["policies"]["shared"]
    assert set(pol) == {"kpis", "by_unit", "by_area", "by_subregion", "series"}
    assert set(pol["kpis"]) == {"first_visit", "treatment"}
    assert set(pol["kpis"]["first_visit"]) == set(KPI_NAMES)
    kpi = pol["kpis"]["first_visit"]["share_waiting_within_guarantee"]
    assert 0 <= kpi["mean"] <= 1 and kpi["ci95"][0] <= kpi["mean"] <= kpi["ci95"][1]
    assert "su_ostra" in pol["by_unit"] and "1480" in pol["by_area"]
    assert set(pol["by_subregion"]) == {"göteborg", "västra", "södra", "östra", "norra"}
    assert len(pol["series"]["first_visit"]["queue_length"]["su_ostra"]) == len(
        pol["series"]["month_end_day"]
    )
    table = pq.read_table(tmp_path / "out" / "referrals.parquet")
    assert set(table.column("policy").to_pylist()) == {"separate", "shared"}
    assert set(table.column("replication").to_pylist()) == {0, 1}
    assert "first_visit_day" in table.column_names and "treatment_unit" in table.column_names
