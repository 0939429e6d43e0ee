"""The benchmark figures of the README and the docs are the committed results, pasted by
``remiss-bench docs``: a page edited by hand, or results re-run without pasting them,
fail here."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import RESULTS_DIR
from benchmarks.docs_page import PAGES, DocsPageError, block_body, figure, refresh, render


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_shows_the_committed_results(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert render(text) == text, f"{page}: run `remiss-bench docs` (or undo the hand edit)"


def test_every_results_table_is_shown_somewhere() -> None:
    shown = "".join(p.read_text(encoding="utf-8") for p in PAGES)
    for md in sorted(RESULTS_DIR.glob("*.md")):
        assert f"<!-- results:{md.stem}:begin -->" in shown, md.name


def test_blocks_and_figures_are_replaced_from_the_results(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("# Title\n\n## Part\n\n| a |\n|---|\n| 1 |\n", encoding="utf-8")
    (tmp_path / "x.json").write_text('{"cpu": 2.345, "rows": [{"n": 7}]}', encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "intro\n<!-- results:x:begin -->\nstale table\n<!-- results:x:end -->\n"
        "took <!-- figure:x.cpu:.1f -->9.9<!-- /figure --> s for "
        "<!-- figure:x.rows.0.n -->0<!-- /figure --> rows\n",
        encoding="utf-8",
    )
    assert refresh([page], tmp_path) == [page]
    assert page.read_text(encoding="utf-8") == (
        "intro\n<!-- results:x:begin -->\n**Part**\n\n| a |\n|---|\n| 1 |\n"
        "<!-- results:x:end -->\n"
        "took <!-- figure:x.cpu:.1f -->2.3<!-- /figure --> s for "
        "<!-- figure:x.rows.0.n -->7<!-- /figure --> rows\n"
    )
    assert refresh([page], tmp_path) == []  # nothing changed the second time


def test_a_marker_naming_what_does_not_exist_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"cpu": 1}', encoding="utf-8")
    with pytest.raises(DocsPageError, match="no key 'gpu'"):
        figure("x", "gpu", None, tmp_path)
    with pytest.raises(DocsPageError, match="no such results file"):
        block_body("missing", tmp_path)
