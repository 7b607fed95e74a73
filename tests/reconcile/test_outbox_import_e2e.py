"""End to end: an event made on Google reaches the studio once, and importing it settles it.

The studio's export can hold less than a merged record (a user the calendar only "assigns" comes back
from the export as the photographer; a multi-day all-day event as a Length in days).  The outbox must
send such a change once, and the export that later shows it must plan nothing, on either side.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import httplib2
from googleapiclient.discovery import build
from test_cli_e2e import run, soon, studio  # noqa: F401  (the `studio` fixture)

from adapters.google import GoogleCalendarBackend
from syncengine.config.loader import load_config


class _Bearer:
    """An httplib2-like object that adds the embedded service's bearer token to every request."""

    def __init__(self, token: str) -> None:
        self.http = httplib2.Http()
        self.token = token

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kw: Any) -> Any:
        headers = {**(headers or {}), "authorization": f"Bearer {self.token}"}
        return self.http.request(uri, method, body=body, headers=headers, **kw)


def _insert_by_hand(config: Path, bodies: list[dict[str, Any]]) -> None:
    loaded = load_config(config)
    with GoogleCalendarBackend(loaded) as backend:
        http = _Bearer("embedded:amanda@e2e.example")
        client = build("calendar", "v3", http=http, static_discovery=True,
                       client_options={"api_endpoint": backend.root_url + "calendar/v3/"})
        for body in bodies:
            client.events().insert(calendarId="primary", body=body).execute()
        http.http.close()


def _import_outbox(config: Path) -> int:
    """Do what the studio software does: take the outbox rows (without Action) into the export."""
    (outbox,) = (config.parent / "imports" / "from-google").glob("from-google-*.csv")
    rows = list(csv.reader(io.StringIO(outbox.read_text(encoding="utf-8-sig"))))[1:]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(r[:-1] for r in rows)
    with (config.parent / "exports" / "appointments.csv").open("a", encoding="utf-8") as export:
        export.write(buf.getvalue())
    return len(rows)


def test_a_google_made_event_is_sent_once_and_settles_when_imported(studio, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    config = studio([])
    day = soon(10)
    _insert_by_hand(config, [
        {"summary": "Workshop", "start": {"date": day.isoformat()},
         "end": {"date": (day + timedelta(days=3)).isoformat()}},
        {"summary": "Vendor coffee", "description": "bring samples",
         "start": {"dateTime": f"{day.isoformat()}T09:00:00-06:00"},
         "end": {"dateTime": f"{day.isoformat()}T09:30:00-06:00"}},
    ])
    code, out = run(capsys, "reconcile", "-c", str(config))
    assert code == 0 and out.count("+ create studio google-") == 2

    code, out = run(capsys, "reconcile", "-c", str(config), "--dry-run")
    assert code == 0 and "studio 0/0/0" in out, out  # sent once, not again

    assert _import_outbox(config) == 2
    code, out = run(capsys, "reconcile", "-c", str(config), "--dry-run")
    assert code == 0 and "google 0/0/0" in out and "studio 0/0/0" in out, out
