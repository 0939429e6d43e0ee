"""The command line's two consoles — ``console`` (results, standard output) and ``err``
(errors, warnings and progress, standard error) — and its one error style
(:func:`error`).

Written to a terminal, Rich fits the output to the terminal's width. Redirected to a
file or a pipe, Rich would assume 80 columns and squeeze the tables (intervals split
mid-value, policy names cut); there the consoles are :data:`REDIRECTED_WIDTH` wide, so a
table takes the width it needs. ``COLUMNS`` in the environment still wins.
"""

from __future__ import annotations

import os
from typing import Final, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

REDIRECTED_WIDTH: Final = 1000
"""Columns of a console whose output is not a terminal (tables only take what they need)."""


def make_console(stderr: bool = False) -> Console:
    """A console, as wide as its output allows (see the module text)."""
    out = Console(stderr=stderr)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = REDIRECTED_WIDTH
    return out


console = make_console()
err = make_console(stderr=True)


def error(message: str, code: int = 2) -> NoReturn:
    """The command line's one error style: ``error: <message>`` on one line of stderr,
    then exit with ``code`` (2: bad input; 1: the work itself failed)."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
