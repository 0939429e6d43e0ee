"""Progress on the command line: written to a pipe, ``simulate`` and ``target`` say
how far they are in plain lines (within replications, with the time left); ``target``
names its total as a bound, never ``n/?``."""

from __future__ import annotations

import re
import subprocess
import sys

SHORT = ["--horizon-days", "400", "--warmup-days", "50", "--replications", "2"]
LINE = re.compile(
    r"^(?P<what>.+): (?P<pct>\d+) % \((?P<done>[\d.]+) of (?P<most>at most )?(?P<total>\d+) "
    r"replications\), \d+:\d\d:\d\d elapsed(, about \d+:\d\d:\d\d left( at most)?)?$"
)


def _stderr(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stderr.splitlines()


def _progress(lines: list[str]) -> list[re.Match[str]]:
    return [m for line in lines if (m := LINE.match(line))]


def test_simulate_writes_progress_lines_within_replications() -> None:
    for workers in ("1", "2"):  # serially and from the process pool's workers
        lines = _stderr("simulate", "textbook_mmc", *SHORT, "--workers", workers)
        shown = _progress(lines)
        assert len(shown) >= 5, lines
        done = [float(m["done"]) for m in shown]
        assert done == sorted(done) and done[-1] == 2.0
        assert any(0 < d < 1 for d in done), done  # before the first replication ends
        assert all(m["total"] == "2" and not m["most"] for m in shown)
        assert any("left" in m.group(0) for m in shown)
        assert any(re.search(r": done in \d+:\d\d:\d\d$", line) for line in lines)


def test_target_names_its_total_as_a_bound() -> None:
    lines = _stderr(
        "target", "textbook_mmc", "--goal", "0.999", *SHORT, "--workers", "1",
        "--max-multiplier", "1.5", "--tolerance", "0.1",
    )  # fmt: skip
    shown = _progress(lines)
    assert shown, lines
    assert all(m["most"] and m["total"] == str(2 * 5) for m in shown)  # 2 + ceil(log2 5) = 5
    assert any("evaluation 1 (×1.00) of at most 5" in m["what"] for m in shown)
    assert not any("/?" in line for line in lines)
