"""``--set PATH=VALUE``: change any field of a validated scenario, then re-validate it.

Syntax (one assignment per ``--set``, applied in order)::

    PATH=VALUE

- ``PATH`` is a dotted path into the scenario as written in its YAML file:
  ``demand.trend_per_year``, ``behaviour.no_show_share``, ``run.horizon_days``.
  A list element is addressed by position (``units.0``, ``priorities.1``) or by its id
  in brackets, ``units[su_ostra]`` — matched against the element's ``unit``, ``id`` or
  ``name`` field (units and backlog entries by ``unit``; priorities, reductions and
  treatment pools by ``name``). ``units.su_ostra`` means the same as ``units[su_ostra]``.
  Mapping keys are plain segments (``units[su_ostra].treatment.central.slots_per_week``,
  ``demand.rates_per_1000.1480``).
- ``VALUE`` is a YAML value (``40``, ``0.05``, ``true``, ``[0, 1, 2]``,
  ``{slots_per_week: 40}``), or a relative change of a number already there:
  ``+10%`` / ``-5%`` (times 1.10 / 0.95) or ``*1.5`` (times 1.5). A relative change of
  an integer field (``servers``, ``count``) is rounded to the nearest integer.

The changed scenario is validated again by the schema and its cross-references checked;
any problem raises :class:`OverrideError` naming the assignment and the field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from scenarios.schema import Scenario

ID_FIELDS = ("unit", "id", "name")
"""Fields a list element may be addressed by in ``list[ID]``."""

_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\[\]]+)\]")
_RELATIVE = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
_FACTOR = re.compile(r"^\s*[*x×]\s*(\d+(?:\.\d*)?|\.\d+)\s*$")


class OverrideError(ValueError):
    """A ``--set`` assignment cannot be applied: names it and what is wrong."""

    def __init__(self, assignment: str, problem: str) -> None:
        self.assignment, self.problem = assignment, problem
        super().__init__(f"--set {assignment}: {problem}")


@dataclass(frozen=True)
class Assignment:
    """One parsed ``PATH=VALUE``."""

    text: str
    path: tuple[str, ...]
    """Segments; a bracketed id is kept as ``[id]``."""
    value: str
    """The raw value text."""


def parse_assignment(text: str) -> Assignment:
    """Split ``PATH=VALUE`` and the path into segments."""
    path_text, sep, value = text.partition("=")
    path_text = path_text.strip()
    if not sep or not path_text:
        raise OverrideError(text, "expected PATH=VALUE, e.g. demand.trend_per_year=0.02")
    segments: list[str] = []
    pos = 0
    while pos < len(path_text):
        if path_text[pos] == "." and segments and pos + 1 < len(path_text):
            pos += 1
        m = _SEGMENT.match(path_text, pos)
        if m is None:
            raise OverrideError(text, f"cannot read the path {path_text!r} at {path_text[pos:]!r}")
        segments.append(m.group(1) if m.group(1) is not None else f"[{m.group(2).strip()}]")
        pos = m.end()
    return Assignment(text, tuple(segments), value.strip())


def _where(path: Sequence[str]) -> str:
    out = ""
    for seg in path:
        out += seg if seg.startswith("[") or not out else f".{seg}"
    return out


def _step(container: Any, seg: str, done: Sequence[str], a: Assignment) -> Any:
    """The key or index of ``seg`` in ``container``."""
    where = _where(done) or "(top level)"
    if isinstance(container, list):
        if seg.startswith("["):
            key = seg[1:-1]
        elif seg.lstrip("-").isdigit():
            i = int(seg)
            if not -len(container) <= i < len(container):
                raise OverrideError(
                    a.text, f"{_where([*done, seg])}: no element {i} ({len(container)} in {where})"
                )
            return i % len(container)
        else:
            key = seg
        for i, item in enumerate(container):
            if isinstance(item, dict) and any(item.get(f) == key for f in ID_FIELDS):
                return i
        ids = [
            str(next((item.get(f) for f in ID_FIELDS if item.get(f) is not None), i))
            for i, item in enumerate(container)
            if isinstance(item, dict)
        ]
        raise OverrideError(
            a.text,
            f"{_where([*done, seg])}: no element {key!r} in {where}"
            + (f" (known: {', '.join(ids)})" if ids else ""),
        )
    if isinstance(container, dict):
        if seg.startswith("["):
            raise OverrideError(a.text, f"{_where([*done, seg])}: {where} is not a list")
        return seg
    raise OverrideError(
        a.text,
        f"{_where([*done, seg])}: {where} is "
        + ("empty (null)" if container is None else f"a value ({container!r}), not a section"),
    )


def _new_value(current: Any, a: Assignment) -> Any:
    rel = _RELATIVE.match(a.value)
    fac = _FACTOR.match(a.value)
    if rel or fac:
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise OverrideError(
                a.text,
                f"{_where(a.path)}: a relative change needs a number there, found "
                + ("nothing" if current is None else repr(current)),
            )
        if rel:
            pct = float(rel.group(2)) / 100.0
            factor = 1.0 + pct if rel.group(1) == "+" else 1.0 - pct
        else:
            assert fac is not None
            factor = float(fac.group(1))
        value = current * factor
        return round(value) if isinstance(current, int) else value
    if a.value.endswith("%"):
        raise OverrideError(
            a.text,
            f"{_where(a.path)}: write +10% or -10% for a relative change, "
            "or a plain number (0.10) for a share",
        )
    try:
        return yaml.safe_load(a.value) if a.value else None
    except yaml.YAMLError as exc:
        raise OverrideError(a.text, f"value {a.value!r} is not valid YAML ({exc})") from None


def apply_assignment(data: dict[str, Any], a: Assignment) -> None:
    """Apply one assignment to a plain scenario dict (in place)."""
    node: Any = data
    for depth, seg in enumerate(a.path[:-1]):
        key = _step(node, seg, a.path[:depth], a)
        if isinstance(node, dict) and key not in node:
            raise OverrideError(
                a.text,
                f"{_where(a.path[: depth + 1])}: no field {seg!r} in "
                f"{_where(a.path[:depth]) or '(top level)'}"
                + (f" (fields: {', '.join(map(str, node))})" if node else ""),
            )
        node = node[key]
    last = a.path[-1]
    key = _step(node, last, a.path[:-1], a)
    current = node[key] if isinstance(node, list) or key in node else None
    node[key] = _new_value(current, a)


def apply_overrides(scenario: Scenario, assignments: Sequence[str]) -> Scenario:
    """The scenario with every ``PATH=VALUE`` applied in order, validated again."""
    if not assignments:
        return scenario
    data = copy.deepcopy(scenario.model_dump(mode="python"))
    parsed = [parse_assignment(t) for t in assignments]
    for a in parsed:
        apply_assignment(data, a)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"] if p not in ("slots", "servers")]
        field = ".".join(loc) or "(top level)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        culprit = next(
            (a.text for a in reversed(parsed) if field.startswith(_dotted(a, data))),
            ", ".join(assignments),
        )
        raise OverrideError(culprit, f"{field}: {msg}") from None


def _dotted(a: Assignment, data: dict[str, Any]) -> str:
    """The assignment's path with ids resolved to positions (as pydantic reports it)."""
    node: Any = data
    out: list[str] = []
    for seg in a.path:
        try:
            key = _step(node, seg, [], a)
            node = node[key]
        except (OverrideError, KeyError, IndexError, TypeError):
            out.append(seg)
            break
        out.append(str(key))
    return ".".join(out)
