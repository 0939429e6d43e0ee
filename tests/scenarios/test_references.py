"""Sources in the report read as references, not file paths (scenarios.references)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scenarios.references import paths_in, readable

LIBRARY = sorted((Path(__file__).parents[2] / "scenarios" / "library").glob("*.yaml"))
COMMAND_PATHS = {"mvo_spridning"}
"""Scenarios whose sources quote the ``remiss calibrate`` command that wrote them: the
paths inside that command stay, so the command can be re-run from the report."""


def test_a_path_is_found_and_named() -> None:
    line = "Population: ../shared/data/vgr_kommuner.csv (2024)"
    assert paths_in(line) == ["../shared/data/vgr_kommuner.csv"]
    for lang in ("sv", "en"):
        named = readable(line, lang)
        assert paths_in(named) == [] and named != line


@pytest.mark.parametrize("scenario_file", LIBRARY, ids=lambda p: Path(p).stem)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_library_source_keeps_a_path(scenario_file: Path, lang: str) -> None:
    if scenario_file.stem in COMMAND_PATHS:
        pytest.skip("its sources quote the calibration command with its file paths")
    doc = yaml.safe_load(scenario_file.read_text(encoding="utf-8"))
    left = [p for source in doc.get("sources", []) for p in paths_in(readable(source, lang))]
    assert left == []
