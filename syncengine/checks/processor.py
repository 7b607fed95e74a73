"""`syncengine check`: what `syncengine run` needs — its settings, the watched places, the run log.

- the processor settings make sense (enabled; an interval of at least a minute; a debounce shorter than
  the interval);
- every source can be watched: a drop folder exists (or can be created) and is writable, since synced
  drops move to ``processed/`` and unreadable ones to ``rejected/``; a single export's folder exists;
- whether a processor is running on this state file now (a warning only: `check` still works);
- the SQLite run log can be opened for writing.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing

from syncengine.checks.base import CheckResult
from syncengine.config.model import SourceConfig, StudioConfig
from syncengine.logs.sqlite import run_log_path
from syncengine.processor.lock import is_held, lock_path, read_holder


def checks(config: StudioConfig) -> Iterator[CheckResult]:
    yield _settings(config)
    if config.processor.watch:
        for source in config.sources:
            yield _watchable(source)
    yield _running(config)
    yield _run_log(config)


def _settings(config: StudioConfig) -> CheckResult:
    p = config.processor
    interval, debounce = p.interval.total_seconds(), p.debounce.total_seconds()
    detail = (f"interval {interval:g}s, debounce {debounce:g}s, "
              f"watching {'on' if p.watch else 'off'}")
    if not p.enabled:
        return CheckResult("processor", "warn", f"disabled ({detail}): `syncengine run` refuses to start",
                           "set processor.enabled: true to run the processor")
    if interval < 60:
        return CheckResult("processor", "warn", f"{detail}: polling Google more than once a minute uses "
                           "the request quota fast", "set processor.interval to 1m or more (5m is usual)")
    if debounce >= interval:
        return CheckResult("processor", "warn", f"{detail}: the debounce is not shorter than the interval",
                           "set processor.debounce to a few seconds")
    return CheckResult("processor", "ok", detail)


def _watchable(source: SourceConfig) -> CheckResult:
    name = f"watch {source.id}"
    if source.is_folder:
        folder = source.path
        if not folder.exists():
            parent = next((p for p in folder.parents if p.exists()), None)
            if parent is not None and os.access(parent, os.W_OK):
                return CheckResult(name, "ok", f"drop folder {folder} will be created at start")
            return CheckResult(name, "fail", f"drop folder {folder} does not exist and cannot be created",
                               f"create {folder}, or fix sources[{source.id}].path")
        if not os.access(folder, os.W_OK):
            return CheckResult(name, "fail", f"drop folder {folder} is not writable: synced files could "
                               "not move to processed/",
                               f"make {folder} writable for the processor's account")
        waiting = sum(1 for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
        return CheckResult(name, "ok", f"drop folder {folder} ({waiting} file(s) waiting)")
    if not source.path.parent.is_dir():
        return CheckResult(name, "fail", f"the folder of {source.path} does not exist",
                           f"create {source.path.parent}, or fix sources[{source.id}].path")
    return CheckResult(name, "ok", f"{source.path} (watched through its folder)")


def _running(config: StudioConfig) -> CheckResult:
    state = config.studio.state
    if is_held(state):
        holder = read_holder(lock_path(state))
        pid = holder.get("pid", "?")
        return CheckResult("processor running", "warn", f"a processor (pid {pid}) is running on {state}",
                           "fine for a service; stop it before running a second `syncengine run`")
    return CheckResult("processor running", "ok", "no processor is running on this state file")


def _run_log(config: StudioConfig) -> CheckResult:
    path = run_log_path(config)
    if not path.exists():
        # Not created by a check: `syncengine run` creates it; its folder must let it.
        folder = next((p for p in path.parents if p.exists()), path.parent)
        if os.access(folder, os.W_OK):
            return CheckResult("run log", "ok", f"{path} (created by the first `syncengine run`)")
        return CheckResult("run log", "fail", f"{path} cannot be created: {folder} is not writable",
                           "make the state folder writable, or set the sqlite sink's path")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=2.0)) as db:
            db.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        return CheckResult("run log", "fail", f"{path} cannot be opened: {exc}",
                           "move the file aside (a new run log is started), or set the sqlite sink's path")
    return CheckResult("run log", "ok", f"{path}")
