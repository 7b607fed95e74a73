"""`syncengine run`, `syncengine status` and `syncengine log`: the processor and what it has done.

::

    syncengine run -c studio.yaml                      # watch + schedule until SIGTERM / Ctrl-C
    syncengine status -c studio.yaml [--json]          # per user: last run, outcome, counts, what is next
    syncengine log -c studio.yaml [--since 2h|ISO] [--level warning] [--user ID] [--run ID] [--json]

Every real run, ``run``'s and ``reconcile``'s alike, is kept in the SQLite run log (``<state
folder>/runlog.db``) even when ``logging.sinks`` does not list one (see :mod:`syncengine.logs.registry`), so
``syncengine log`` shows them all; dry runs are not logged.  All times are shown in UTC.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from syncengine.config.loader import load_config
from syncengine.config.model import StudioConfig
from syncengine.errors import UsageError
from syncengine.logs.base import LEVELS, LogEvent
from syncengine.logs.registry import build_bus
from syncengine.logs.sqlite import LogQuery, read_log, run_log_path
from syncengine.processor import Processor
from syncengine.processor.status import UserStatus, gather_status

_config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default="studio.yaml", show_default=True, help="The studio configuration file.",
)


@click.command()
@_config_option
def run(config_path: Path) -> int:
    """Run the processor: sync at start, on every drop and every processor.interval, until stopped."""
    config = load_config(config_path)
    if not config.processor.enabled:
        raise UsageError("the processor is disabled in this config (processor.enabled: false)",
                         hint="set processor.enabled: true, or run `syncengine reconcile -c FILE` by hand")

    def reload() -> StudioConfig:
        return load_config(config_path)

    bus = build_bus(config)  # with the run log, whether or not logging.sinks lists one
    try:
        return Processor(config, bus=bus, reload=reload).run_forever()
    finally:
        bus.close()


# --- status ------------------------------------------------------------------------------------------------


def _age(value: timedelta | None) -> str:
    if value is None:
        return "-"
    hours = value.total_seconds() / 3600
    return f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f}d"


def _when(value: datetime | None) -> str:
    return "never" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def render_user(row: UserStatus) -> list[str]:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(row.counts.items()) if v) or "no changes"
    lines = [f"{row.user}{'' if row.enabled else ' (disabled)'}  calendar {row.calendar}",
             f"  last run   {_when(row.last_run)}  {row.outcome or '-'}  ({counts})",
             f"  conflicts  {row.pending_conflicts} pending", f"  sign-in    token age {_age(row.token_age)}",
             f"  next run   {row.next_run}"]
    if row.error:
        lines.insert(2, f"  error      {row.error}")
    return lines


@click.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def status(config_path: Path, as_json: bool) -> int:
    """Show, per user: last run, outcome, counts, pending conflicts, calendar, token age, next run."""
    config = load_config(config_path)
    report = gather_status(config)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        return 0
    if report.processor_running:
        click.echo(f"processor: running (pid {report.processor_pid}), last update {report.updated or '-'}")
    else:
        click.echo("processor: not running")
    for row in report.users:
        click.echo("")
        for line in render_user(row):
            click.echo(line)
    return 0


# --- log ---------------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, config: StudioConfig, now: datetime | None = None) -> datetime:
    """``2h`` / ``30m`` / ``1d`` before now, or an ISO date/time (without a zone: the studio's zone)."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since {text!r} is neither a duration nor a date",
                         hint="use e.g. --since 2h, --since 1d or --since 2026-03-08T14:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(config.studio.timezone))
    return moment


def render_event(event: LogEvent) -> str:
    parts = [event.time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ"), f"{event.level.upper():<7}"]
    if event.user:
        parts.append(f"[{event.user}]")
    text = f"{event.origin}: {event.message}" if event.origin else event.message
    parts.append(text)
    if event.run_id:
        parts.append(f"(run {event.run_id})")
    return " ".join(parts)


@click.command()
@_config_option
@click.option("--since", help="Only events since a duration ago (2h, 30m, 1d) or an ISO date/time.")
@click.option("--level", type=click.Choice(LEVELS), help="Only events at this level or above.")
@click.option("--user", "user_id", help="Only events about this user.")
@click.option("--run", "run_id", help="Only the events of this run.")
@click.option("--limit", type=click.IntRange(min=1), default=500, show_default=True,
              help="At most this many (the newest).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def log(config_path: Path, since: str | None, level: str | None, user_id: str | None, run_id: str | None,
        limit: int, as_json: bool) -> int:
    """Show the run log (the processor's "Control Center log"), oldest first."""
    config = load_config(config_path)
    if user_id is not None and user_id not in {u.id for u in config.users}:
        known = ", ".join(u.id for u in config.users)
        raise UsageError(f"no user {user_id!r} in this config", hint=f"the users are: {known}")
    path = run_log_path(config)
    query = LogQuery(since=parse_since(since, config) if since else None, level=level, user=user_id,
                     run_id=run_id, limit=limit)
    events = read_log(path, query)
    if not events and not path.exists():
        click.echo(f"no run log yet at {path}: every `syncengine run` and `syncengine reconcile` "
                   "(but not a --dry-run) writes it", err=True)
    for event in events:
        click.echo(json.dumps(event.as_dict(), sort_keys=True) if as_json else render_event(event))
    return 0
