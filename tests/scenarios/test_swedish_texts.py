"""The library in Swedish: every library scenario has the Swedish text of every text it
has in English (title, description, sources, assumptions) — a translation, not a copy,
that the service accepts when the planner app sends the scenario inline — and its
Swedish report shows none of the English description, assumptions or sources."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from api.report_context import report_context
from api.service.pseudonym import refusal
from scenarios.loader import Overrides, list_library, load_region, load_scenario, load_spec
from scenarios.references import readable
from simulering.report import render_report
from simulering.runner import run_simulation

LIBRARY = list_library()
IDS = [p.stem for p in LIBRARY]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", LIBRARY, ids=IDS)
def test_every_english_text_has_its_swedish_one(path: Path) -> None:
    sc = load_scenario(path)
    for field, english, swedish in (
        ("title", sc.title, sc.title_sv),
        ("description", sc.description, sc.description_sv),
        ("sources", sc.sources, sc.sources_sv),
        ("assumptions", sc.assumptions, sc.assumptions_sv),
    ):
        if english:
            assert swedish, f"{path.stem}: {field}_sv is missing"
    assert len(sc.sources_sv) == len(sc.sources)
    assert len(sc.assumptions_sv) == len(sc.assumptions)
    assert words(sc.description_sv) != words(sc.description)
    for english, swedish in zip(
        [*sc.sources, *sc.assumptions], [*sc.sources_sv, *sc.assumptions_sv], strict=True
    ):
        assert swedish != english, f"{path.stem}: not translated: {english}"
    for text in (sc.title_sv, sc.description_sv, *sc.sources_sv, *sc.assumptions_sv):
        assert refusal(words(text)) is None, (path.stem, text)


@pytest.mark.parametrize("path", LIBRARY, ids=IDS)
def test_the_swedish_report_shows_no_english_scenario_text(path: Path) -> None:
    sc, spec = load_spec(path, Overrides(horizon_days=35, warmup_days=0))
    run = run_simulation(spec, sc.run.policies[:1], sc.run.seed, 1, scenario=sc.name)
    ctx = report_context(sc, load_region(sc, path))
    swedish, english = render_report(run, ctx, "sv"), render_report(run, ctx, "en")
    own = [words(sc.description), *sc.assumptions, *(readable(s, "en") for s in sc.sources)]
    for text in own:
        assert html.escape(text) in english, text
        assert html.escape(text) not in swedish, text
    translated = [
        words(sc.description_sv),
        *sc.assumptions_sv,
        *(readable(s, "sv") for s in sc.sources_sv),
    ]
    for text in translated:
        assert html.escape(text) in swedish, text
