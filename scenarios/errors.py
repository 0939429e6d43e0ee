"""The error of a wrong scenario or region file."""

from __future__ import annotations

from pathlib import Path


class ScenarioError(Exception):
    """A scenario or region file is wrong: names the file, the field path and the problem."""

    def __init__(self, file: str | Path, field: str, problem: str) -> None:
        self.file, self.field, self.problem = str(file), field, problem
        where = f"{self.file}: {field}: " if field else f"{self.file}: "
        super().__init__(where + problem)
