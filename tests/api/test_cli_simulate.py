"""`remiss simulate` end to end: table, JSON contract, Parquet records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from rich.console import Console
from typer.testing import CliRunner

from allokering.domain import Stage
from api.cli import app
from api.cli.terminal_tables import opposite_lines, priority_table
from simulering.kpis import KPI_NAMES, KPI_RANGE
from simulering.results import Comparison, Estimate, PairedComparison, PolicyResult, StageKpis

runner = CliRunner()


def _assert_in_range(kpis: dict[str, Any]) -> None:
    """Every interval inside its KPI's range, around its mean."""
    for key, summary in kpis.items():
        if key == "by_priority" or summary["mean"] is None:
            continue
        lo, hi = summary["ci95"]
        assert lo <= summary["mean"] <= hi, key
        if KPI_RANGE[key] == "share":
            assert lo >= 0.0 and hi <= 1.0, (key, summary)
        else:
            assert lo >= 0.0, (key, summary)


def test_enough_replications_no_warning(tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    args = ["simulate", "textbook_mmc", "--replications", "5", "--horizon-days", "120"]
    args += ["--warmup-days", "20", "--workers", "1", "--json", str(out_json)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert json.loads(out_json.read_text())["warnings"] == []


def _policy(kpis: dict[Stage, StageKpis[Estimate]]) -> PolicyResult[Estimate]:
    """A summarised result with only the given stage KPIs (no breakdowns, no series)."""
    return PolicyResult(kpis, {}, {}, {}, (), {})


def test_priority_table_and_opposite_lines_render() -> None:
    group = {
        "share_completed_within_guarantee": Estimate(0.8, 0.7, 0.9),
        "share_waiting_within_guarantee": Estimate(0.75, 0.6, 0.9),
        "mean_wait_days": Estimate(12.0, 10.0, 14.0),
        "p90_wait_days": Estimate(20.0, 18.0, 22.0),
        "completed": Estimate(300.0, 280.0, 320.0),
    }
    stage = StageKpis[Estimate]({}, {"P1": group, "standard": group})
    policies = {
        name: _policy({Stage.FIRST_VISIT: stage})
        for name in ("separate_by_hospital_group", "shared")
    }
    table = priority_table("by priority", policies, Stage.FIRST_VISIT, {"P1": 14, "standard": 90})
    assert table is not None
    console = Console(width=120, record=True)
    console.print(table)
    text = console.export_text()
    assert "P1 completed ≤ 14 d" in text and "standard waiting ≤ 90 d" in text
    assert "80.0 % [70.0 % – 90.0 %]" in text and "today (separate_by_hospital_group)" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    none = {"a": _policy({Stage.FIRST_VISIT: StageKpis[Estimate]({})})}
    assert priority_table("none", none, Stage.FIRST_VISIT) is None

    def diff(mean: float) -> Comparison:
        return Comparison(None, None, Estimate(mean, mean - 1, mean + 1, 5), True, None)

    paired = PairedComparison(
        baseline="separate_by_hospital_group",
        confidence=0.95,
        direction={},
        comparisons={
            "shared": {
                Stage.FIRST_VISIT: StageKpis(
                    {
                        "share_completed_within_guarantee": diff(0.031),
                        "share_completed_within_guarantee_incl_pvv": diff(-0.01),
                        "share_waiting_within_guarantee": diff(-0.02),
                        "mean_wait_days": diff(4.2),
                    }
                ),
                Stage.TREATMENT: StageKpis(
                    {
                        "share_completed_within_guarantee": diff(0.05),
                        "share_waiting_within_guarantee": diff(0.01),
                        "mean_wait_days": diff(-1.0),
                    }
                ),
            }
        },
    )
    (line,) = opposite_lines(paired, {Stage.FIRST_VISIT: 90, Stage.TREATMENT: 90})
    assert line == (
        "shared vs today, first visit: the official share completed within 90 days is "
        "better (+3.1 pp) but the mean wait is worse (+4.2 d): the share excludes "
        "patient-chosen waiting; read both."
    )


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
    assert set(pol["kpis"]["first_visit"]) == {*KPI_NAMES, "by_priority"}
    for stage in ("first_visit", "treatment"):
        for kpis in (pol["kpis"][stage], *pol["kpis"][stage]["by_priority"].values()):
            _assert_in_range(kpis)
    kpi = pol["kpis"]["first_visit"]["share_waiting_within_guarantee"]
    assert 0 <= kpi["mean"] <= 1 and kpi["ci95"][0] <= kpi["mean"] <= kpi["ci95"][1]
    # 2 replications: a warning on stderr and in the document
    assert doc["warnings"] and "only 2 replications" in doc["warnings"][0]
    assert "warning: only 2 replications" in result.stderr
    assert "warning" not in result.stdout
    # the per-priority table and the paired per-priority comparisons
    assert "by priority group" in result.stdout
    assert set(pol["kpis"]["first_visit"]["by_priority"]) == {"P1", "standard"}
    paired_p1 = doc["paired"]["comparisons"]["shared"]["first_visit"]["by_priority"]["P1"]
    assert set(paired_p1) == set(KPI_NAMES)
    assert "su_ostra" in pol["by_unit"] and "1480" in pol["by_area"]
    assert set(pol["by_subregion"]) == {"göteborg", "västra", "södra", "östra", "norra"}
    assert len(pol["series"]["first_visit"]["queue_length"]["su_ostra"]) == len(
        pol["series"]["month_end_day"]
    )
    table = pq.read_table(tmp_path / "out" / "referrals.parquet")
    assert set(table.column("policy").to_pylist()) == {"separate", "shared"}
    assert set(table.column("replication").to_pylist()) == {0, 1}
    assert "first_visit_day" in table.column_names and "treatment_unit" in table.column_names


def test_scenario_table_warns_and_has_new_rows() -> None:
    args = ["scenarios", "table", "textbook_mmc", "--replications", "2", "--horizon-days"]
    args += ["120", "--warmup-days", "20", "--workers", "1", "--stage", "first_visit"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning: only 2 replications" in result.stderr
    assert "warning" not in result.stdout
    for row in ("(incl. PVV)", "Waiting at the horizon", "Share of arrivals with patient-chosen"):
        assert row in result.stdout
