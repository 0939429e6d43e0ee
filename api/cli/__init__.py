"""The ``remiss`` command line: the root Typer app.

One module per command group, each importing only :mod:`api.cli.common` (and, for the
tables, :mod:`api.cli.terminal_tables`): :mod:`~api.cli.simulate`,
:mod:`~api.cli.target`, :mod:`~api.cli.calibrate`, :mod:`~api.cli.scenarios` (list,
validate, schema, table), :mod:`~api.cli.estimate`, :mod:`~api.cli.allocate`,
:mod:`~api.cli.serve` (serve, db, apikey) and :mod:`~api.cli.audit` (verify). This
module mounts them. The benchmarks are an app of their own, ``remiss-bench``
(:mod:`benchmarks.cli`).
"""

from __future__ import annotations

import typer

from api.cli import allocate, audit, calibrate, estimate, scenarios, serve, simulate, target

app = typer.Typer(
    name="remiss",
    help="Referral-queue simulation and allocation for a shared regional referral portal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("simulate")(simulate.simulate_cmd)
app.command("target")(target.target_command)
app.command("calibrate")(calibrate.calibrate_command)
app.add_typer(scenarios.app, name="scenarios")
app.add_typer(estimate.app, name="estimate")
app.add_typer(allocate.app, name="allocate")
app.add_typer(serve.db_app, name="db")
app.add_typer(serve.key_app, name="apikey")
app.add_typer(audit.app, name="audit")


def main() -> None:
    """Console-script entry point (``remiss``)."""
    app()


__all__ = ["app", "main"]
