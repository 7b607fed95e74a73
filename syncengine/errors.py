"""The one error hierarchy of syncengine.

Every expected failure is a :class:`SyncEngineError`.  Errors carry data (paths, lines, user ids), not
pre-formatted advice; :meth:`SyncEngineError.advice` turns that data into the next step for a person, and
the CLI (``syncengine.cli.errors``) is the one place that prints it and picks the exit code.

::

    SyncEngineError
    ├── ConfigError            studio.yaml is wrong (every problem at once, each with file:line:col)   exit 2
    ├── UsageError             the command line is wrong                                              exit 2
    ├── StateError             the state file is from another version or another studio              exit 2
    ├── LockHeldError          another run holds the state file's lock                               exit 1
    ├── GateRefused            a safety gate refused the plan before anything was written            exit 4
    ├── ConflictsPending       `manual` conflicts wait for review                                     exit 3
    ├── SourceError            an export could not be read as a whole                                exit 1
    ├── WritebackError         the studio side could not be written                                  exit 1
    ├── CalendarError          the calendar service failed for one user                              exit 1
    │   ├── AuthError          credentials missing, expired or revoked
    │   ├── QuotaError         rate limit or request budget exhausted after retries
    │   ├── CalendarNotFound   the configured calendar does not exist for that account
    │   ├── PermissionDenied   the account may not read or write that calendar
    │   ├── PreconditionFailed the event changed since it was read (HTTP 412)
    │   └── TransientError     network trouble or 5xx that outlasted the retries
    └── EmailError             the SMTP server refused or could not be reached

Adapters wrap third-party exceptions at their boundary (``raise CalendarError(...) from exc``) so nothing
from a client library reaches a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SyncEngineError(Exception):
    """Base of every error syncengine raises on purpose."""

    exit_code = 1

    def advice(self) -> str:
        """The next step for a person, naming a command where one helps."""
        return ""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a configuration file, at a 1-based line and column."""

    file: Path
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(SyncEngineError):
    """The configuration file has one or more problems; all are reported at once."""

    exit_code = 2

    def __init__(self, problems: tuple[ConfigProblem, ...] | list[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def advice(self) -> str:
        return "fix the lines above, then run `syncengine check -c FILE`"


class UsageError(SyncEngineError):
    """The command line asks for something that cannot be done."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def advice(self) -> str:
        return self.hint or "see `syncengine --help`"


class StateError(SyncEngineError):
    """The state file cannot be used: another schema version, another studio, or unreadable."""

    exit_code = 2

    def __init__(self, path: Path, reason: str, hint: str = "") -> None:
        self.path = path
        self.reason = reason
        self.hint = hint
        super().__init__(f"{path}: {reason}")

    def advice(self) -> str:
        return self.hint or "move the state file aside and run `syncengine reconcile --resync --dry-run`"


class LockHeldError(SyncEngineError):
    """Another syncengine run holds the lock on this state file."""

    def __init__(self, path: Path, holder: str = "") -> None:
        self.path = path
        self.holder = holder
        detail = f" (held by {holder})" if holder else ""
        super().__init__(f"another syncengine run is using {path}{detail}")

    def advice(self) -> str:
        return "wait for it to finish, or stop the processor (`syncengine status` shows it)"


class GateRefused(SyncEngineError):
    """A safety gate refused the plan; nothing was written."""

    exit_code = 4

    def __init__(self, gate: str, user: str | None, detail: str, override: str = "--force") -> None:
        self.gate = gate
        self.user = user
        self.detail = detail
        self.override = override
        who = f" for user {user}" if user else ""
        super().__init__(f"safety gate '{gate}' refused the plan{who}: {detail}")

    def advice(self) -> str:
        return (
            "review it with `syncengine reconcile --dry-run`; "
            f"if it is really intended, run again with {self.override}"
        )


class ConflictsPending(SyncEngineError):
    """Conflicts under the `manual` policy wait for a person."""

    exit_code = 3

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(f"{count} conflict(s) wait for review")

    def advice(self) -> str:
        return (
            "list them with `syncengine conflicts`, "
            "then `syncengine conflicts resolve UID --take studio|google`"
        )


class SourceError(SyncEngineError):
    """An export file could not be read as a whole; none of its appointments count as deleted."""

    def __init__(self, path: Path, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.column = column
        where = str(path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {reason}")

    def advice(self) -> str:
        return "export the file again from the studio software, then run `syncengine reconcile --dry-run`"


class WritebackError(SyncEngineError):
    """Changes for the studio could not be written."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def advice(self) -> str:
        return "check that the writeback folder exists and is writable, then run `syncengine reconcile`"


class CalendarError(SyncEngineError):
    """The calendar service failed for one user; other users still sync."""

    def __init__(self, user: str, reason: str, status: int | None = None) -> None:
        self.user = user
        self.reason = reason
        self.status = status
        super().__init__(f"user {user}: {reason}")

    def advice(self) -> str:
        return "run `syncengine check -c FILE` to see what is wrong"


class AuthError(CalendarError):
    def advice(self) -> str:
        return f"run `syncengine auth login {self.user} -c FILE`"


class QuotaError(CalendarError):
    def advice(self) -> str:
        return "the calendar service is limiting requests; the next scheduled run will continue"


class CalendarNotFound(CalendarError):
    def advice(self) -> str:
        return f"check users[{self.user}].google.calendar in the config, then run `syncengine check -c FILE`"


class PermissionDenied(CalendarError):
    def advice(self) -> str:
        return f"the account of user {self.user} may not write that calendar; share it or sign in again"


class PreconditionFailed(CalendarError):
    def __init__(self, user: str, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(user, f"event {event_id} changed since it was read", status=412)

    def advice(self) -> str:
        return "the next run reads the new version and plans again"


class TransientError(CalendarError):
    def advice(self) -> str:
        return "a temporary failure; the next run retries (or run `syncengine reconcile` now)"


class EmailError(SyncEngineError):
    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host = host
        self.port = port
        self.reason = reason
        super().__init__(f"email via {host}:{port}: {reason}")

    def advice(self) -> str:
        return "check the email.smtp settings, then run `syncengine check -c FILE`"
