"""The one place that turns errors into a message, advice and an exit code.

Exit codes (design contract): 0 done; 1 a run error; 2 bad usage or configuration; 3 conflicts left for
review; 4 a safety gate refused.  An expected error (:class:`SyncEngineError`) never prints a traceback;
an unexpected one does, with a line asking for a bug report, and exits 1.

Advice names commands as ``syncengine check -c FILE``.  While :func:`run_guarded` runs a command line, the
config file that command uses (its ``-c``/``--config`` value, else that option's default) takes the place
of ``FILE``, so the advice can be pasted as it is; ``FILE`` stays when no config file is known.
"""

from __future__ import annotations

import shlex
import sys
import traceback
from collections.abc import Sequence
from contextvars import ContextVar
from typing import TextIO

import click

from syncengine.errors import ConfigError, SyncEngineError
from syncengine.logs.base import redact

#: the command line :func:`run_guarded` is running (what :func:`report` reads the config file from)
_running: ContextVar[tuple[click.Command, tuple[str, ...]] | None] = ContextVar("_running", default=None)

_CONFIG_OPTS = ("-c", "--config")


def _config_option(command: click.Command) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and "--config" in param.opts:
            return param
    return None


def _last_value(args: Sequence[str], opts: Sequence[str]) -> str | None:
    """The value of the last of ``opts`` in ``args`` (``-c F``, ``-cF``, ``--config F``, ``--config=F``)."""
    found: str | None = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        for opt in opts:
            if arg == opt:
                found = args[index + 1] if index + 1 < len(args) else found
            elif opt.startswith("--") and arg.startswith(opt + "="):
                found = arg[len(opt) + 1:]
            elif not opt.startswith("--") and len(opt) == 2 and arg.startswith(opt) and len(arg) > 2 \
                    and not arg.startswith("--"):
                found = arg[2:]
    return found


def config_path_of(command: click.Command, args: Sequence[str]) -> str | None:
    """The config file the command line ``args`` of ``command`` (a group or a command) works on.

    The ``-c``/``--config`` value when given, else the default of the (sub)command's config option; None
    when the command has no such option or the command line names no command.
    """
    target: click.Command | None = command
    rest = list(args)
    if isinstance(command, click.Group):
        names = [i for i, arg in enumerate(rest) if not arg.startswith("-")]
        if not names:
            return None
        name = rest[names[0]]
        try:
            target = command.get_command(click.Context(command), name)
        except Exception:  # an unloadable command: scan for the usual option only
            target = None
        rest = rest[names[0] + 1:]
    option = _config_option(target) if target is not None else None
    if target is not None and option is None:
        return None
    given = _last_value(rest, [*option.opts, *option.secondary_opts] if option is not None else _CONFIG_OPTS)
    if given is not None:
        return given
    default = option.default if option is not None else None
    return None if default is None or callable(default) else str(default)


def with_config_path(text: str, config_path: str | None) -> str:
    """``text`` with ``-c FILE`` naming ``config_path`` (shell-quoted) when it is known."""
    if not config_path:
        return text
    return text.replace("-c FILE", f"-c {shlex.quote(config_path)}")


def report(error: SyncEngineError, stream: TextIO | None = None, *, config_path: str | None = None) -> int:
    """Print ``error`` for a person and return its exit code.

    ``config_path`` replaces ``FILE`` in the advice; by default it is the config file of the command line
    :func:`run_guarded` is running, when it names one.
    """
    out = stream or sys.stderr
    if config_path is None:
        running = _running.get()
        config_path = config_path_of(*running) if running is not None else None
    if isinstance(error, ConfigError):
        count = len(error.problems)
        print(f"error: the configuration has {count} problem{'s' if count != 1 else ''}:", file=out)
        for problem in error.problems:
            print(f"  {problem}", file=out)
    else:
        print(f"error: {redact(str(error))}", file=out)
    advice = with_config_path(error.advice(), config_path)
    if advice:
        print(f"  next: {advice}", file=out)
    return error.exit_code


def run_guarded(command: click.Command, args: list[str]) -> int:
    """Run a click command standalone-free, mapping every outcome to an exit code."""
    token = _running.set((command, tuple(args)))
    try:
        return _run(command, args)
    finally:
        _running.reset(token)


def _run(command: click.Command, args: list[str]) -> int:
    try:
        result = command.main(args=args, prog_name="syncengine", standalone_mode=False)
    except SyncEngineError as error:
        return report(error)
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.ClickException as bad_usage:
        bad_usage.show()
        return 2
    except click.Abort:
        print("aborted", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:
        print(redact(traceback.format_exc()), file=sys.stderr)
        print("error: an unexpected failure; please report it with the lines above", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0
