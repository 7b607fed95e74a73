"""Google adapter cost: HTTP requests per push and per quiet read, and client CPU time per event.

Runs the embedded Calendar service in a child process (so this process's CPU time is the client's alone),
pushes N new appointments through ``GoogleCalendarSession.apply``, then reads the calendar fully and
incrementally, and prints what the service counted::

    python benchmarks/bench_google.py            # N = 10,000, batches of 50
    python benchmarks/bench_google.py -n 2000 --batch-size 0

Expected: a push costs ceil(N / batch_size) batch requests; a full read costs ceil(N / 2500) list pages;
a read with nothing changed costs one list request per calendar.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.google import GoogleCalendarBackend
from adapters.google.emulator.admin_client import admin_call
from syncengine.config.model import (
    Credentials,
    GoogleAccount,
    GoogleConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.ids import derive_event_id
from syncengine.model import Appointment
from syncengine.ports import CalendarWrite

SERVE = """
import sys
from adapters.google.emulator import CalendarService
with CalendarService() as svc:
    print(svc.root_url, flush=True)
    sys.stdin.read()
"""
STUDIO, ZONE, ACCOUNT = "Bench Studio", "America/Chicago", "bench@studio.example"


def appointments(n: int) -> list[Appointment]:
    base = datetime(2026, 6, 1, 8, tzinfo=ZoneInfo(ZONE))
    out = []
    for i in range(n):
        start = base + timedelta(days=i % 300, minutes=15 * (i // 300))
        out.append(Appointment(uid=f"BENCH-{i:06d}", title=f"Session {i}", start=start,
                               end=start + timedelta(minutes=45), timezone=ZONE, client=f"Client {i}",
                               type="Portrait", session=f"S-{i}", description="Bring the props."))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args()

    child = subprocess.Popen([sys.executable, "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert child.stdout is not None
        root = child.stdout.readline().strip()
        token = str(admin_call(root, "accounts", {"email": ACCOUNT, "timeZone": ZONE})["token"])
        with tempfile.TemporaryDirectory() as tmp:
            config = StudioConfig(
                path=Path(tmp) / "studio.yaml",
                studio=StudioSettings(STUDIO, ZONE, Path(tmp) / "state.db"),
                sources=(),
                users=(UserConfig("bench", "Bench", GoogleAccount(ACCOUNT)),),
                google=GoogleConfig(endpoint=root, credentials=Credentials(type="static_token", token=token),
                                    batch_size=args.batch_size, request_budget=1_000_000),
            )
            run(config, root, args.n, args.batch_size)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()


def run(config: StudioConfig, root: str, n: int, batch_size: int) -> None:
    writes = [CalendarWrite("create", a.uid, derive_event_id(STUDIO, "bench", a.uid), appointment=a)
              for a in appointments(n)]
    backend = GoogleCalendarBackend(config)
    try:
        session = backend.open(config.users[0])
        admin_call(root, "counts/reset", {})
        cpu, wall = time.process_time(), time.perf_counter()
        results = session.apply(writes)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        push = admin_call(root, "counts")
        assert all(r.status == "ok" for r in results), "every create must succeed"

        admin_call(root, "counts/reset", {})
        read_cpu = time.process_time()
        full = session.read(None, date(2026, 5, 1), date(2027, 6, 30))
        read_cpu = time.process_time() - read_cpu
        listing = admin_call(root, "counts")
        assert len(full.entries) == n and full.cursor

        admin_call(root, "counts/reset", {})
        quiet = session.read(full.cursor, date(2026, 5, 1), date(2027, 6, 30))
        idle = admin_call(root, "counts")
        assert not quiet.full and not quiet.entries
    finally:
        backend.close()

    expected = math.ceil(n / batch_size) if batch_size > 0 else n
    print(f"push of N={n:,} new events (batch_size={batch_size}):")
    print(f"  HTTP requests            {push.get('http', 0):>8,}   (expected {expected:,})")
    print(f"  batch requests           {push.get('batch', 0):>8,}")
    print(f"  events.insert calls      {push.get('events.insert', 0):>8,}")
    print(f"  sendUpdates=none         {push.get('sendUpdates:none', 0):>8,}")
    print(f"  wall time                {wall:>8.2f} s")
    print(f"  client CPU per event     {1000 * cpu / n:>8.3f} ms")
    pages = math.ceil(n / 2500)
    print(f"full read: {listing.get('http', 0)} list requests (pages of <= 2500; expected {pages}), "
          f"client CPU per event {1000 * read_cpu / n:.3f} ms")
    print(f"read with nothing changed: {idle.get('http', 0)} request(s) for 1 calendar (expected 1)")


if __name__ == "__main__":
    main()
