"""The README's security section lists every limit of the service with its default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.service.settings import Settings

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
LIMITS = [
    name
    for name in Settings.model_fields
    if name.startswith(("max_", "rate_limit_", "db_", "worker_"))
]


def shown(default: object) -> str:
    """A default as the README writes it (30.0 → 30)."""
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_there_are_limits_to_list() -> None:
    assert len(LIMITS) >= 15


@pytest.mark.parametrize("name", LIMITS)
def test_every_limit_is_in_the_readme_with_its_default(name: str) -> None:
    row = re.search(rf"^\| `REMISS_{name.upper()}` \| ([^|]+) \|", README, re.MULTILINE)
    assert row is not None, f"REMISS_{name.upper()} is not in the README's limits table"
    assert row.group(1).strip() == shown(Settings.model_fields[name].default)
