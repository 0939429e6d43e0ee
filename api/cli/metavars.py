"""What the help writes for an option's value: a name, never Typer's ``<bool>``,
``<str>`` or ``<list[str]>``.

Typer labels a value by its Python type. :func:`name_values` gives every parameter of
a command (and of its sub-commands) that has no ``metavar`` of its own one from
:data:`VALUE_NAMES` (by parameter name), else from its type: a flag, ``--help``
included, shows none; a choice its choices (``sv|en``); a number ``N`` or ``NUMBER``
(the range Typer adds stays); a path ``PATH``; an argument its name (``SCENARIO``)
and no type beside it (:class:`NamedArgument`).
A repeatable option says so in its help. ``tests/api/test_cli_help.py`` checks every
command's help for a leftover ``<…>``.
"""

from __future__ import annotations

from typing import Any, Final

from typer import _click as click
from typer.core import TyperArgument

HELP_NAMES: Final = ["-h", "--help"]
"""The help option's names (the root app's ``context_settings``)."""

VALUE_NAMES: Final[dict[str, str]] = {
    "policy": "POLICY",
    "set_": "PATH=VALUE",
    "units": "UNIT",
    "kpi": "KPI",
    "stage": "STAGE",
    "goal": "VALUE",
    "seed": "SEED",
    "horizon_days": "DAYS",
    "warmup_days": "DAYS",
    "json_path": "FILE.json",
    "report": "FILE",
    "observed": "FILE.csv",
    "dask_address": "tcp://HOST:PORT",
    "database_url": "URL",
    "host": "HOST",
    "port": "PORT",
    "time_limit": "SECONDS",
    "criterion": "mean|ci",
    "executor": "serial|process|dask",
    "name": "NAME",
}
"""Value names by parameter name, where the type alone says too little."""


TYPE_NAMES: Final[dict[str, str]] = {
    "bool": "",
    "str": "TEXT",
    "int": "N",
    "int range": "N",
    "float": "NUMBER",
    "float range": "NUMBER",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIR",
}
"""Value names by Typer's type label (``<int range>`` → ``N``); a choice keeps its
choices, a list is named by its element."""


def value_name(param: Any, ctx: click.Context) -> str:
    """The name the help writes for ``param``'s value ("" for a flag)."""
    if param.param_type_name == "argument":
        return str(param.name).upper()
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    if str(param.name) in VALUE_NAMES:
        return VALUE_NAMES[str(param.name)]
    label = str(param.display_type(ctx)).strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    return TYPE_NAMES.get(label, label)


class NamedArgument(TyperArgument):
    """An argument the help names (``SCENARIO``) without Typer's ``<str>`` beside it."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None


def name_values(command: click.Command) -> click.Command:
    """Give every parameter of ``command`` and its sub-commands without a ``metavar``
    one (:func:`value_name`), the help option too; returns ``command``."""
    ctx = click.Context(command, help_option_names=HELP_NAMES)
    helper = command.get_help_option(ctx)  # made once and kept by the command
    for param in [*command.params, *([helper] if helper is not None else [])]:
        if param.metavar is None:
            param.metavar = value_name(param, ctx)
        if type(param) is TyperArgument:
            param.__class__ = NamedArgument  # same object, its type column left empty
    for sub in getattr(command, "commands", {}).values():
        name_values(sub)
    return command
