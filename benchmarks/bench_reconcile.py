"""Reconciler benchmarks: idle runs over large studios, and the request cost of pushing to Google.

Run: ``python benchmarks/bench_reconcile.py [--sizes 10000,100000] [--push 10000]``

1. Idle run (nothing to do) over N appointments, memory adapters, four users: CPU seconds of the
   run (``time.process_time``) and the process's peak memory (each size in its own process, so the
   figure covers the set-up as well: an upper bound).  Targets: < 0.5 s for 10,000, < 6 s for 100,000,
   < 500 MB.
2. Initial push of N appointments to one user against the project's Calendar service, run as its own
   process (`syncengine emulator serve`) so the CPU measured here is the client's alone.  Targets: at
   most ceil(N/50) batch requests plus the listing, < 0.5 ms of client CPU per appointment.
3. A run after 1% of the appointments changed: requests in proportion to the change.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.google.emulator.admin_client import admin_call
from adapters.memory.calendar import MemoryCalendarBackend
from adapters.memory.source import MemorySource
from syncengine.config.model import (
    Credentials,
    GoogleAccount,
    GoogleConfig,
    SafetyConfig,
    SourceConfig,
    StudioConfig,
    StudioSettings,
    UserConfig,
    UserSync,
    Window,
    WritebackConfig,
)
from syncengine.logs.base import LogBus
from syncengine.model import Appointment, Assignment
from syncengine.ports import SourceContext
from syncengine.reconcile.runner import SyncOptions, sync

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
USERS = ("amanda", "ben", "carol", "dana")


def appointments(count: int, users: tuple[str, ...]) -> list[Appointment]:
    out = []
    for n in range(count):
        start = NOW + timedelta(days=n % 300, hours=n % 9)
        out.append(
            Appointment(
                uid=f"A{n:06d}",
                title=f"Portrait session {n}",
                start=start,
                end=start + timedelta(hours=1),
                timezone="America/Chicago",
                location="Studio A",
                description=f"Notes for appointment {n}",
                type="Portrait",
                client=f"Client {n}",
                session=f"S-{n}",
                assigned=(Assignment(users[n % len(users)], "photographer"),),
            )
        )
    return out


def config_for(folder: Path, users: tuple[str, ...], google: GoogleConfig | None = None) -> StudioConfig:
    return StudioConfig(
        path=folder / "studio.yaml",
        studio=StudioSettings(name="Bench Studio", timezone="America/Chicago", state=folder / "state.db"),
        sources=(SourceConfig(id="appointments", format="memory", path=folder / "export"),),
        users=tuple(
            UserConfig(
                id=u,
                name=u.title(),
                google=GoogleAccount(account=f"{u}@bench.example"),
                sync=UserSync(window=Window(30, 365)),
            )
            for u in users
        ),
        writeback=WritebackConfig(mode="outbox", path=folder / "outbox"),
        google=google or GoogleConfig(),
        safety=SafetyConfig(max_delete_min=10**9, max_shrink_percent=100),
    )


def idle(count: int) -> dict[str, float]:
    """One size, in this process: set up, sync once, then measure an idle sync."""
    with tempfile.TemporaryDirectory() as tmp:
        config = config_for(Path(tmp), USERS)
        source = MemorySource(config.sources[0], SourceContext(config, NOW))
        for a in appointments(count, USERS):
            source.put(a)
        backend = MemoryCalendarBackend()
        first = time.process_time()
        sync(config, SyncOptions(force=True), bus=LogBus(), now=NOW, calendars=backend, sources=[source])
        setup = time.process_time() - first
        start = time.process_time()
        wall = time.perf_counter()
        report = sync(config, bus=LogBus(), now=NOW, calendars=backend, sources=[source])
        cpu = time.process_time() - start
        wall = time.perf_counter() - wall
        assert report.exit_code == 0 and report.plan.empty, "an idle run must plan nothing"
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # what the idle run itself allocates at its peak (a second idle run, traced: tracing is slow)
        tracemalloc.start()
        sync(config, bus=LogBus(), now=NOW, calendars=backend, sources=[source])
        run_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return {
            "n": count,
            "idle_cpu_s": cpu,
            "idle_wall_s": wall,
            "first_sync_cpu_s": setup,
            "peak_mb": peak,
            "run_peak_mb": run_peak,
        }


def push(count: int) -> dict[str, float]:
    script = shutil.which("syncengine") or str(Path(sys.executable).with_name("syncengine"))
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [script, "emulator", "serve", "--port", "0", "--token", "tok-a=amanda@bench.example"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            root = server.stdout.readline().strip()
            google = GoogleConfig(endpoint=root, credentials=Credentials(type="static_token", token="tok-a"))
            config = config_for(Path(tmp), ("amanda",), google)
            source = MemorySource(config.sources[0], SourceContext(config, NOW))
            items = appointments(count, ("amanda",))
            for a in items:
                source.put(a)
            admin_call(root, "counts/reset", {})
            start = time.process_time()
            report = sync(config, SyncOptions(force=True), bus=LogBus(), now=NOW, sources=[source])
            cpu = time.process_time() - start
            assert report.exit_code == 0, report.users
            counts = admin_call(root, "counts")
            created = report.users["amanda"].counts.get("create:google", 0)
            changed = max(1, count // 100)
            for a in items[:changed]:
                source.put(
                    a.evolve(
                        title=a.title + " (moved)",
                        start=a.start + timedelta(hours=1),
                        end=a.end + timedelta(hours=1),
                    )
                )
            admin_call(root, "counts/reset", {})
            again = sync(config, SyncOptions(force=True), bus=LogBus(), now=NOW, sources=[source])
            assert again.exit_code == 0, again.users
            after = admin_call(root, "counts")
        finally:
            server.terminate()
            server.communicate(timeout=30)
        return {
            "n": count,
            "created": created,
            "batch_requests": counts.get("batch", 0),
            "http_requests": counts.get("http", 0),
            "allowed_batches": math.ceil(count / 50),
            "client_cpu_s": cpu,
            "client_ms_per_appointment": 1000 * cpu / count,
            "changed": changed,
            "after_change_batch_requests": after.get("batch", 0),
            "after_change_http_requests": after.get("http", 0),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--push", type=int, default=10000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(idle(args.one)))
        return
    for size in (int(s) for s in args.sizes.split(",") if s):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout)
        print(
            f"idle run, {r['n']:>7,} appointments: {r['idle_cpu_s']:.3f} s CPU "
            f"({r['idle_wall_s']:.3f} s wall), "
            f"process peak {r['peak_mb']:.0f} MB (set-up included), the run itself allocates "
            f"{r['run_peak_mb']:.0f} MB at most (first sync {r['first_sync_cpu_s']:.1f} s CPU)"
        )
    if args.push:
        r = push(args.push)
        print(
            f"initial push of {r['n']:,}: {r['batch_requests']} batch requests "
            f"(allowed {r['allowed_batches']}), "
            f"{r['http_requests']} HTTP requests in all, {r['client_cpu_s']:.2f} s client CPU = "
            f"{r['client_ms_per_appointment']:.3f} ms per appointment"
        )
        print(
            f"after {r['changed']} changed (1%): {r['after_change_batch_requests']} batch requests, "
            f"{r['after_change_http_requests']} HTTP requests in all"
        )


if __name__ == "__main__":
    main()
