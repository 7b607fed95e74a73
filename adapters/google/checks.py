"""What `syncengine check` learns about Google: reachable, each calendar found and writable, its zone.

A calendar whose zone differs from the studio's is only a warning: every timed event is written with
an explicit ``timeZone`` (the studio's) and read back as an instant, so appointments stay at the right
time whichever zone the calendar is set to; only how Google displays them differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httplib2

from syncengine.checks.base import CheckResult
from syncengine.errors import SyncEngineError

if TYPE_CHECKING:
    from adapters.google.backend import GoogleCalendarBackend
    from adapters.google.session import GoogleCalendarSession

_WRITERS = frozenset({"writer", "owner"})


def reachable(root: str, timeout: float = 10.0) -> CheckResult:
    """Any HTTP answer from the calendar API counts: even a 401 proves the service is there."""
    http = httplib2.Http(timeout=timeout)
    try:
        response, _ = http.request(root + "calendar/v3/colors", "GET")
    except (OSError, httplib2.HttpLib2Error) as exc:
        return CheckResult("google: reachable", "fail", f"{root} did not answer ({type(exc).__name__})",
                           "check google.endpoint and the network, then run `syncengine check` again")
    finally:
        http.close()
    return CheckResult("google: reachable", "ok", f"{root} answered (HTTP {response.status})")


def _calendar_checks(session: GoogleCalendarSession, studio_zone: str) -> Iterator[CheckResult]:
    who = f"google: user {session.user_id}"
    try:
        calendar = session.calendar()
    except SyncEngineError as exc:
        yield CheckResult(f"{who} calendar", "fail", str(exc), exc.advice())
        return
    yield CheckResult(f"{who} calendar", "ok",
                      f"{session.calendar_id} found ({calendar.get('summary') or calendar.get('id')})")
    cal = session.calendar_id
    try:
        entry = session.call(lambda c: c.service.calendarList().get(calendarId=cal),
                             "reading the calendar list")
    except SyncEngineError as exc:
        yield CheckResult(f"{who} writable", "warn", f"access could not be confirmed: {exc}",
                          "make sure the account may edit this calendar")
    else:
        role = str(entry.get("accessRole") or "unknown")
        if role in _WRITERS:
            yield CheckResult(f"{who} writable", "ok", f"access role {role}")
        else:
            yield CheckResult(f"{who} writable", "fail", f"access role {role}: events cannot be written",
                              f"share the calendar with {session.account} with permission to make changes")
    zone = calendar.get("timeZone")
    if zone and zone != studio_zone:
        yield CheckResult(
            f"{who} time zone", "warn",
            f"the calendar's zone is {zone}, the studio's is {studio_zone}; appointments stay correct either "
            "way, because every event carries an explicit timeZone (only Google's display differs)",
            f"set the calendar's zone to {studio_zone} in Google Calendar if the display matters")
    else:
        yield CheckResult(f"{who} time zone", "ok", f"{zone or studio_zone}")


def google_checks(backend: GoogleCalendarBackend) -> Iterator[CheckResult]:
    """Every Google check for the enabled users; closes ``backend`` when done."""
    config = backend.config
    try:
        try:
            root = backend.root_url
        except SyncEngineError as exc:
            yield CheckResult("google: reachable", "fail", str(exc), exc.advice())
            return
        result = reachable(root)
        yield result
        if not result.ok:
            return
        for user in config.enabled_users:
            try:
                session = backend.open(user)
            except SyncEngineError as exc:
                yield CheckResult(f"google: user {user.id} credentials", "fail", str(exc), exc.advice())
                continue
            try:
                yield from _calendar_checks(session, config.studio.timezone)
            finally:
                session.close()
    finally:
        backend.close()
