"""Tests for ``simulering.estimate`` and ``remiss estimate`` (``api.cli.estimate``).

Reference values: textbook M/M/c results (Erlang C tables, M/M/1 closed forms) and the
worked examples / unit tests of the R package NHSRwaitinglist, which implements
Fong et al. (2022), "Understanding Waiting Lists Pressures".
"""

from __future__ import annotations

import json
import math
import shlex
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import poisson
from typer.testing import CliRunner

from api.cli.estimate import app
from simulering import estimate as est

# ------------------------------------------------------------------ Erlang B / C


def _erlang_c_direct(c: int, a: float) -> float:
    """The classical factorial form, fine for small c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_two_servers_one_erlang_is_one_third() -> None:
    assert est.erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)


def test_erlang_c_table_value_c10_a8() -> None:
    # Published Erlang C tables: C(10, 8) = 0.409.
    assert est.erlang_c(10, 8.0) == pytest.approx(0.40918, abs=5e-5)


def test_erlang_c_single_server_equals_utilisation() -> None:
    for a in (0.0, 0.1, 0.5, 0.95):
        assert est.erlang_c(1, a) == pytest.approx(a, abs=1e-15)


def test_erlang_b_known_values() -> None:
    assert est.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert est.erlang_b(2, 1.0) == pytest.approx(0.2)
    # B(c, a) = P(N = c) / P(N <= c) for N ~ Poisson(a)
    assert est.erlang_b(30, 25.0) == pytest.approx(
        poisson.pmf(30, 25.0) / poisson.cdf(30, 25.0), rel=1e-10
    )


@pytest.mark.parametrize(("c", "a"), [(1, 0.3), (2, 1.5), (3, 2.0), (5, 4.2), (12, 7.7)])
def test_erlang_c_matches_factorial_form(c: int, a: float) -> None:
    assert est.erlang_c(c, a) == pytest.approx(_erlang_c_direct(c, a), rel=1e-12)


def test_erlang_c_large_c_is_stable() -> None:
    c, a = 2000, 1950.0
    b = poisson.pmf(c, a) / poisson.cdf(c, a)
    expected = c * b / (c - a * (1 - b))
    got = est.erlang_c(c, a)
    assert 0.0 < got < 1.0
    assert got == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize(
    ("c", "a", "match"),
    [
        (2, 2.0, "unstable"),
        (2, 3.0, "unstable"),
        (0, 0.5, "servers"),
        (-1, 0.5, "servers"),
        (2, -0.1, "offered load"),
        (2, math.nan, "finite"),
    ],
)
def test_erlang_c_rejects_bad_input(c: int, a: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        est.erlang_c(c, a)


def test_erlang_c_rejects_non_integer_servers() -> None:
    with pytest.raises(ValueError, match="whole number"):
        est.erlang_c(2.5, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number"):
        est.erlang_c(True, 0.5)


# -------------------------------------------------------------------------- M/M/c


def test_mm1_textbook() -> None:
    r = est.mmc(0.5, 1.0, 1)
    assert r.rho == pytest.approx(0.5)
    assert r.prob_wait == pytest.approx(0.5)
    assert r.mean_wait == pytest.approx(1.0)  # Wq = ρ/(μ−λ)
    assert r.mean_time_in_system == pytest.approx(2.0)  # W = 1/(μ−λ)
    assert r.mean_queue_length == pytest.approx(0.5)  # Lq = ρ²/(1−ρ)
    assert r.mean_in_system == pytest.approx(1.0)  # L = ρ/(1−ρ)
    # sojourn time of M/M/1 is Exp(μ − λ)
    assert r.prob_time_in_system_within(3.0) == pytest.approx(1 - math.exp(-0.5 * 3.0))


def test_mm2_textbook() -> None:
    # M/M/2, λ = 1, μ = 1: a = 1, C = 1/3, Wq = C/(2−1) = 1/3, Lq = 1/3.
    r = est.mmc(1.0, 1.0, 2)
    assert r.prob_wait == pytest.approx(1 / 3)
    assert r.mean_wait == pytest.approx(1 / 3)
    assert r.mean_queue_length == pytest.approx(1 / 3)
    assert r.mean_in_system == pytest.approx(4 / 3)


def test_mmc_waiting_time_distribution() -> None:
    r = est.mmc(8.0, 1.0, 10)
    assert r.prob_wait_within(0.0) == pytest.approx(1 - r.prob_wait)
    assert r.prob_wait_within(1.0) == pytest.approx(1 - r.prob_wait * math.exp(-2.0))
    assert r.prob_wait_longer_than(1.0) == pytest.approx(1 - r.prob_wait_within(1.0))
    # tiny tails are computed without cancellation
    assert 0.0 < r.prob_wait_longer_than(90.0) < 1e-70
    q = r.wait_quantile(0.9)
    assert r.prob_wait_within(q) == pytest.approx(0.9)
    assert r.wait_quantile(0.5) == 0.0  # more than half never wait (C ≈ 0.41)
    # mean of the distribution equals Wq
    mean, _ = integrate.quad(lambda t: 1 - r.prob_wait_within(t), 0, math.inf)
    assert mean == pytest.approx(r.mean_wait, rel=1e-7)


@pytest.mark.parametrize(
    ("lam", "mu", "c"),
    [(1.0, 1.0, 2), (1.5, 1.0, 2), (0.5, 1.0, 2), (3.5, 1.0, 4), (0.9, 1.0, 1), (7.0, 2.0, 5)],
)
def test_mmc_time_in_system_distribution_by_convolution(lam: float, mu: float, c: int) -> None:
    # (1.0, 1.0, 2) has c − 1 − a = 0, the special case of the closed form.
    r = est.mmc(lam, mu, c)
    for t in (0.3, 1.0, 4.0):
        conv, _ = integrate.quad(
            lambda s, t=t: r.prob_wait_within(t - s) * mu * math.exp(-mu * s), 0.0, t
        )
        assert r.prob_time_in_system_within(t) == pytest.approx(conv, abs=1e-9)
    mean, _ = integrate.quad(lambda t: 1 - r.prob_time_in_system_within(t), 0, math.inf)
    assert mean == pytest.approx(r.mean_time_in_system, rel=1e-6)
    assert r.prob_time_in_system_within(1e4) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "match"),
    [
        (1.0, 1.0, 1, "unstable"),
        (2.5, 1.0, 2, "unstable"),
        (-1.0, 1.0, 1, "arrival_rate"),
        (1.0, 0.0, 2, "service_rate"),
        (1.0, -1.0, 2, "service_rate"),
        (1.0, 1.0, 0, "servers"),
        (math.inf, 1.0, 2, "finite"),
    ],
)
def test_mmc_rejects_bad_input(lam: float, mu: float, c: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        est.mmc(lam, mu, c)


def test_mmc_zero_arrivals() -> None:
    r = est.mmc(0.0, 1.0, 3)
    assert r.prob_wait == 0.0
    assert r.mean_wait == 0.0
    assert r.mean_time_in_system == 1.0


# ---------------------------------------------------------------------- Little


def test_littles_law_each_direction() -> None:
    assert est.littles_law(arrival_rate=30, mean_time=13).mean_number == pytest.approx(390)
    assert est.littles_law(arrival_rate=30, mean_number=390).mean_time == pytest.approx(13)
    assert est.littles_law(mean_time=13, mean_number=390).arrival_rate == pytest.approx(30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"arrival_rate": 1.0},
        {"arrival_rate": 1.0, "mean_time": 2.0, "mean_number": 2.0},
        {"arrival_rate": -1.0, "mean_time": 2.0},
        {"arrival_rate": 0.0, "mean_number": 2.0},
        {"mean_time": 0.0, "mean_number": 2.0},
    ],
)
def test_littles_law_rejects_bad_input(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        est.littles_law(**kwargs)


# ------------------------------------------------- Fong et al. 2022 (NHSRwaitinglist)
# Expected values are those of the package's own testthat suite and the paper's
# running example (P4 ENT list: demand 30/week, capacity 27/week, 1200 waiting,
# target 52 weeks, mean wait 63 weeks).


def test_calc_queue_load() -> None:
    assert est.calc_queue_load(30, 27) == pytest.approx(1.11111111)
    assert est.calc_queue_load(35, 27) == pytest.approx(1.2962963)
    assert est.calc_queue_load(30, 25) == pytest.approx(1.2)
    assert est.calc_queue_load(52, 42) == pytest.approx(1.23809524)


def test_calc_target_mean_wait() -> None:
    assert est.calc_target_mean_wait(52, 4) == 13
    assert est.calc_target_mean_wait(52) == 13
    assert est.calc_target_mean_wait(35, 4) == pytest.approx(8.75)
    assert est.calc_target_mean_wait(30, 4) == pytest.approx(7.5)
    assert est.calc_target_mean_wait(52, 6) == pytest.approx(8.6666667)


def test_calc_target_queue_size() -> None:
    assert est.calc_target_queue_size(30, 52) == pytest.approx(390)
    assert est.calc_target_queue_size(30, 50) == pytest.approx(375)
    assert est.calc_target_queue_size(30, 50, 6) == pytest.approx(250)


def test_calc_relief_capacity() -> None:
    assert est.calc_relief_capacity(30, 1200, 390, 26) == pytest.approx(61.153846)
    assert est.calc_relief_capacity(30, 1200, 390) == pytest.approx(61.153846)
    assert est.calc_relief_capacity(33, 800, 200, 30) == pytest.approx(53)
    assert est.calc_relief_capacity(35, 250, 100, 15) == pytest.approx(45)


def test_calc_relief_capacity_demand_uncertainty_adjustment() -> None:
    # 2·d·cv/√n = 2·30·0.1/√400 = 0.3 < 1 → demand 30/(1−0.3)
    got = est.calc_relief_capacity(30, 1200, 390, 26, num_referrals=400, cv_demand=0.1)
    assert got == pytest.approx(30 / 0.7 + 810 / 26)
    # margin ≥ 1: left unadjusted, as in the reference implementation
    got = est.calc_relief_capacity(30, 1200, 390, 26, num_referrals=1, cv_demand=1)
    assert got == pytest.approx(61.153846)


def test_calc_target_capacity() -> None:
    assert est.calc_target_capacity(30, 52, 3, 1.1, 1.2) == pytest.approx(30.076442)
    assert est.calc_target_capacity(30, 52, 3, 1.1, 1.2) == pytest.approx(
        30 + ((1.1**2 + 1.2**2) / 2) * (3 / 52)
    )
    # Poisson-like defaults: demand + factor/target
    assert est.calc_target_capacity(4, 52) == pytest.approx(4 + 4 / 52)


def test_calc_waiting_list_pressure() -> None:
    assert est.calc_waiting_list_pressure(63, 52) == pytest.approx(2.42307692)
    assert est.calc_waiting_list_pressure(42, 24) == pytest.approx(3.5)
    assert est.calc_waiting_list_pressure(55, 50) == pytest.approx(2.2)
    # the paper's P2 ENT list (mean 24 weeks, target 4) is ~5x the P4 list
    p2 = est.calc_waiting_list_pressure(24, 4)
    assert p2 == pytest.approx(12)
    assert p2 / est.calc_waiting_list_pressure(63, 52) == pytest.approx(4.95, abs=0.01)


def test_factor_and_share() -> None:
    # factor 4 ↔ ~98.2 % within target, factor 6 ↔ ~99.75 % (Fong et al. Fact 4)
    assert est.share_within_target(4) == pytest.approx(0.9817, abs=1e-4)
    assert est.share_within_target(6) == pytest.approx(0.9975, abs=1e-4)
    assert est.factor_for_share(0.92) == pytest.approx(math.log(12.5))
    assert est.factor_for_share(est.share_within_target(4.0)) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("func", "args"),
    [
        (est.calc_queue_load, (30, 0)),
        (est.calc_queue_load, (-1, 27)),
        (est.calc_target_mean_wait, (0, 4)),
        (est.calc_target_mean_wait, (52, 0)),
        (est.calc_target_queue_size, (-30, 52)),
        (est.calc_relief_capacity, (30, 1200, 390, 0)),
        (est.calc_relief_capacity, (30, -1, 390, 26)),
        (est.calc_target_capacity, (30, 52, 4, -1, 1)),
        (est.calc_waiting_list_pressure, (63, 0)),
        (est.calc_waiting_list_pressure, (-1, 52)),
        (est.factor_for_share, (1.0,)),
        (est.factor_for_share, (0.0,)),
        (est.calc_queue_load, ("30", 27)),
    ],
)
def test_fong_rejects_bad_input(func: object, args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        func(*args)  # type: ignore[operator]


# ------------------------------------------------------------------ properties

_loads = st.floats(min_value=0.0, max_value=200.0, allow_nan=False)


@given(c=st.integers(min_value=1, max_value=300), a=_loads)
def test_prob_wait_is_a_probability(c: int, a: float) -> None:
    if a >= c:
        with pytest.raises(ValueError):
            est.erlang_c(c, a)
        return
    p = est.erlang_c(c, a)
    assert 0.0 <= p <= 1.0


@given(c=st.integers(min_value=1, max_value=300), a=_loads)
def test_prob_wait_decreases_with_servers(c: int, a: float) -> None:
    if a >= c:
        return
    assert est.erlang_c(c + 1, a) <= est.erlang_c(c, a) + 1e-12


@given(
    c=st.integers(min_value=1, max_value=100),
    u1=st.floats(min_value=0.0, max_value=0.999),
    u2=st.floats(min_value=0.0, max_value=0.999),
)
def test_prob_wait_increases_with_load(c: int, u1: float, u2: float) -> None:
    lo, hi = sorted((u1 * c, u2 * c))
    assert est.erlang_c(c, lo) <= est.erlang_c(c, hi) + 1e-12


@given(
    lam=st.floats(min_value=1e-3, max_value=1e3),
    mu=st.floats(min_value=1e-3, max_value=1e3),
    c=st.integers(min_value=1, max_value=200),
)
@settings(max_examples=200)
def test_mmc_littles_law_consistency(lam: float, mu: float, c: int) -> None:
    if lam / (c * mu) >= 0.999:
        return
    r = est.mmc(lam, mu, c)
    assert r.mean_in_system == pytest.approx(lam * r.mean_time_in_system, rel=1e-9)
    assert r.mean_queue_length == pytest.approx(lam * r.mean_wait, rel=1e-9, abs=1e-300)
    assert r.mean_in_system == pytest.approx(r.mean_queue_length + r.offered_load, rel=1e-9)
    lr = est.littles_law(arrival_rate=lam, mean_time=r.mean_time_in_system)
    assert lr.mean_number == pytest.approx(r.mean_in_system, rel=1e-9)


@given(
    rho=st.floats(min_value=0.01, max_value=0.99),
    c=st.integers(min_value=1, max_value=50),
    t1=st.floats(min_value=0.0, max_value=100.0),
    t2=st.floats(min_value=0.0, max_value=100.0),
)
def test_wait_distribution_is_monotone(rho: float, c: int, t1: float, t2: float) -> None:
    r = est.mmc(rho * c, 1.0, c)
    lo, hi = sorted((t1, t2))
    assert 0.0 <= r.prob_wait_within(lo) <= r.prob_wait_within(hi) <= 1.0
    assert 0.0 <= r.prob_time_in_system_within(lo) <= r.prob_time_in_system_within(hi) + 1e-12
    assert r.prob_time_in_system_within(hi) <= r.prob_wait_within(hi) + 1e-12


# ------------------------------------------------------------------------- CLI

runner = CliRunner()


def _args(command: str) -> list[str]:
    return shlex.split(command)


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def _value(data: dict[str, Any], key: str) -> Any:
    return data["results"][key]["value"]


def test_cli_mmc_json() -> None:
    data = _json(["mmc", "--arrival-rate", "8", "--service-rate", "1", "--servers", "10"])
    assert data["model"] == "mmc"
    assert _value(data, "prob_wait") == pytest.approx(0.40918, abs=5e-5)
    assert _value(data, "utilisation") == pytest.approx(0.8)
    assert data["inputs"] == {
        "arrival_rate": 8.0,
        "service_rate": 1.0,
        "servers": 10,
        "limit_days": 90.0,
        "time_unit": "day",
    }
    for entry in data["results"].values():
        assert set(entry) == {"label", "value", "unit", "formula"}


def test_cli_mmc_limit_days() -> None:
    data = _json(_args("mmc --arrival-rate 0.5 --service-rate 1 --servers 1 --limit-days 2"))
    assert _value(data, "mean_wait") == pytest.approx(1.0)
    assert _value(data, "prob_wait_within_limit") == pytest.approx(1 - 0.5 * math.exp(-1.0))


def test_cli_mmc_table() -> None:
    result = runner.invoke(
        app, ["mmc", "--arrival-rate", "1", "--service-rate", "1", "--servers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "Erlang" in result.stdout
    assert "0.3333" in result.stdout
    assert "days" in result.stdout


def test_cli_waiting_list_paper_example() -> None:
    data = _json(
        _args(
            "waiting-list --demand 30 --capacity 27 --queue-size 1200"
            " --target-wait 52 --mean-wait 63"
        )
    )
    assert data["model"] == "waiting-list"
    assert _value(data, "queue_load") == pytest.approx(30 / 27)
    assert _value(data, "target_mean_wait") == pytest.approx(13)
    assert _value(data, "target_queue_size") == pytest.approx(390)
    assert _value(data, "queue_too_big") is True
    assert _value(data, "relief_capacity") == pytest.approx(61.153846)
    assert _value(data, "target_capacity") == pytest.approx(30 + 4 / 52)
    assert _value(data, "waiting_list_pressure") == pytest.approx(2.42307692)


def test_cli_waiting_list_share_and_optional_inputs() -> None:
    data = _json(_args("waiting-list --demand 10 --target-wait 90 --target-share 0.92 --unit day"))
    f = math.log(12.5)
    assert _value(data, "factor") == pytest.approx(f)
    assert _value(data, "target_mean_wait") == pytest.approx(90 / f)
    assert _value(data, "queue_load") is None
    assert _value(data, "relief_capacity") is None
    assert _value(data, "waiting_list_pressure") is None
    assert data["inputs"]["time_to_target"] == 182.0


def test_cli_waiting_list_table() -> None:
    result = runner.invoke(
        app, ["waiting-list", "--demand", "30", "--target-wait", "52", "--queue-size", "1200"]
    )
    assert result.exit_code == 0, result.output
    assert "Target queue size" in result.stdout
    assert "patients/week" in result.stdout


def test_cli_little() -> None:
    data = _json(["little", "--arrival-rate", "30", "--mean-time", "13", "--unit", "week"])
    assert _value(data, "mean_number") == pytest.approx(390)


@pytest.mark.parametrize(
    "args",
    [
        ["mmc", "--arrival-rate", "10", "--service-rate", "1", "--servers", "10"],
        ["mmc", "--arrival-rate", "1", "--service-rate", "1", "--servers", "0"],
        ["mmc", "--arrival-rate", "-1", "--service-rate", "1", "--servers", "1"],
        ["mmc", "--arrival-rate", "nan", "--service-rate", "1", "--servers", "1"],
        ["mmc", "--arrival-rate", "x", "--service-rate", "1", "--servers", "1"],
        _args("mmc --arrival-rate 1 --service-rate 2 --servers 1 --json --limit-days -5"),
        ["little", "--arrival-rate", "1"],
        ["little", "--arrival-rate", "1", "--mean-time", "1", "--mean-number", "1"],
        ["waiting-list", "--demand", "-3", "--target-wait", "52"],
        ["waiting-list", "--demand", "3", "--target-wait", "0"],
        ["waiting-list", "--demand", "3", "--target-wait", "52", "--capacity", "0"],
        ["waiting-list", "--demand", "3", "--target-wait", "52", "--target-share", "1.5"],
        ["waiting-list", "--demand", "3", "--target-wait", "52", "--time-to-target", "0"],
        _args("waiting-list --demand 3 --target-wait 52 --target-share 0.9 --factor 4"),
        ["waiting-list", "--demand", "3"],
    ],
)
def test_cli_invalid_input_exits_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_error_message_is_clear() -> None:
    result = runner.invoke(
        app, ["mmc", "--arrival-rate", "10", "--service-rate", "1", "--servers", "10"]
    )
    assert result.exit_code == 2
    assert "error:" in result.stderr
    assert "unstable" in result.stderr
    assert result.stdout == ""
