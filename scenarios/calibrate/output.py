"""The calibrated scenario file: the fitted document as readable YAML with a header,
its provenance (``sources``/``assumptions``) and the command that reproduces it."""

from __future__ import annotations

import copy
import shlex
from pathlib import Path
from typing import Any

import yaml

from scenarios.calibrate.fit import CalibrationResult


class _Dumper(yaml.SafeDumper):
    """Readable YAML: no anchors; collections of scalars on one line (flow), except
    lists of long strings (sources, assumptions); long or multi-line strings folded."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _is_scalar(x: Any) -> bool:
    return not isinstance(x, dict | list)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(_is_scalar(x) and not (isinstance(x, str) and len(x) > 40) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = all(_is_scalar(v) and not (isinstance(v, str) and len(v) > 40) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = ">" if "\n" in data.rstrip("\n") or len(data) > 90 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)


def command_line(
    scenario: str,
    observed: Path,
    out: Path | None,
    replications: int | None,
    seed: int | None,
    tolerance_pp: float,
    tolerance_queue: float,
    max_iterations: int,
    fit_demand: bool,
) -> str:
    """The ``remiss calibrate`` command that reproduces a calibration (the options that
    change the result), as recorded in the calibrated file."""
    parts = ["remiss", "calibrate", scenario, "--observed", str(observed)]
    if out is not None:
        parts += ["--out", str(out)]
    if replications is not None:
        parts += ["--replications", str(replications)]
    if seed is not None:
        parts += ["--seed", str(seed)]
    if tolerance_pp != 1.0:
        parts += ["--tolerance-pp", f"{tolerance_pp:g}"]
    if tolerance_queue != 0.05:
        parts += ["--tolerance-queue", f"{tolerance_queue:g}"]
    if max_iterations != 30:
        parts += ["--max-iterations", str(max_iterations)]
    if not fit_demand:
        parts.append("--no-fit-demand")
    return shlex.join(parts)


def _sv_number(text: str) -> str:
    """A number written by Python (``1,771``, ``0.869``) as Swedish writes it."""
    return text.replace(",", " ").replace(".", ",")


def provenance(result: CalibrationResult, command: str, lang: str = "en") -> tuple[str, list[str]]:
    """The ``sources`` entry and the ``assumptions`` entries the calibration adds, in
    English or (``lang="sv"``, for ``sources_sv`` and ``assumptions_sv``) Swedish."""
    sv = lang == "sv"
    num = _sv_number if sv else str
    dates = ", ".join(str(d) for d in result.observation_dates())
    fits_demand = any(r.target.fit_demand for r in result.rows)
    if sv:
        source = (
            f"Kalibrerad med `{command}` mot {result.observed_path} (månadsskifte {dates}): "
            f"med `separate` ({result.replications} replikeringar, frö {result.seed}) ligger "
            f"varje rad inom {num(f'{result.tolerance_pp:g}')} "
            f"{'procentenhet' if result.tolerance_pp == 1 else 'procentenheter'} från sin "
            "observerade andel väntande inom 90 dagar"
            + (
                f" och inom {num(f'{100 * result.tolerance_queue:g}')} % från sitt "
                "observerade antal väntande"
                if fits_demand
                else ""
            )
        )
    else:
        source = (
            f"Calibrated with `{command}` against {result.observed_path} (month end {dates}): "
            f"under `separate` ({result.replications} replications, seed {result.seed}) every "
            f"row is within {result.tolerance_pp:g} pp of its observed share waiting within 90 "
            "days"
            + (
                f" and within {100 * result.tolerance_queue:g} % of its observed number waiting"
                if fits_demand
                else ""
            )
        )
    caps = []
    demand = []
    a_year = "remisser per år" if sv else "referrals a year"
    for r in result.rows:
        obs = r.target.observation
        after = ", ".join(f"{u} {num(f'{c:g}')}" for u, c in r.capacity_after.items())
        caps.append(f"{obs.target} {obs.stage} {after}")
        if r.target.fit_demand:
            demand.append(
                f"{obs.target} ×{num(f'{r.demand_factor:.3f}')} "
                f"({num(f'{r.referrals_before:,.0f}')} → {num(f'{r.referrals_after:,.0f}')} "
                f"{a_year})"
            )
    fitted = (
        "Skattat genom kalibrering, inte observerat: "
        if sv
        else "Fitted by calibration, not observed: "
    )
    assumptions = [fitted + ("tider per vecka " if sv else "slots per week ") + "; ".join(caps)]
    if demand:
        scaled = (
            "efterfrågan i varje upptagningsområde (rates_per_1000, samma nivå inom ett "
            "upptagningsområde) och dess köantal, skalade för att återge det observerade antalet "
            "väntande: "
            if sv
            else "demand of each catchment (rates_per_1000, same rate within a catchment) and "
            "its backlog counts scaled to reproduce the observed number waiting: "
        )
        assumptions.append(fitted + scaled + "; ".join(demand))
    return source, assumptions


def calibrated_yaml(result: CalibrationResult, command: str) -> str:
    """The calibrated scenario as YAML, with a header and provenance entries."""
    doc = copy.deepcopy(result.document)
    source, assumptions = provenance(result, command)
    doc["sources"] = [*doc.get("sources", []), source]
    doc["assumptions"] = [*doc.get("assumptions", []), *assumptions]
    if doc.get("sources_sv") or doc.get("assumptions_sv"):  # kept one for one in Swedish
        source_sv, assumptions_sv = provenance(result, command, "sv")
        doc["sources_sv"] = [*doc.get("sources_sv", []), source_sv]
        doc["assumptions_sv"] = [*doc.get("assumptions_sv", []), *assumptions_sv]
    first: tuple[str, ...] = (
        "name",
        "title",
        "description",
        "sources",
        "assumptions",
        "title_sv",
        "description_sv",
        "sources_sv",
        "assumptions_sv",
    )
    ordered: dict[str, Any] = {k: doc[k] for k in first if k in doc}
    ordered.update({k: v for k, v in doc.items() if k not in ordered})
    header = (
        f"# {result.scenario}: generated by `remiss calibrate` — do not edit by hand; change\n"
        f"# the start file {result.scenario_path} or the observed figures\n"
        f"# {result.observed_path} and run again:\n"
        f"#   {command}\n"
        "# The fitted numbers (slots per week, demand rates, backlog counts) are listed under\n"
        "# `assumptions`; the fit report is in scenarios/README.md.\n"
    )
    body = yaml.dump(
        ordered,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=92,
    )
    return header + body
