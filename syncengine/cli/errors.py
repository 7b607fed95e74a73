"""The one place that turns errors into a message, advice and an exit code.

Exit codes (design contract): 0 done; 1 a run error; 2 bad usage or configuration; 3 conflicts left for
review; 4 a safety gate refused.  An expected error (:class:`SyncEngineError`) never prints a traceback;
an unexpected one does, with a line asking for a bug report, and exits 1.
"""

from __future__ import annotations

import sys
import traceback
from typing import TextIO

import click

from syncengine.errors import ConfigError, SyncEngineError
from syncengine.logs.base import redact


def report(error: SyncEngineError, stream: TextIO | None = None) -> int:
    """Print ``error`` for a person and return its exit code."""
    out = stream or sys.stderr
    if isinstance(error, ConfigError):
        count = len(error.problems)
        print(f"error: the configuration has {count} problem{'s' if count != 1 else ''}:", file=out)
        for problem in error.problems:
            print(f"  {problem}", file=out)
    else:
        print(f"error: {redact(str(error))}", file=out)
    advice = error.advice()
    if advice:
        print(f"  next: {advice}", file=out)
    return error.exit_code


def run_guarded(command: click.Command, args: list[str]) -> int:
    """Run a click command standalone-free, mapping every outcome to an exit code."""
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
