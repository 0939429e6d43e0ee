"""The observed-figures CSV of a calibration: one row per unit or hospital group and
stage, with its share waiting within 90 days and, optionally, its number waiting."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from scenarios.loader import ScenarioError

STAGES = ("first_visit", "treatment")
REQUIRED_COLUMNS = ("unit", "stage", "share_within_90")
OPTIONAL_COLUMNS = ("waiting", "observed_on", "note")


class ObservedFileError(ScenarioError):
    """The observed-figures CSV is wrong: names the file, the line/column and the problem."""


@dataclass(frozen=True)
class Observation:
    """One row of the observed-figures CSV."""

    line: int
    """Line number in the file (1 = the header)."""
    target: str
    """A unit id of the scenario or a hospital-group id of its region."""
    stage: str
    share: float
    """Observed share waiting within 90 days, 0..1."""
    waiting: float | None
    """Observed number waiting, when given."""
    observed_on: dt.date | None
    note: str = ""


def read_observed(path: str | Path) -> list[Observation]:
    """Read and check the observed-figures CSV (columns, numbers, ranges).

    Columns: ``unit``, ``stage`` (``first_visit`` or ``treatment``), ``share_within_90``
    (0..1) required; ``waiting`` (≥ 0), ``observed_on`` (YYYY-MM-DD) and ``note``
    optional. Lines starting with ``#`` and blank lines are skipped.
    """
    p = Path(path)
    numbered = _data_lines(p)
    rows = list(csv.reader([line for _, line in numbered]))
    header = [h.strip() for h in rows[0]]
    _check_header(p, header, numbered[0][0])
    if len(rows) < 2:
        raise ObservedFileError(p, "", "no data rows after the header")
    out: list[Observation] = []
    seen: dict[tuple[str, str], int] = {}
    for (line, _), row in zip(numbered[1:], rows[1:], strict=True):
        if len(row) != len(header):
            raise ObservedFileError(
                p, f"line {line}", f"{len(row)} fields, the header has {len(header)}"
            )
        cell = dict(zip(header, (c.strip() for c in row), strict=True))
        obs = _observation(p, line, cell)
        key = (obs.target, obs.stage)
        if key in seen:
            raise ObservedFileError(
                p,
                f"line {line}, column unit",
                f"{obs.target} {obs.stage} appears twice (also on line {seen[key]})",
            )
        seen[key] = line
        out.append(obs)
    return out


def _data_lines(p: Path) -> list[tuple[int, str]]:
    """The file's lines with their numbers, comments and blank lines skipped."""
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ObservedFileError(p, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ObservedFileError(p, "", f"cannot read file ({exc})") from None
    numbered = [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise ObservedFileError(p, "", "empty file: expected a header line and data rows")
    return numbered


def _check_header(p: Path, header: list[str], head_line: int) -> None:
    """Only known columns, every required one, none twice."""
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    for col in header:
        if col not in known:
            raise ObservedFileError(
                p, f"line {head_line}", f"unknown column {col!r}; known: {', '.join(known)}"
            )
    for col in REQUIRED_COLUMNS:
        if col not in header:
            raise ObservedFileError(
                p,
                f"line {head_line}",
                f"missing column {col!r} (required: {', '.join(REQUIRED_COLUMNS)})",
            )
    if len(set(header)) != len(header):
        raise ObservedFileError(p, f"line {head_line}", "a column appears twice")


def _observation(p: Path, line: int, cell: dict[str, str]) -> Observation:
    """One data row, checked cell by cell."""

    def where(col: str) -> str:
        return f"line {line}, column {col}"

    target = cell["unit"]
    if not target:
        raise ObservedFileError(p, where("unit"), "empty; give a unit or hospital-group id")
    stage = cell["stage"]
    if stage not in STAGES:
        raise ObservedFileError(
            p, where("stage"), f"{stage!r} is not a stage; use {' or '.join(STAGES)}"
        )
    share = _number(p, where("share_within_90"), cell["share_within_90"])
    if share is None:
        raise ObservedFileError(p, where("share_within_90"), "empty; a share 0..1 is needed")
    if not 0.0 <= share <= 1.0:
        hint = f" (write {share / 100:g}, not {share:g})" if 1 < share <= 100 else ""
        raise ObservedFileError(p, where("share_within_90"), f"{share:g} is outside [0, 1]{hint}")
    waiting = _number(p, where("waiting"), cell.get("waiting", ""))
    if waiting is not None and waiting < 0:
        raise ObservedFileError(
            p, where("waiting"), f"{waiting:g} is negative; a number waiting is >= 0"
        )
    observed_on: dt.date | None = None
    if cell.get("observed_on"):
        try:
            observed_on = dt.date.fromisoformat(cell["observed_on"])
        except ValueError:
            raise ObservedFileError(
                p, where("observed_on"), f"{cell['observed_on']!r} is not a YYYY-MM-DD date"
            ) from None
    return Observation(line, target, stage, share, waiting, observed_on, cell.get("note", ""))


def _number(path: Path, where: str, text: str) -> float | None:
    """A cell as a finite number, ``None`` when empty."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ObservedFileError(path, where, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ObservedFileError(path, where, f"{text!r} is not a finite number")
    return value
