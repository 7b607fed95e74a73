"""Throughput of the embedded Calendar service through the real google-api-python-client.

Measures, on a store in a temporary folder (WAL, as `google.endpoint: embedded` runs it):

1. inserting 10,000 events through 200 batch requests of 50 calls (target: well under 10 s);
2. a full list of those 10,000 events in 4 pages of 2,500 (target: under 2 s);
3. an incremental list (syncToken) after 50 more changes.

Run:  python benchmarks/bench_emulator.py [--events N] [--memory]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from adapters.google.emulator import CalendarService

ACCOUNT = "bench@studio.example"


def _event(n: int) -> dict[str, Any]:
    day, hour = 1 + n % 28, 8 + n % 10
    return {
        "id": f"bench{n:08d}",
        "summary": f"Session {n}",
        "description": "Client: Lee family\n-- studio --\ntype: portrait",
        "location": "Studio A",
        "start": {"dateTime": f"2026-03-{day:02d}T{hour:02d}:00:00-06:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": f"2026-03-{day:02d}T{hour:02d}:45:00-06:00", "timeZone": "America/Chicago"},
        "extendedProperties": {"private": {"syncengine_uid": f"A-{n}", "syncengine_studio": "bench"}},
    }


def run(count: int, data_dir: Path | None) -> None:
    with CalendarService(data_dir) as service:
        token = service.add_account(ACCOUNT, time_zone="America/Chicago")
        client = build("calendar", "v3", credentials=Credentials(token), static_discovery=True,
                       client_options={"api_endpoint": service.root_url + "calendar/v3/"})
        failures: list[Exception] = []

        def callback(_id: str, _response: Any, exception: Exception | None) -> None:
            if exception is not None:
                failures.append(exception)

        # one Resource for all calls: client.events() rebuilds every method (~5 ms) each time it is called
        events = client.events()
        started = time.perf_counter()
        batches = 0
        for first in range(0, count, 50):
            batch = BatchHttpRequest(callback=callback, batch_uri=service.root_url + "batch/calendar/v3")
            for n in range(first, min(count, first + 50)):
                batch.add(events.insert(calendarId="primary", body=_event(n), sendUpdates="none"))
            batch.execute()
            batches += 1
        insert_seconds = time.perf_counter() - started
        assert not failures, failures[:3]

        started = time.perf_counter()
        items, pages, page_token = 0, 0, None
        while True:
            page = events.list(calendarId="primary", maxResults=2500, pageToken=page_token).execute()
            items += len(page["items"])
            pages += 1
            page_token = page.get("nextPageToken")
            if page_token is None:
                sync_token = page["nextSyncToken"]
                break
        list_seconds = time.perf_counter() - started
        assert items == count, (items, count)

        for n in range(50):
            events.patch(calendarId="primary", eventId=f"bench{n * 7 % count:08d}",
                                  body={"summary": f"moved {n}"}, sendUpdates="none").execute()
        started = time.perf_counter()
        delta = events.list(calendarId="primary", syncToken=sync_token, maxResults=2500).execute()
        delta_seconds = time.perf_counter() - started
        client.close()

    store = "memory" if data_dir is None else "SQLite file (WAL)"
    print(f"store: {store}; events: {count}")
    print(f"insert: {count} events in {batches} batch requests: {insert_seconds:.2f} s "
          f"({count / insert_seconds:,.0f} events/s)   target < 10 s")
    print(f"full list: {items} events in {pages} pages: {list_seconds:.2f} s   target < 2 s")
    print(f"incremental list: {len(delta['items'])} changed events: {delta_seconds * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--memory", action="store_true", help="keep the store in memory")
    args = parser.parse_args()
    if args.memory:
        run(args.events, None)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(args.events, Path(folder))


if __name__ == "__main__":
    main()
