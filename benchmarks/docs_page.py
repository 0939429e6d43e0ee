"""The benchmark figures of the documentation and the README, regenerated from the
benchmarks' own output so that none is copied by hand.

Two kinds of marker, both HTML comments (invisible on GitHub and in MkDocs):

- a **block** ``<!-- results:NAME:begin -->`` … ``<!-- results:NAME:end -->`` holds the
  body of ``benchmarks/results/NAME.md`` (all but its title line), tables and all;
- a **figure** ``<!-- figure:NAME.KEY[:FORMAT] -->`` … ``<!-- /figure -->`` holds one
  value of ``benchmarks/results/NAME.json`` (``KEY`` a dotted path, ``FORMAT`` a Python
  format spec such as ``.1f``; default ``g``).

``remiss-bench docs`` rewrites every marked place of :data:`PAGES`;
``tests/benchmarks/test_docs_page.py`` fails when a page differs from what its results
give (a figure edited by hand, or a benchmark re-run without ``remiss-bench docs``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import BENCH_DIR, RESULTS_DIR

ROOT = BENCH_DIR.parent
PAGES = (
    ROOT / "README.md",
    ROOT / "docs" / "benchmarks.md",
    ROOT / "docs" / "allocation.md",
    ROOT / "docs" / "forecast-service.md",
)
"""The pages whose benchmark figures are generated."""

BLOCK = re.compile(
    r"(<!-- results:(?P<name>[\w-]+):begin -->\n)(?P<body>.*?)(<!-- results:(?P=name):end -->)",
    re.DOTALL,
)
FIGURE = re.compile(
    r"(<!-- figure:(?P<name>[\w-]+)\.(?P<key>[\w.]+)(?::(?P<fmt>[^ ]+))? -->)"
    r"(?P<value>.*?)(<!-- /figure -->)"
)


class DocsPageError(ValueError):
    """A marker names a result file or a key that does not exist."""


def block_body(name: str, results: Path = RESULTS_DIR) -> str:
    """``results/NAME.md`` without its title line and the blank lines around it."""
    path = results / f"{name}.md"
    if not path.exists():
        raise DocsPageError(f"{path}: no such results file (run remiss-bench first)")
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    # a heading of the file would enter the page's outline: it becomes a bold line
    lines = [f"**{ln.lstrip('#').strip()}**" if ln.startswith("#") else ln for ln in lines]
    return "\n".join(lines).strip("\n") + "\n"


def figure(name: str, key: str, fmt: str | None, results: Path = RESULTS_DIR) -> str:
    """The value at ``key`` (a dotted path; list items by index) of ``results/NAME.json``."""
    path = results / f"{name}.json"
    if not path.exists():
        raise DocsPageError(f"{path}: no such results file (run remiss-bench first)")
    value: Any = json.loads(path.read_text(encoding="utf-8"))
    for part in key.split("."):
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise DocsPageError(f"{path}: no key {key!r}") from None
    return format(value, fmt or "g")


def render(text: str, results: Path = RESULTS_DIR) -> str:
    """``text`` with every block and figure regenerated from ``results``."""
    text = BLOCK.sub(lambda m: m[1] + block_body(m["name"], results) + m[4], text)
    return FIGURE.sub(lambda m: m[1] + figure(m["name"], m["key"], m["fmt"], results) + m[6], text)


def refresh(pages: Sequence[Path] = PAGES, results: Path = RESULTS_DIR) -> list[Path]:
    """Rewrite the marked places of ``pages``; the pages that changed."""
    changed = []
    for page in pages:
        old = page.read_text(encoding="utf-8")
        new = render(old, results)
        if new != old:
            page.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed
