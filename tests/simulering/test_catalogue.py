"""The KPI catalogue is the one list: what is computed, ranged, directed and shown."""

from __future__ import annotations

import string

import pytest

from simulering import catalogue
from simulering.catalogue import (
    BAND_NAMES,
    BANDS,
    CATALOGUE,
    KPIS,
    MARKDOWN,
    PRIORITY,
    REPORT,
    TERMINAL,
    Kpi,
    labelled,
)
from simulering.kpis import KPI_NAMES, KPI_RANGE
from simulering.paired import BOUNDS, KPI_DIRECTION
from simulering.results import PolicyResult, kpi_range
from simulering.runner import run_replication
from tests.conftest import compile_dict, small_scenario

KINDS = {"share", "days", "km", "count", "sek"}
RANGES = {"share", "non_negative", "real"}
DIRECTIONS = {"higher", "lower", None}
ROW_SETS = {
    "terminal": TERMINAL,
    "markdown": MARKDOWN,
    "report": REPORT,
    "priority": PRIORITY,
    "bands": BAND_NAMES,
}
"""Every output's row set by name."""


@pytest.fixture(scope="module")
def computed() -> dict[str, PolicyResult[float]]:
    """One replication of a small scenario (every policy sees the same patients)."""
    doc = small_scenario()
    doc["run"] = {"horizon_days": 200, "warmup_days": 30, "seed": 7, "replications": 1}
    return run_replication(compile_dict(doc), ["separate", "shared"], seed=7, replication=0)


def test_computed_kpis_are_exactly_the_catalogue(computed: dict[str, PolicyResult[float]]) -> None:
    for result in computed.values():
        for stage, kpis in result.kpis.items():
            assert set(kpis.values) == set(CATALOGUE), stage
            # the dicts are built in catalogue order, which is the JSON order
            assert list(kpis.values) == list(CATALOGUE)
            for group in kpis.by_priority.values():
                assert list(group) == list(CATALOGUE)
        for key in ("by_unit", "by_area", "by_subregion"):
            for stages in result.breakdown(key).values():
                for kpis in stages.values():
                    assert list(kpis) == list(CATALOGUE), key


def test_names_unique_and_derived_lists_follow() -> None:
    names = [k.name for k in KPIS]
    assert len(names) == len(set(names))
    assert tuple(names) == KPI_NAMES
    assert {k: v.range for k, v in CATALOGUE.items()} == KPI_RANGE
    assert {k: v.direction for k, v in CATALOGUE.items()} == KPI_DIRECTION
    assert list(KPI_DIRECTION) == list(KPI_NAMES)  # the JSON's "direction" order


@pytest.mark.parametrize("entry", KPIS, ids=lambda k: k.name)
def test_every_entry_is_complete(entry: Kpi) -> None:
    assert entry.kind in KINDS
    assert entry.range in RANGES
    assert entry.direction in DIRECTIONS
    assert entry.definition.strip() and entry.definition.rstrip().endswith(".")
    for lang in ("sv", "en"):
        label = entry.report_label(lang)
        assert label.strip() and label != entry.name, lang
        assert entry.report_priority_label(lang).strip()
    assert entry.sv and entry.en
    # only {limit} may be templated
    for label in (entry.terminal, entry.markdown, entry.priority, entry.sv, entry.en):
        if label is not None:
            fields = {f for _, f, _, _ in string.Formatter().parse(label) if f is not None}
            assert fields <= {"limit"}, label


@pytest.mark.parametrize("entry", KPIS, ids=lambda k: k.name)
def test_range_matches_kind_and_runner_bounds(entry: Kpi) -> None:
    """The interval kind the runner and the paired comparisons cut to is the entry's."""
    assert kpi_range(entry.name) == entry.range
    lo, hi = BOUNDS[entry.range]
    if entry.kind == "share":
        assert (lo, hi) == (0.0, 1.0)
    else:  # waits, km, counts and cost are never negative
        assert entry.range == "non_negative" and lo == 0.0


def test_directions_as_paired_compares() -> None:
    assert KPI_DIRECTION["share_waiting_within_guarantee"] == "higher"
    assert KPI_DIRECTION["mean_wait_days"] == "lower"
    assert KPI_DIRECTION["arrived"] is None
    assert KPI_DIRECTION["patient_chosen_waits"] is None
    assert KPI_DIRECTION["share_other_region"] is None
    assert KPI_DIRECTION["cross_region_cost_sek"] is None
    within, beyond = BAND_NAMES[: catalogue.GUARANTEE_BANDS], BAND_NAMES[3:]
    assert [KPI_DIRECTION[b] for b in within] == [None] * 3
    assert [KPI_DIRECTION[b] for b in beyond] == ["lower"] * len(beyond)


def test_bands_generated_from_the_bands() -> None:
    assert BAND_NAMES == (
        "band_0_30",
        "band_31_60",
        "band_61_90",
        "band_91_120",
        "band_121_180",
        "band_181_365",
        "band_366_plus",
    )
    assert len(BANDS) == len(BAND_NAMES)
    assert CATALOGUE["band_0_30"].sv == "0–30 d"
    assert CATALOGUE["band_366_plus"].en == "366+ d"
    assert all(CATALOGUE[b].kind == "share" for b in BAND_NAMES)


@pytest.mark.parametrize("output", sorted(ROW_SETS))
def test_row_sets_name_catalogue_entries_once(output: str) -> None:
    rows = ROW_SETS[output]
    assert len(rows) == len(set(rows)), output
    assert set(rows) <= set(CATALOGUE), output


def test_each_shown_row_has_its_label() -> None:
    assert len(labelled(TERMINAL, "terminal")) == len(TERMINAL)
    assert len(labelled(MARKDOWN, "markdown")) == len(MARKDOWN)
    assert len(labelled(PRIORITY, "priority")) == len(PRIORITY)
    with pytest.raises(ValueError, match="no markdown label"):
        labelled(("arrived",), "markdown")
    with pytest.raises(KeyError, match="unknown KPI"):
        catalogue.kpi("no_such_kpi")


def test_every_non_band_kpi_is_in_the_report_and_terminal() -> None:
    non_band = [k for k in KPI_NAMES if k not in BAND_NAMES]
    assert set(REPORT) == set(non_band)
    assert set(TERMINAL) == set(non_band)


def test_consumers_read_the_catalogue() -> None:
    from api.cli.scenarios import CROSS_REGION_ROWS, TABLE_KPIS
    from api.cli.terminal_tables import CROSS_REGION_KPIS, PRIORITY_KPIS, SUMMARY_KPIS
    from simulering import report

    assert [k for k, _, _ in SUMMARY_KPIS] == list(TERMINAL)
    assert [k for k, _, _ in PRIORITY_KPIS] == list(PRIORITY)
    assert {k.name for k in KPIS if k.cross_region} == CROSS_REGION_KPIS
    assert {"share_other_region", "cross_region_cost_sek"} == CROSS_REGION_KPIS
    assert [k for k, _, _ in TABLE_KPIS + CROSS_REGION_ROWS] == [
        k for k in MARKDOWN if k not in CROSS_REGION_KPIS
    ] + [k for k in MARKDOWN if k in CROSS_REGION_KPIS]
    assert [k for k, _ in report.TABLE_KPIS] == list(REPORT)
    assert [k for k, _ in report.PRIORITY_KPIS] == list(PRIORITY)
    assert {k.name: k.kind for k in KPIS} == report.KPI_KIND
    assert report.BAND_KEYS == BAND_NAMES
