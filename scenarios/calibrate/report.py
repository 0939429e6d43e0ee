"""The fit report of a calibration as Markdown: observed vs simulated per row, and the
iterations of the search."""

from __future__ import annotations

from scenarios.calibrate.fit import CalibrationResult, RowFit


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def fit_report(result: CalibrationResult, command: str) -> str:
    """The fit as Markdown: observed vs simulated per row, and the iterations."""
    lines = _heading(result, command)
    lines += [
        "| row | stage | observed ≤ 90 d | simulated ≤ 90 d [95 % CI] | diff (pp) "
        "| observed waiting | simulated waiting [95 % CI] | diff | slots/week start → fitted "
        "| demand × | ok |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    lines += [_row_line(r) for r in result.rows]
    lines += _iteration_lines(result)
    if not result.converged:
        lines += ["", "Outside tolerance:", ""] + [f"- {f}" for f in result.failures()]
    return "\n".join(lines) + "\n"


def _heading(result: CalibrationResult, command: str) -> list[str]:
    """Title, command and what was compared how."""
    status = (
        "converged"
        if result.converged
        else f"**did not converge** within {len(result.iterations)} iterations"
    )
    dates = ", ".join(str(d) for d in result.observation_dates())
    return [
        f"# Calibration of `{result.scenario}` — {status}",
        "",
        f"Command: `{command}`",
        "",
        f"Observed figures: `{result.observed_path}`, compared at the month end {dates}. "
        f"Policy `separate`, {result.replications} replications, seed {result.seed} "
        "(the same patients in every iteration of an epoch); simulated figures are the mean "
        "and 95 % CI over replications. Tolerance: "
        f"{result.tolerance_pp:g} percentage points on the share waiting within 90 days"
        + (
            f", {100 * result.tolerance_queue:g} % on the number waiting."
            if any(r.target.fit_demand for r in result.rows)
            else " (numbers waiting not fitted)."
        ),
        "",
    ]


def _row_line(r: RowFit) -> str:
    """One row of the fit table."""
    obs, m = r.target.observation, r.measured
    lo, hi = m.share_ci95
    wlo, whi = m.waiting_ci95
    wdiff = r.waiting_difference
    before = sum(r.capacity_before.values())
    after = sum(r.capacity_after.values())
    return (
        f"| {obs.target} | {obs.stage} | {_pct(obs.share)} | {_pct(m.share)} "
        f"[{_pct(lo)} – {_pct(hi)}] | {r.share_difference_pp:+.1f} | "
        + (f"{obs.waiting:,.0f}" if obs.waiting is not None else "–")
        + f" | {m.waiting:,.0f} [{wlo:,.0f} – {whi:,.0f}] | "
        + (
            ("–" if wdiff is None else f"{100 * wdiff:+.1f} %")
            + ("" if r.target.fit_demand or wdiff is None else " (not fitted)")
        )
        + f" | {before:.1f} → {after:.1f} | "
        + (f"{r.demand_factor:.3f}" if r.target.fit_demand else "–")
        + f" | {'yes' if r.within else 'NO'} |"
    )


def _iteration_lines(result: CalibrationResult) -> list[str]:
    """The table of iterations: each row's multipliers and figures."""
    lines = [
        "",
        "Iterations (one simulation each; capacity and demand as multipliers of the start "
        "file; share within 90 days / number waiting per row):",
        "",
        "| iteration | epoch | " + " | ".join(r.target.label for r in result.rows) + " |",
        "|---:|---:|" + "---|" * len(result.rows),
    ]
    for it in result.iterations:
        cells = [
            f"cap ×{c:.3f}, dem ×{d:.3f}: {_pct(m.share)} / {m.waiting:,.0f}"
            for c, d, m in zip(it.capacity, it.demand, it.measured, strict=True)
        ]
        lines.append(f"| {it.number} | {it.epoch} | " + " | ".join(cells) + " |")
    return lines
