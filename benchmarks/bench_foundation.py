"""Foundation figures: loading a large studio.yaml, and fingerprinting many appointments.

    python benchmarks/bench_foundation.py [--users 500] [--appointments 100000]

Prints wall time per step (and the rate).  The fingerprint rate bounds how fast any sync can diff a big
export: every appointment is fingerprinted once per replica per run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncengine.config.loader import load_config
from syncengine.model import Appointment, Assignment


def big_config(folder: Path, users: int) -> Path:
    lines = [
        "version: 1",
        "studio: {name: Benchmark Studio, timezone: America/Chicago}",
        "sources:",
        "  - {id: appointments, format: csv, path: exports/appointments.csv, dialect: spectra}",
        "users:",
    ]
    for index in range(users):
        lines.append(f"  - id: user{index}")
        lines.append(f"    name: Photographer {index}")
        lines.append(f"    aliases: [P{index}, Shooter {index}]")
        lines.append(f"    google: {{account: user{index}@studio.example}}")
        lines.append("    sync: {direction: two-way, window: {past_days: 30, future_days: 365}}")
    lines.append("resources:")
    lines += [f"  - {{id: room-{i}, name: Room {i}, kind: room}}" for i in range(users)]
    lines.append("logging: {sinks: [{type: console}, {type: jsonl, path: logs/sync.jsonl}]}")
    path = folder / "studio.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def appointments(count: int) -> list[Appointment]:
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    return [
        Appointment(
            uid=str(100_000 + i), title=f"Session {i}", start=start + timedelta(minutes=30 * i),
            end=start + timedelta(minutes=30 * i + 60), timezone="America/Chicago", location="Studio A",
            description=f"Notes for {i}\r\nsecond line", type="Portrait", client=f"Client {i}",
            session=f"S-{i}", assigned=(Assignment(f"user{i % 7}", "photographer"),),
            resources=("Studio A",), extra=(("Booked By", "Front Desk"),),
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--appointments", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = big_config(Path(tmp), args.users)
        began = time.perf_counter()
        config = load_config(path)
        elapsed = time.perf_counter() - began
    print(f"load_config: {args.users} users + {args.users} resources in {elapsed * 1000:.0f} ms")
    assert len(config.users) == args.users

    began = time.perf_counter()
    items = appointments(args.appointments)
    built = time.perf_counter() - began
    began = time.perf_counter()
    prints = {a.fingerprint() for a in items}
    hashed = time.perf_counter() - began
    assert len(prints) == args.appointments
    print(f"Appointment(): {args.appointments} built in {built:.2f} s "
          f"({args.appointments / built:,.0f}/s)")
    print(f"fingerprint(): {args.appointments} in {hashed:.2f} s ({args.appointments / hashed:,.0f}/s)")


if __name__ == "__main__":
    main()
