"""Benchmark: reading a 100,000-row CSV export and a 10,000-event ICS file.

Targets (issue 4): the CSV in under 3 s and under 300 MB peak on a 2-core machine.

Run: ``python benchmarks/bench_sources.py [--rows N] [--events N]``.  Each measurement runs in a fresh
child process, so its peak resident set size (``ru_maxrss``) belongs to that read alone; a second pass
under tracemalloc reports the peak of Python allocations.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from syncengine.config.model import (
    GoogleAccount,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
)
from syncengine.model import Appointment, Assignment
from syncengine.ports import SourceContext

ZONE = "America/Chicago"
HEADER = (
    "AppointmentID,Session Number,Client Name,Appointment Type,Status,Description,Date,Start Time,"
    "End Time,Length,Photographer,Assistant,Resources,Outside Location,Booked By,Notes"
)
USERS = ("Amanda P", "Ben Ortiz", "Cora Li", "Dee Ray", "Eli Stone")
TYPES = ("Portrait", "Family", "Wedding", "Headshot", "Newborn", "Mini session")
STATUSES = ("Confirmed", "Confirmed", "Confirmed", "Tentative", "Cancelled")


def studio(folder: Path) -> StudioConfig:
    users = tuple(
        UserConfig(
            id=name.split()[0].lower(), name=name, google=GoogleAccount(f"{name.split()[0]}@x.example")
        )
        for name in USERS
    )
    return StudioConfig(
        path=folder / "studio.yaml",
        studio=StudioSettings(name="Bench", timezone=ZONE, state=folder / "state.db"),
        sources=(),
        users=users,
    )


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(4)
    first = date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for i in range(rows):
            day = first + timedelta(days=rng.randrange(730))
            hour, minute = rng.randrange(8, 19), rng.choice((0, 15, 30, 45))
            length = rng.choice((30, 45, 60, 90, 120))
            start = f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"
            kind = rng.choice(TYPES)
            notes = '"Bring props, two outfits\r\nParking at the back"' if i % 7 == 0 else "Notes"
            out.write(
                f"{100000 + i},S-{i},Client {i % 5000},{kind},{rng.choice(STATUSES)},,"
                f"{day.month}/{day.day}/{day.year},{start},,{length},{rng.choice(USERS)},"
                f"{rng.choice(USERS) if i % 3 == 0 else ''},Studio A,,Front desk,{notes}\r\n"
            )


def make_ics(path: Path, events: int, config: StudioConfig) -> None:
    from adapters.ics import render_appointments

    zone = ZoneInfo(ZONE)
    rng = random.Random(5)
    items = []
    for i in range(events):
        start = datetime(2025, 1, 1, 9, tzinfo=zone) + timedelta(
            days=rng.randrange(700), hours=rng.randrange(9)
        )
        items.append(
            Appointment(
                uid=f"event-{i}",
                title=f"Session {i}",
                start=start,
                end=start + timedelta(hours=1),
                timezone=ZONE,
                location="Studio A",
                description="Two outfits\nParking at the back",
                type=rng.choice(TYPES),
                client=f"Client {i}",
                assigned=(Assignment("amanda", "photographer"),),
            )
        )
    path.write_bytes(render_appointments(items, config))


Figures = tuple[float, int, int, int]


def _read(kind: str, path: str, traced: bool, results: multiprocessing.Queue[Figures]) -> None:
    from adapters.csv import CsvSource
    from adapters.ics import IcsSource

    folder = Path(path).parent
    context = SourceContext(config=studio(folder), now=datetime(2025, 6, 1, tzinfo=UTC))
    cls = CsvSource if kind == "csv" else IcsSource
    source = cls(SourceConfig(id=kind, format=kind, path=Path(path), dialect="spectra"), context)
    if traced:
        tracemalloc.start()
    began = time.perf_counter()
    read = source.read()
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results.put((elapsed, peak, rss_kib, len(read.appointments)))


def measure(kind: str, path: Path, traced: bool) -> Figures:
    """(seconds, tracemalloc peak bytes, peak RSS KiB, appointments) of one read in a child process."""
    queue: multiprocessing.Queue[Figures] = multiprocessing.Queue()
    child = multiprocessing.Process(target=_read, args=(kind, str(path), traced, queue))
    child.start()
    result = queue.get()
    child.join()
    queue.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        csv_path, ics_path = base / "export.csv", base / "calendar.ics"
        make_csv(csv_path, args.rows)
        make_ics(ics_path, args.events, studio(base))
        for kind, path, count in (("csv", csv_path, args.rows), ("ics", ics_path, args.events)):
            elapsed, _, rss, found = measure(kind, path, traced=False)
            _, peak, _, _ = measure(kind, path, traced=True)
            size = path.stat().st_size / 1e6
            print(
                f"{kind}: {count:,} records ({size:.1f} MB file) read in {elapsed:.2f} s; "
                f"{found:,} appointments; peak RSS {rss / 1024:.0f} MB; "
                f"peak Python allocations {peak / 1e6:.0f} MB (tracemalloc)"
            )


if __name__ == "__main__":
    main()
