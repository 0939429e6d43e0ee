"""``--set PATH=VALUE``: absolute and relative values, units by id, and clear errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from scenarios.experiment import Experiment
from scenarios.loader import load_scenario
from scenarios.overrides import OverrideError, apply_overrides, parse_assignment


def test_parse_paths() -> None:
    a = parse_assignment("units[su_ostra].treatment.central.slots_per_week=+10%")
    assert a.path == ("units", "[su_ostra]", "treatment", "central", "slots_per_week")
    assert a.value == "+10%"
    assert parse_assignment("units.0.first_visit.slots_per_week = 40").path[1] == "0"


def test_absolute_relative_and_by_id() -> None:
    sc = load_scenario("gallsten")
    new = apply_overrides(
        sc,
        [
            "units.0.first_visit.slots_per_week=40",
            "demand.trend_per_year=0.05",
            "demand.referrals_per_year=+10%",
            "units[nu_nal].first_visit.slots_per_week=-50%",
            "units.sas_boras.treatment.central.slots_per_week=*2",
            "backlog.0.count=+10%",
            "run.policies=[shared]",
        ],
    )
    assert new.units[0].first_visit.slots_per_week == 40  # type: ignore[union-attr]
    assert new.demand.trend_per_year == 0.05
    assert new.demand.referrals_per_year == pytest.approx(3400 * 1.1)
    nu = next(u for u in new.units if u.unit == "nu_nal")
    assert nu.first_visit.slots_per_week == pytest.approx(5.75)  # type: ignore[union-attr]
    sas = next(u for u in new.units if u.unit == "sas_boras")
    assert sas.treatment["central"].slots_per_week == pytest.approx(5.0)  # type: ignore[union-attr]
    assert new.backlog[0].count == round(sc.backlog[0].count * 1.1)
    assert isinstance(new.backlog[0].count, int)
    assert new.run.policies == ["shared"]
    assert sc.units[0].first_visit.slots_per_week == 31  # type: ignore[union-attr]  # unchanged


def test_override_reaches_the_model() -> None:
    base = Experiment.load("gallsten", horizon_days=140, warmup_days=0).spec
    more = Experiment.load(
        "gallsten",
        ["units[su_ostra].first_visit.slots_per_week=62"],
        horizon_days=140,
        warmup_days=0,
    ).spec
    assert more.pools[0].slots is not None and base.pools[0].slots is not None
    assert more.pools[0].slots[:, 0].sum() == 2 * base.pools[0].slots[:, 0].sum()
    assert (more.pools[0].slots[:, 1:] == base.pools[0].slots[:, 1:]).all()


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("units[nowhere].first_visit.slots_per_week=3", "no element 'nowhere'"),
        ("units.0.first_visit.slotz=3", "units.0.first_visit.slotz"),
        ("demand.nope.x=1", "no field 'nope'"),
        ("units.0.first_visit.slots_per_week=-3", "greater than or equal to 0"),
        ("units.0.first_visit.slots_per_week=many", "valid number"),
        ("name=+5%", "relative change needs a number"),
        ("demand.trend_per_year=10%", "+10% or -10%"),
        ("units.99.unit=x", "no element 99"),
        ("no_equals_sign", "PATH=VALUE"),
    ],
)
def test_bad_assignments(assignment: str, message: str) -> None:
    with pytest.raises(OverrideError, match="--set") as info:
        apply_overrides(load_scenario("gallsten"), [assignment])
    assert message in str(info.value)


def test_broken_reference_is_an_override_error() -> None:
    with pytest.raises(OverrideError, match="unknown unit 'nope'"):
        Experiment.load("gallsten", ["units.0.unit=nope"])


@pytest.mark.parametrize(
    ("assignment", "names"),
    [
        ("units[nowhere].first_visit.slots_per_week=3", "units[nowhere]"),
        ("units.0.first_visit.slots_per_week=abc", "units.0.first_visit.slots_per_week"),
    ],
)
def test_cli_bad_set_exits_2_naming_it(assignment: str, names: str) -> None:
    result = CliRunner().invoke(app, ["simulate", "gallsten", "--set", assignment])
    assert result.exit_code == 2
    assert names in result.output and "Traceback" not in result.output


def test_cli_set_changes_the_run() -> None:
    args = ["simulate", "textbook_mmc", "--replications", "2", "--horizon-days", "200"]
    args += ["--warmup-days", "20", "--workers", "1", "-p", "separate"]
    base = CliRunner().invoke(app, args)
    more = CliRunner().invoke(app, [*args, "--set", "demand.referrals_per_year=-20%"])
    assert base.exit_code == 0 and more.exit_code == 0, more.output
    assert base.output != more.output
