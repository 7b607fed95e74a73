"""Processor latency: from a file dropped into a watched folder to the change visible in the calendar.

A studio of N appointments (default 10,000, spread over four users) is pushed once; then `syncengine run`
runs in a child process against a Calendar service in this process (as Google would be: always up), and
the studio drops small exports that reschedule one appointment each.  For each drop the script measures
the time from the drop (an atomic rename into the folder) to the rescheduled event being visible on the
calendar, and reports it beyond the debounce (target: under 3 s)::

    python benchmarks/bench_processor.py                 # N = 10,000, debounce 1s, 5 drops
    python benchmarks/bench_processor.py -n 2000 --drops 3 --debounce 2s

Figures printed: the initial push (setup, not the target), then per drop the total latency, the latency
beyond the debounce, and the processor's own run time (from its run log), and the median.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from adapters.google.emulator import CalendarService
from syncengine.config.loader import load_config
from syncengine.ids import derive_event_id
from syncengine.logs.sqlite import read_log
from syncengine.processor.status_file import read_status
from syncengine.reconcile.runner import SyncOptions, sync

HEADER = ("AppointmentID,Session Number,Client Name,Appointment Type,Status,Description,Date,Start Time,"
          "End Time,Length,Photographer,Assistant,Resources,Outside Location,Booked By,Notes")
USERS = ("Amanda P", "Marcus Reed", "Jen Ortiz", "Dana Whitfield")
STUDIO = "Bench Studio"


def row(i: int, hour: int) -> str:
    day = date.today() + timedelta(days=1 + i % 360)
    stamp = f"{day.month}/{day.day}/{day.year}"
    start = f"{hour % 12 or 12}:{(i % 4) * 15:02d} {'AM' if hour < 12 else 'PM'}"
    return (f"{i},S-{i},Client {i},Portrait,Confirmed,Session {i},{stamp},{start},,45,"
            f"{USERS[i % len(USERS)]},,Studio A,,Front Desk,Notes for {i}")


def export(rows: list[str]) -> str:
    return "\r\n".join([HEADER, *rows]) + "\r\n"


def drop(folder: Path, name: str, text: str) -> float:
    """Write ``name`` the way exporters do (temp file, then rename); returns the moment it appeared."""
    temp = folder / f"{name}.tmp"
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, folder / name)
    return time.monotonic()


def config_text(root_url: str, debounce: str) -> str:
    users = "\n".join(
        f"  - id: u{n}\n    name: {name}\n    google: {{account: u{n}@bench.example,"
        f" credentials: {{type: static_token, token: bench-token-{n}}}}}"
        for n, name in enumerate(USERS))
    return f"""\
version: 1
studio: {{name: {STUDIO}, timezone: America/Chicago, state: state/state.db}}
sources:
  - {{id: drops, format: csv, path: drops, dialect: spectra}}
users:
{users}
google:
  endpoint: {root_url}
processor: {{interval: 1h, debounce: {debounce}}}
logging:
  sinks:
    - {{type: console, level: warning}}
"""


def wait(condition, timeout: float, poll: float = 0.01) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="appointments in the studio")
    parser.add_argument("--drops", type=int, default=5, help="measured drops")
    parser.add_argument("--debounce", default="1s", help="processor.debounce")
    args = parser.parse_args()
    debounce = float(args.debounce.rstrip("s"))

    with tempfile.TemporaryDirectory(prefix="bench-processor-") as tmp, CalendarService() as service:
        folder = Path(tmp)
        (folder / "drops").mkdir()
        for n in range(len(USERS)):
            service.add_account(f"u{n}@bench.example", f"bench-token-{n}", time_zone="America/Chicago")
        config_path = folder / "studio.yaml"
        config_path.write_text(config_text(service.root_url, args.debounce), encoding="utf-8")
        config = load_config(config_path)

        full = export([row(i, 9) for i in range(args.n)])
        (folder / "drops" / "full.csv").write_text(full, encoding="utf-8")
        began = time.perf_counter()
        report = sync(config, SyncOptions(trigger="setup"))
        setup = time.perf_counter() - began
        (folder / "drops" / "full.csv").unlink()
        events = sum(len(service.events(f"u{n}@bench.example")) for n in range(len(USERS)))
        print(f"setup: pushed {events} events for {args.n} appointments in {setup:.1f} s "
              f"(exit {report.exit_code})")

        state = folder / "state" / "state.db"
        status = state.with_name("state.db.processor.json")
        child = subprocess.Popen([sys.executable, "-m", "syncengine", "run", "-c", str(config_path)],
                                 cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait(lambda: read_status(status).get("runs", 0) >= 1, 300):
                print("the processor's start run did not finish")
                return 1
            latencies: list[float] = []
            for k in range(args.drops):
                uid = str((k * 7919) % args.n)
                user = int(uid) % len(USERS)
                account = f"u{user}@bench.example"
                event_id = derive_event_id(STUDIO, f"u{user}", uid)
                hour = 13 + k % 5  # a new start time, different on every drop
                runs_before = read_status(status).get("runs", 0)
                dropped = drop(folder / "drops", f"change-{k}.csv", export([row(int(uid), hour)]))

                def visible(account: str = account, event_id: str = event_id, hour: int = hour) -> bool:
                    with service.store.lock:
                        found = service.store.event(account, event_id)
                    start = found.body().get("start", {}).get("dateTime", "") if found else ""
                    return f"T{hour:02d}:" in start

                if not wait(visible, 120):
                    print(f"drop {k}: the change never became visible")
                    return 1
                latency = time.monotonic() - dropped
                latencies.append(latency)
                wait(lambda runs_before=runs_before: read_status(status).get("runs", 0) > runs_before, 30)
                log = read_log(state.with_name("runlog.db"))
                ends = [e for e in log if e.kind in ("run-start", "run-end")]
                took = (ends[-1].time - ends[-2].time).total_seconds() if len(ends) >= 2 else float("nan")
                print(f"drop {k}: visible after {latency:.2f} s = debounce {debounce:.2f} s "
                      f"+ {latency - debounce:.2f} s (the run itself: {took:.2f} s)")
            beyond = [x - debounce for x in latencies]
            print(f"median latency beyond the debounce: {statistics.median(beyond):.2f} s "
                  f"(max {max(beyond):.2f} s; target < 3 s) over {len(beyond)} drops, "
                  f"{args.n} appointments")
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                code = child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                code = child.wait()
            print(f"processor stopped with exit code {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
