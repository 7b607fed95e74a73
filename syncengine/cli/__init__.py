"""The `syncengine` command line: parse, call, print.

Commands live one module each (check, reconcile, conflicts, run, status, log); adapters contribute their
own (``emulator``, ``auth``) through the ``syncengine.commands`` entry point group.  No sync logic lives in
a command body: each builds the config, calls a function that returns data, and renders it.  Every
expected error reaches :func:`syncengine.cli.errors.report`, the one place that turns it into advice and
an exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module

import click

from syncengine import plugins
from syncengine.cli.errors import run_guarded

_CORE_COMMANDS = {
    "check": "syncengine.cli.check:check",
    "reconcile": "syncengine.cli.reconcile:reconcile",
    "conflicts": "syncengine.cli.conflicts:conflicts",
    "run": "syncengine.cli.processor:run",
    "status": "syncengine.cli.processor:status",
    "log": "syncengine.cli.processor:log",
}


class _LazyGroup(click.Group):
    """Imports a command's module only when that command runs (start-up stays fast)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_CORE_COMMANDS, *plugins.names(plugins.COMMANDS)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _CORE_COMMANDS:
            module, _, attr = _CORE_COMMANDS[cmd_name].partition(":")
            command = getattr(import_module(module), attr)
        elif cmd_name in plugins.names(plugins.COMMANDS):
            command = plugins.load(plugins.COMMANDS, cmd_name)
        else:
            return None
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="syncengine")
def cli() -> None:
    """Keep a studio's appointment exports and each user's Google Calendar in step."""


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: runs the CLI and returns the exit code."""
    code = run_guarded(cli, list(argv) if argv is not None else sys.argv[1:])
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
