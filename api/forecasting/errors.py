"""The one error of a forecast's input: what is missing or wrong, and where."""

from __future__ import annotations


class ForecastInputError(ValueError):
    """Bad input to a forecast (an unknown specialty, a unit without capacity, too little
    history for a rate and no override, a date outside the history). ``field`` names the
    option or field at fault (``--specialty``, ``as_of``, ``behaviour.no_show_share``);
    the CLI prints it as one line and exits 2, the service answers 422."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")
