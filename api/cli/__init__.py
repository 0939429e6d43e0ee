"""The ``remiss`` command line: the root Typer app.

One module per command group, each importing only :mod:`api.cli.common` and
:mod:`api.cli.console` (and, for the tables, :mod:`api.cli.terminal_tables`; for the
database, :mod:`api.cli.database`; for a run's progress, :mod:`api.cli.progress`):
:mod:`~api.cli.simulate`, :mod:`~api.cli.target`, :mod:`~api.cli.calibrate`,
:mod:`~api.cli.scenarios` (list, validate, schema, table), :mod:`~api.cli.estimate`,
:mod:`~api.cli.allocate`, :mod:`~api.cli.serve` (serve, db, apikey) and
:mod:`~api.cli.audit` (verify). The benchmarks are an app of their own,
``remiss-bench`` (:mod:`benchmarks.cli`).

Every command's help names its values (:mod:`api.cli.metavars`: ``N``, ``PATH=VALUE``,
``sv|en``; no ``<bool>``). This module imports none of the command modules:
:data:`COMMANDS` names each command's module and a one-line summary, and
:class:`LazyCommands` imports a command's module only when that command runs or its own
help is asked for (documented lazy loading: ``remiss --help`` lists the commands from
the summaries without importing numpy, SimPy, OR-Tools or FastAPI, and ``remiss
simulate`` does not import the service).

Typer (≥ 0.26) vendors Click as ``typer._click`` and names no public alias for the
``Command``/``Context`` types that :class:`typer.core.TyperGroup`'s methods take, so
this module imports them from there; ``tests/api/test_cli_lazy.py`` fails if that
changes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Annotated

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

from api.cli.metavars import name_values


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives: ``module`` and its ``attribute`` (a Typer app or a command
    function), and the summary ``remiss --help`` lists it with."""

    module: str
    attribute: str
    summary: str


COMMANDS: dict[str, LazyCommand] = {
    "serve": LazyCommand(
        "api.cli.serve",
        "serve",
        "Start the service (uvicorn). The database is created and migrated on start.",
    ),
    "simulate": LazyCommand(
        "api.cli.simulate",
        "simulate_cmd",
        "Simulate a scenario under several policies and compare them with 95 % CIs, "
        "paired against the first policy.",
    ),
    "target": LazyCommand(
        "api.cli.target",
        "target_command",
        "The smallest capacity increase that reaches a KPI goal, simulated and beside "
        "the analytic estimate.",
    ),
    "calibrate": LazyCommand(
        "api.cli.calibrate",
        "calibrate_command",
        "Fit unit capacities (and demand) so that the separate policy reproduces "
        "observed waiting figures.",
    ),
    "scenarios": LazyCommand("api.cli.scenarios", "app", "The scenario library and file format."),
    "estimate": LazyCommand(
        "api.cli.estimate",
        "app",
        "Instant analytic estimates: M/M/c (Erlang C), Little's law, Fong et al. (2022).",
    ),
    "forecast": LazyCommand(
        "api.cli.forecast",
        "forecast_command",
        "Forecast the service's queue from its database: breaches, worklist, back-test.",
    ),
    "allocate": LazyCommand(
        "api.cli.allocate",
        "app",
        "Allocate waiting referrals to units and weeks, or generate a problem.",
    ),
    "db": LazyCommand("api.cli.serve", "db_app", "Database schema (Alembic migrations)."),
    "apikey": LazyCommand("api.cli.serve", "key_app", "API keys (stored hashed) and their roles."),
    "audit": LazyCommand("api.cli.audit", "app", "The audit log (append-only, hash-chained)."),
}
"""Every ``remiss`` command, in the order ``remiss --help`` lists them."""

LISTING = "remiss.listing_commands"
"""``click.Context.meta`` key set while the root help lists the commands."""


def load_command(name: str) -> click.Command:
    """The click command ``name`` (its module imported now), listed with its summary."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    holder = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
        group = typer.main.get_command(holder)
        assert isinstance(group, TyperGroup)
        command = group.commands[name]
    else:
        holder.command(name)(target)
        command = typer.main.get_command(holder)
    command.name = name
    command.short_help = entry.summary
    return name_values(command)


class LazyCommands(TyperGroup):
    """The root group: a command is imported when it is resolved to run (or to print its
    own help); the root help lists placeholders carrying the summaries."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if ctx.meta.get(LISTING):
            return TyperCommand(name=cmd_name, short_help=COMMANDS[cmd_name].summary)
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As Typer's, with its "Did you mean" drawn from :data:`COMMANDS` (Typer looks at
        the commands loaded so far, none here)."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            matches = get_close_matches(args[0], COMMANDS) if args else []
            if matches and "Did you mean" not in error.message:
                names = ", ".join(repr(m) for m in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {names}?"
            raise

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        ctx.meta[LISTING] = True
        name_values(self)
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta[LISTING] = False


def package_version() -> str:
    """The installed version of remiss (``0+unknown`` when run from an uninstalled tree).

    ``importlib.metadata`` is imported here, not at the top: it costs a quarter of the
    root help's start-up and only ``--version`` needs it (documented lazy loading)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("remiss")
    except PackageNotFoundError:
        return "0+unknown"


app = typer.Typer(
    name="remiss",
    cls=LazyCommands,
    help="Referral-queue simulation and allocation for a shared regional referral portal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def print_version(value: bool) -> None:
    if value:
        typer.echo(f"remiss {package_version()}")
        raise typer.Exit()


@app.callback()
def root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Referral-queue simulation and allocation for a shared regional referral portal."""


def main() -> None:
    """Console-script entry point (``remiss``)."""
    app()


__all__ = ["COMMANDS", "app", "main"]
