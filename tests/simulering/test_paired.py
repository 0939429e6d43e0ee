"""Paired policy comparisons: the t-interval by hand, sign and significance logic, and
the ``paired`` section of ``remiss simulate --json``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allokering.domain import Stage
from api.cli import app
from simulering.catalogue import Direction
from simulering.kpis import KPI_NAMES
from simulering.paired import (
    CONFIDENCE,
    KPI_DIRECTION,
    compare,
    compare_kpi,
    opposite_directions,
    verdict,
)
from simulering.results import (
    NO_ESTIMATE,
    Comparison,
    Estimate,
    PairedComparison,
    ReplicationKpis,
    StageKpis,
    estimate,
)

FV, TR = Stage.FIRST_VISIT, Stage.TREATMENT


def test_estimate_by_hand() -> None:
    # differences 1, 2, 0, 2: mean 1.25, sample sd sqrt(2.75/3), t(0.975, 3) = 3.182446
    ci = estimate([1.0, 2.0, 0.0, 2.0])
    half = 3.182446305284263 * math.sqrt(2.75 / 3) / 2
    assert ci.n == 4 and ci.mean == pytest.approx(1.25)
    assert [ci.lo, ci.hi] == pytest.approx([1.25 - half, 1.25 + half])


def test_paired_difference_not_significant_by_hand() -> None:
    c = compare_kpi([1, 2, 3, 4], [2, 4, 3, 6], "higher", "shared", "separate")
    assert c.difference.mean == pytest.approx(1.25)
    lo, hi = c.difference.lo, c.difference.hi
    assert lo == pytest.approx(-0.27346, abs=1e-4) and hi == pytest.approx(2.77346, abs=1e-4)
    assert c.baseline_mean == pytest.approx(2.5) and c.policy_mean == pytest.approx(3.75)
    assert not c.significant and c.better is None


def test_pairing_removes_shared_noise() -> None:
    # huge spread between replications, constant +1 within: significant when paired
    base = [10.0, 50.0, 90.0, 130.0]
    c = compare_kpi(base, [b + 1 + 0.01 * i for i, b in enumerate(base)], "higher", "p", "b")
    assert c.significant and c.better == "p"


@pytest.mark.parametrize(
    ("direction", "delta", "better"),
    [("higher", +1, "p"), ("higher", -1, "b"), ("lower", +1, "b"), ("lower", -1, "p")],
)
def test_direction_decides_who_is_better(direction: Direction, delta: int, better: str) -> None:
    base = [1.0, 2.0, 3.0]
    c = compare_kpi(
        base, [x + delta * (1 + 0.1 * i) for i, x in enumerate(base)], direction, "p", "b"
    )
    assert c.significant and c.better == better


def test_no_direction_no_winner() -> None:
    c = compare_kpi([1.0, 2.0, 3.0], [3.0, 4.1, 5.2], None, "p", "b")
    assert c.significant and c.better is None


def test_nan_replications_left_out_and_too_few() -> None:
    c = compare_kpi([1.0, math.nan, 3.0], [2.0, 5.0, math.nan], "lower", "p", "b")
    assert c.difference.n == 1 and c.difference.mean == 1.0 and not c.significant
    assert verdict(NO_ESTIMATE, "higher", "p", "b") == (False, None)


def test_directions_cover_every_kpi() -> None:
    assert set(KPI_DIRECTION) == set(KPI_NAMES)
    assert KPI_DIRECTION["share_waiting_within_guarantee"] == "higher"
    assert KPI_DIRECTION["utilisation"] == "higher"
    for k in ("mean_wait_days", "equity_gap", "mean_travel_km", "withdrawn", "band_366_plus"):
        assert KPI_DIRECTION[k] == "lower"
    assert KPI_DIRECTION["arrived"] is None


def test_compare_structure() -> None:
    reps: list[ReplicationKpis] = [
        {
            "a": {FV: StageKpis({"mean_wait_days": 10.0 + i})},
            "b": {FV: StageKpis({"mean_wait_days": 5.0 + i + 0.1 * i * i})},
        }
        for i in range(5)
    ]
    paired = compare(reps, ["a", "b"])
    assert paired.baseline == "a" and set(paired.comparisons) == {"b"}
    c = paired.comparisons["b"][FV]["mean_wait_days"]
    assert c.difference.mean is not None
    assert c.difference.mean < 0 and c.significant and c.better == "b"


def test_cli_prints_and_writes_paired(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "gallsten",
            "--replications",
            "3",
            "--horizon-days",
            "150",
            "--warmup-days",
            "30",
            "--executor",
            "serial",
            "-p",
            "separate",
            "-p",
            "shared",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "paired differences against separate" in result.output
    assert "better" in result.output
    doc = json.loads(out.read_text())
    assert set(doc["policies"]) == {"separate", "shared"}
    paired = doc["paired"]
    assert paired["baseline"] == "separate" and set(paired["comparisons"]) == {"shared"}
    c = paired["comparisons"]["shared"]["first_visit"]["share_waiting_within_guarantee"]
    assert set(c) == {"baseline_mean", "policy_mean", "difference", "n", "significant", "better"}
    assert c["n"] == 3 and c["better"] in ("separate", "shared", None)


def test_share_difference_cut_to_minus_one_one() -> None:
    # two replications, a huge swing: the plain t-interval leaves [-1, 1]
    c = compare_kpi([0.0, 1.0], [1.0, 0.0], "higher", "p", "b", kind="share")
    assert (c.difference.lo, c.difference.hi) == (-1.0, 1.0) and not c.significant
    plain = compare_kpi([0.0, 1.0], [1.0, 0.0], "higher", "p", "b")
    assert plain.difference.lo is not None
    assert plain.difference.lo < -1.0  # the unbounded kind keeps the t-interval


def test_compare_uses_each_kpis_range_also_by_priority() -> None:
    def rep(base: float, pol: float) -> ReplicationKpis:
        def stage(x: float) -> StageKpis[float]:
            return StageKpis(
                values={"share_waiting_within_guarantee": x},
                by_priority={"P1": {"share_waiting_within_guarantee": x}},
            )

        return {"a": {FV: stage(base)}, "b": {FV: stage(pol)}}

    paired = compare([rep(0.0, 1.0), rep(1.0, 0.1)], ["a", "b"])
    stage = paired.comparisons["b"][FV]
    for c in (
        stage["share_waiting_within_guarantee"],
        stage.by_priority["P1"]["share_waiting_within_guarantee"],
    ):
        lo, hi, mean = c.difference.lo, c.difference.hi, c.difference.mean
        assert lo is not None and hi is not None and mean is not None
        assert -1.0 <= lo <= mean <= hi <= 1.0


def test_new_kpis_have_directions() -> None:
    for k in (
        "share_waiting_within_guarantee_incl_pvv",
        "share_completed_within_guarantee_incl_pvv",
    ):
        assert KPI_DIRECTION[k] == "higher"
    assert KPI_DIRECTION["share_patient_chosen"] == "lower"
    assert KPI_DIRECTION["waiting_at_horizon"] == "lower"


def test_opposite_directions_found_from_the_means() -> None:
    def d(mean: float) -> Comparison:
        """Only the mean difference matters; the rest is filler."""
        return Comparison(
            baseline_mean=None,
            policy_mean=None,
            difference=Estimate(mean, mean - 1, mean + 1, 5),
            significant=False,
            better=None,
        )

    def paired(comparisons: dict[str, dict[Stage, StageKpis[Comparison]]]) -> PairedComparison:
        return PairedComparison("separate", CONFIDENCE, KPI_DIRECTION, comparisons)

    found = paired(
        {
            "shared": {
                FV: StageKpis(
                    {
                        "share_completed_within_guarantee": d(0.031),
                        "share_completed_within_guarantee_incl_pvv": d(-0.01),
                        "share_waiting_within_guarantee": d(0.0001),  # rounds to 0: no direction
                        "mean_wait_days": d(4.2),
                    }
                ),
                TR: StageKpis(
                    values={
                        "share_completed_within_guarantee": d(-0.02),
                        "share_waiting_within_guarantee": d(0.01),
                        "mean_wait_days": d(-1.0),
                    },
                    by_priority={"P1": {"mean_wait_days": d(3.0)}},
                ),
            }
        }
    )
    cases = opposite_directions(found)
    assert [(c.stage, c.kpi, c.share_better, c.patient_chosen) for c in cases] == [
        (FV, "share_completed_within_guarantee", True, True),
        (TR, "share_completed_within_guarantee", False, False),
    ]
    assert cases[0].share_difference == 0.031 and cases[0].wait_difference == 4.2
    assert opposite_directions(paired({})) == []
