"""A plainer calendar server than Google: its own ids, short pages, no sync tokens, no batch endpoint.

The server here is a few dozen lines of http.server on 127.0.0.1 speaking just enough of Calendar v3;
the adapter must work against it with ``google.batch_size: 0``.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from google_support import STUDIO, appointment, create

from syncengine.config.model import (
    Credentials,
    GoogleAccount,
    GoogleConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)


class PlainCalendar:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, object]] = {}
        self.ids = (f"srv{n:05d}" for n in itertools.count())
        self.requests: list[str] = []


def _handler(cal: PlainCalendar) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _reply(self, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            cal.requests.append(f"GET {url.path}")
            query = urllib.parse.parse_qs(url.query)
            items = sorted(cal.events.values(), key=lambda e: str(e["id"]))
            # Pages of two, whatever was asked; no nextSyncToken at the end.
            start = int(query.get("pageToken", ["0"])[0])
            page: dict[str, object] = {"kind": "calendar#events", "timeZone": "UTC",
                                       "items": items[start:start + 2]}
            if start + 2 < len(items):
                page["nextPageToken"] = str(start + 2)
            self._reply(page)

        def do_POST(self) -> None:
            cal.requests.append(f"POST {urllib.parse.urlsplit(self.path).path}")
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body["id"] = next(cal.ids)  # the client's id is ignored
            body["etag"] = '"1"'
            cal.events[body["id"]] = body
            self._reply(body)

    return Handler


@pytest.fixture
def plain() -> Iterator[tuple[PlainCalendar, str]]:
    cal = PlainCalendar()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cal))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield cal, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_server_ids_short_pages_and_no_sync_token(tmp_path, plain, backend_for) -> None:  # type: ignore[no-untyped-def]
    cal, root = plain
    user = UserConfig("amanda", "Amanda", GoogleAccount("amanda@studio.example"))
    config = StudioConfig(
        path=tmp_path / "studio.yaml", studio=StudioSettings(STUDIO, "America/Chicago", tmp_path / "s.db"),
        sources=(), users=(user,),
        google=GoogleConfig(endpoint=root, batch_size=0,  # no trailing slash: normalised
                            credentials=Credentials(type="static_token", token="t")),
    )
    session = backend_for(config).open(user)
    appts = [appointment(f"P-{i}", day=1 + i) for i in range(5)]
    results = session.apply([create("amanda", a) for a in appts])
    assert [r.event_id for r in results] == [f"srv{n:05d}" for n in range(5)]
    assert all(r.entry is not None and r.entry.event_id == r.event_id for r in results)
    read = session.read(None, date(2026, 5, 1), date(2026, 7, 31))
    assert read.full and read.cursor is None
    assert sorted(e.appointment.uid for e in read.entries) == [a.uid for a in appts]
    assert cal.requests.count("GET /calendar/v3/calendars/primary/events") == 3
    assert not any("batch" in r for r in cal.requests)
