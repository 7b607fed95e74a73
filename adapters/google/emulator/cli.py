"""``syncengine emulator``: run the embedded Calendar service, or look at a calendar it holds.

``serve`` prints the root URL on the first line of its output (the API is below ``calendar/v3/``) and
runs until SIGTERM or SIGINT, then exits 0; every request was committed when it was answered, so
nothing is lost.  ``events`` reads a data folder directly (the service may be running on it) and prints
an account's events as a table, or exports them as ICS.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from icalendar import Calendar, Event

from adapters.google.emulator.server import CalendarService
from syncengine.errors import UsageError


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left or not right:
            raise UsageError(f"{option} expects LEFT=RIGHT, not {value!r}",
                             hint=f"e.g. {option} tok123=a@b.c")
        out.append((left, right))
    return out


@click.group("emulator")
def emulator() -> None:
    """The embedded Google Calendar service (used by `google.endpoint: embedded` and by tests)."""


@emulator.command("serve")
@click.option("--port", type=int, default=8765, show_default=True, help="TCP port (0: any free port).")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the store; without it the calendars live in memory only.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--token", "tokens", multiple=True, metavar="T=ACCOUNT",
              help="A bearer token and the account (email) it stands for; repeatable.")
@click.option("--time-zone", "zones", multiple=True, metavar="ACCOUNT=ZONE",
              help="Time zone of a new account's primary calendar (default UTC); repeatable.")
@click.option("--trust-embedded", is_flag=True,
              help="Accept `embedded:<email>` tokens, creating the account on first use (loopback only).")
def serve(port: int, data_dir: Path | None, host: str, tokens: tuple[str, ...], zones: tuple[str, ...],
          trust_embedded: bool) -> int:
    """Serve the Calendar v3 API until SIGTERM or SIGINT."""
    zone_of = dict(_pairs(zones, "--time-zone"))
    accounts = _pairs(tokens, "--token")
    stop = threading.Event()
    service = CalendarService(data_dir, host=host, port=port, trust_embedded=trust_embedded)
    try:
        for token, account in accounts:
            service.add_account(account, token, zone_of.get(account, "UTC"))
        service.start()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        click.echo(service.root_url)
        sys.stdout.flush()
        where = str(data_dir) if data_dir else "memory (nothing is kept after exit)"
        click.echo(f"calendar API at {service.root_url}calendar/v3/, data in {where}", err=True)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        service.stop()
    return 0


def _when(edt: dict[str, Any] | None) -> str:
    if not edt:
        return ""
    return str(edt.get("date") or edt.get("dateTime") or "")


def _ics_time(edt: dict[str, Any]) -> date | datetime:
    if "date" in edt:
        return date.fromisoformat(edt["date"])
    moment = datetime.fromisoformat(edt["dateTime"])
    if edt.get("timeZone"):
        moment = moment.astimezone(ZoneInfo(edt["timeZone"]))
    return moment


def to_ics(items: list[dict[str, Any]], account: str) -> bytes:
    """The events as an iCalendar document (one VEVENT each, recurrence lines kept)."""
    calendar = Calendar()
    calendar.add("prodid", "-//syncengine//embedded calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", account)
    for item in items:
        event = Event()
        event.add("uid", item.get("iCalUID") or item["id"])
        event.add("summary", item.get("summary", ""))
        if item.get("start"):
            event.add("dtstart", _ics_time(item["start"]))
        if item.get("end"):
            event.add("dtend", _ics_time(item["end"]))
        for name in ("location", "description"):
            if item.get(name):
                event.add(name, item[name])
        event.add("status", str(item.get("status", "confirmed")).upper())
        event.add("sequence", int(item.get("sequence", 0)))
        if item.get("updated"):
            event.add("last-modified", datetime.fromisoformat(item["updated"].replace("Z", "+00:00")))
        lines = [str(line) for line in item.get("recurrence") or []]
        if lines:
            # let icalendar read the RRULE/EXDATE/RDATE lines, then carry them over as they are
            parsed = Event.from_ical("BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n")
            for name, value in parsed.property_items(recursive=False):
                if name not in ("BEGIN", "END"):
                    event.add(name, value, encode=False)
        calendar.add_component(event)
    return bytes(calendar.to_ical())


@emulator.command("events")
@click.argument("account")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              required=True, help="The service's data folder.")
@click.option("--calendar", default="primary", show_default=True)
@click.option("--ics", "as_ics", is_flag=True, help="Export as iCalendar instead of a table.")
@click.option("--show-deleted", is_flag=True, help="Include deleted (cancelled) events.")
def events(account: str, data_dir: Path, calendar: str, as_ics: bool, show_deleted: bool) -> int:
    """List the events of ACCOUNT's calendar, or export them as ICS."""
    service = CalendarService(data_dir)
    try:
        items = service.events(account, calendar, show_deleted=show_deleted)
    finally:
        service.stop()
    if as_ics:
        sys.stdout.buffer.write(to_ics(items, account))
        sys.stdout.flush()
        return 0
    rows = [(i["id"], i.get("status", ""), _when(i.get("start")), _when(i.get("end")), i.get("summary", ""))
            for i in items]
    header = ("ID", "STATUS", "START", "END", "SUMMARY")
    widths = [max(len(str(r[c])) for r in [header, *rows]) for c in range(4)]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    click.echo(f"{len(rows)} event(s)", err=True)
    return 0
