"""`syncengine check`: validate the environment a config needs, one result per check.

Every module of this package (besides ``base``) that defines ``checks(config) -> Iterable[CheckResult]``
contributes its checks; ``config`` (the core checks) runs first, the others in name order.  The calendar
side comes from the calendar backend itself: the class registered as ``google`` in the
``syncengine.calendars`` entry point group may offer ``checks(config)`` as a class or static method
(Google reachable, calendars found, calendar zone vs studio zone).  A check that raises a
:class:`SyncEngineError` becomes a failed result, so one broken check never hides the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator

from syncengine import plugins
from syncengine.checks.base import CheckResult
from syncengine.config.model import StudioConfig
from syncengine.errors import SyncEngineError

CheckFunction = Callable[[StudioConfig], Iterable[CheckResult]]
CALENDAR_BACKEND = "google"


def check_modules() -> list[str]:
    """The modules of this package that may hold checks, ``config`` first."""
    found = sorted(info.name for info in pkgutil.iter_modules(__path__) if info.name != "base")
    return sorted(found, key=lambda name: name != "config")


def run_checks(config: StudioConfig) -> list[CheckResult]:
    """Every check's results, in order: the core, the other modules, then the calendar backend."""
    results: list[CheckResult] = []
    for name in check_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        function = getattr(module, "checks", None)
        if callable(function):
            results.extend(_guarded(name, function, config))
    results.extend(_calendar_checks(config))
    return results


def _calendar_checks(config: StudioConfig) -> Iterator[CheckResult]:
    try:
        backend = plugins.load(plugins.CALENDARS, CALENDAR_BACKEND)
    except (plugins.PluginNotFound, ImportError, AttributeError) as exc:
        yield CheckResult(
            "calendar backend", "fail", f"'{CALENDAR_BACKEND}' could not be loaded: {exc}",
            "reinstall syncengine: pip install -e .",
        )
        return
    function = getattr(backend, "checks", None)
    if callable(function):
        yield from _guarded(CALENDAR_BACKEND, function, config)


def _guarded(name: str, function: CheckFunction, config: StudioConfig) -> Iterator[CheckResult]:
    """Run one ``checks`` function; a SyncEngineError (even mid-way) becomes one failed result."""
    try:
        yield from function(config)
    except SyncEngineError as exc:
        yield CheckResult(name, "fail", str(exc), exc.advice())


__all__ = ["CheckResult", "check_modules", "run_checks"]
