"""One user's calendar for one run: cheap reads, safe batched writes.

Reads (:meth:`GoogleCalendarSession.read`):

- **full** (no cursor): ``events.list`` with ``singleEvents=false``, ``maxResults=2500``, the window as
  ``timeMin``/``timeMax``, every page followed until one carries no ``nextPageToken`` (a short or even empty
  page does not mean the end).  Its ``nextSyncToken``, if the server offers one, is the new cursor.
- **incremental** (a cursor): the same listing with ``syncToken`` instead of a window (the API forbids
  both); cancelled tombstones become ``removed``.  A 410 means the token expired: a full read follows,
  reported with ``full=True`` so the core finds deletions made during the gap by comparing with its state.
  A delta that touches a recurring series (an exception, the master, or a deleted master) is also
  answered with a full read, because the occurrences in the window can only be recomputed from the whole
  series, and a full read lets the core see every occurrence of a deleted series go.

Writes (:meth:`GoogleCalendarSession.apply`) are :class:`~adapters.google.writes.WriteJob` state machines,
whose calls go out together in batches (:func:`~adapters.google.batch.run_calls`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import google.auth.credentials
from googleapiclient.errors import HttpError

from adapters.google.batch import Call, run_calls
from adapters.google.client import DEFAULT_TIMEOUT, CalendarClient, ThreadClients
from adapters.google.errors import error_reason, map_error
from adapters.google.mapping import UnreadableEvent, day_bounds, entry_from_event
from adapters.google.recurrence import expand_series
from adapters.google.retry import RequestBudget, RetryPolicy
from adapters.google.writes import WriteContext, WriteJob
from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import CalendarError, SyncEngineError
from syncengine.ports import CalendarEntry, CalendarRead, CalendarWrite, CalendarWriteResult

PAGE_SIZE = 2500
#: a guard against a server that hands out page tokens forever.
MAX_PAGES = 10_000
#: rounds of calls one apply may take (insert -> get -> update, and a few id generations).
MAX_ROUNDS = 24

Event = Mapping[str, Any]


class GoogleCalendarSession:
    """A :class:`syncengine.ports.CalendarSession` on one user's Google calendar."""

    def __init__(
        self,
        config: StudioConfig,
        user: UserConfig,
        root: str,
        credentials: google.auth.credentials.Credentials,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.user_id = user.id
        self.calendar_id = user.google.calendar
        self.account = user.google.account
        self.studio = config.studio.name
        self.studio_zone = config.studio.timezone
        self.batch_size = config.google.batch_size
        self.policy = policy or RetryPolicy()
        self.budget = RequestBudget(user.id, config.google.request_budget)
        self.root = root
        self._clients = ThreadClients(lambda: CalendarClient(root, credentials, timeout))
        self._known: dict[str, Event] = {}
        self._known_lock = threading.Lock()

    # --- plumbing ------------------------------------------------------------------------------------------

    @property
    def client(self) -> CalendarClient:
        """This thread's client."""
        return self._clients.get()

    def error(self, exc: BaseException, what: str) -> CalendarError:
        return map_error(self.user_id, exc, what, self.calendar_id)

    def call(self, make: Callable[[CalendarClient], Any], what: str) -> Any:
        """One API call with retries; failures become typed errors."""
        client = self.client
        try:
            return self.policy.call(self.budget, lambda: make(client).execute(num_retries=0))
        except SyncEngineError:
            raise
        except Exception as exc:
            raise self.error(exc, what) from exc

    def calendar(self) -> dict[str, Any]:
        """The calendar resource (``id``, ``summary``, ``timeZone``)."""
        cal = self.calendar_id
        result: dict[str, Any] = self.call(
            lambda c: c.service.calendars().get(calendarId=cal), "reading the calendar")
        return result

    def _remember(self, events: Sequence[Event]) -> None:
        with self._known_lock:
            for event in events:
                if event.get("id") and event.get("status") != "cancelled":
                    self._known[str(event["id"])] = event

    # --- reads ---------------------------------------------------------------------------------------------

    def _list(self, params: dict[str, Any]) -> tuple[list[Event], str | None, str | None]:
        """Every item of a listing, the final ``nextSyncToken`` and the calendar's zone."""
        client = self.client
        items: list[Event] = []
        time_zone: str | None = None
        page_token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            query = dict(params, pageToken=page_token) if page_token else dict(params)
            page: dict[str, Any] = self.policy.call(self.budget, _list_page(client, query))
            items.extend(page.get("items") or ())
            time_zone = page.get("timeZone") or time_zone
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, page.get("nextSyncToken"), time_zone
            if page_token in seen:
                raise CalendarError(self.user_id, "the calendar service repeated a page token while listing")
            seen.add(page_token)
        raise CalendarError(self.user_id, f"more than {MAX_PAGES} pages while listing events")

    def read(self, cursor: str | None, window_start: date, window_end: date) -> CalendarRead:
        spent = self.budget.used
        try:
            if cursor is not None:
                delta = self._read_delta(cursor)
                if delta is not None:
                    return _with_requests(delta, self.budget.used - spent)
            return _with_requests(self._read_full(window_start, window_end), self.budget.used - spent)
        except SyncEngineError:
            raise
        except Exception as exc:
            raise self.error(exc, "listing events") from exc

    def _base_params(self) -> dict[str, Any]:
        # The same non-paging parameters for full and incremental lists: a sync token is only valid for
        # the query that produced it.
        return {"calendarId": self.calendar_id, "maxResults": PAGE_SIZE, "singleEvents": False}

    def _read_full(self, window_start: date, window_end: date) -> CalendarRead:
        low, high = day_bounds(window_start, window_end, self.studio_zone)
        params = dict(self._base_params(), timeMin=low.isoformat(), timeMax=high.isoformat())
        items, token, time_zone = self._list(params)
        self._remember(items)
        masters: dict[str, Event] = {}
        exceptions: dict[str, list[Event]] = {}
        singles: list[Event] = []
        for item in items:
            if item.get("recurringEventId"):
                exceptions.setdefault(str(item["recurringEventId"]), []).append(item)
            elif item.get("recurrence") and item.get("status") != "cancelled":
                masters[str(item["id"])] = item
            elif item.get("status") != "cancelled":
                singles.append(item)
        entries: dict[str, CalendarEntry] = {}
        for item in singles:
            entry = self._entry(item)
            if entry is not None:
                entries[entry.event_id] = entry
        calendar_zone = time_zone or self.studio_zone
        for series_id, master in masters.items():
            try:
                occurrences = expand_series(
                    master, exceptions.pop(series_id, []), low, high, studio=self.studio,
                    studio_zone=self.studio_zone, calendar_zone=calendar_zone, user_id=self.user_id)
            except (ValueError, TypeError, UnreadableEvent):
                # A rule this reader cannot expand: show the first occurrence rather than nothing.
                entry = self._entry(master)
                occurrences = [entry] if entry is not None else []
            for entry in occurrences:
                entries[entry.event_id] = entry
        for series_id, orphans in exceptions.items():
            # Exceptions whose series lies outside the window (a moved occurrence) stand on their own.
            for item in orphans:
                if item.get("status") != "cancelled":
                    entry = self._entry(item, series_id=series_id)
                    if entry is not None:
                        entries[entry.event_id] = entry
        return CalendarRead(full=True, entries=tuple(entries.values()), cursor=token, time_zone=time_zone)

    def _read_delta(self, cursor: str) -> CalendarRead | None:
        """The changes since ``cursor``, or None when a full read must answer instead."""
        try:
            items, token, time_zone = self._list(dict(self._base_params(), syncToken=cursor))
        except HttpError as exc:
            if exc.resp.status == 410 or error_reason(exc) == "fullSyncRequired":
                return None
            raise
        if any(item.get("recurrence") or item.get("recurringEventId") for item in items):
            return None
        if self._deletes_a_series(items):
            return None
        self._remember(items)
        entries: dict[str, CalendarEntry] = {}
        removed: dict[str, None] = {}
        for item in items:
            eid = str(item.get("id", ""))
            if item.get("status") == "cancelled":
                removed[eid] = None
                entries.pop(eid, None)
                continue
            entry = self._entry(item)
            if entry is not None:
                entries[eid] = entry
                removed.pop(eid, None)
        return CalendarRead(full=False, entries=tuple(entries.values()), removed=tuple(removed),
                            cursor=token, time_zone=time_zone)

    def _deletes_a_series(self, items: Sequence[Event]) -> bool:
        """Whether a tombstone in a delta is a deleted series (whose occurrences are then all gone).

        A tombstone may carry only its id, so the deleted events are fetched (``get`` still returns a
        cancelled event with its details), batched; this costs nothing when nothing was deleted.
        """
        ids = [str(i["id"]) for i in items if i.get("status") == "cancelled" and i.get("id")
               and "_" not in str(i["id"])]  # instance ids (series_date) are never series themselves
        if not ids:
            return False
        cal = self.calendar_id
        calls = [Call(str(n), _getter(cal, eid)) for n, eid in enumerate(ids)]
        outcomes = run_calls(self.client, calls, self.batch_size, self.policy, self.budget)
        return any(o.ok and isinstance(o.response, dict) and o.response.get("recurrence")
                   for o in outcomes.values())

    def _entry(self, event: Event, series_id: str | None = None) -> CalendarEntry | None:
        try:
            return entry_from_event(event, self.studio, self.studio_zone, self.user_id, series_id=series_id)
        except (UnreadableEvent, ValueError, KeyError):
            return None

    # --- writes --------------------------------------------------------------------------------------------

    def apply(self, writes: Sequence[CalendarWrite]) -> list[CalendarWriteResult]:
        with self._known_lock:
            known = dict(self._known)
        ctx = WriteContext(self.studio, self.studio_zone, self.user_id, self.calendar_id, known, self.error)
        jobs = [WriteJob(i, w, ctx) for i, w in enumerate(writes)]
        client = self.client
        for _ in range(MAX_ROUNDS):
            active = [job for job in jobs if not job.done]
            if not active:
                break
            calls = [(job, job.next_call()) for job in active]
            try:
                outcomes = run_calls(client, [c for _, c in calls], self.batch_size, self.policy, self.budget)
            except SyncEngineError:
                raise
            except Exception as exc:
                raise self.error(exc, "writing events") from exc
            for job, call in calls:
                job.feed(outcomes[call.key])
            fatal = next((job.fatal for job in jobs if job.fatal is not None), None)
            if fatal is not None:
                raise fatal
        results: list[CalendarWriteResult] = []
        stored: list[Event] = []
        for job in jobs:
            if job.result is None:
                job.result = CalendarWriteResult(job.write, "failed", error=CalendarError(
                    self.user_id, f"event {job.write.event_id} did not settle after {MAX_ROUNDS} rounds"))
            if job.stored_event is not None:
                stored.append(job.stored_event)
            results.append(job.result)
        self._remember(stored)
        return results

    def close(self) -> None:
        self._clients.close()


def _getter(calendar_id: str, event_id: str) -> Callable[[CalendarClient], Any]:
    return lambda c: c.events.get(calendarId=calendar_id, eventId=event_id)


def _list_page(client: CalendarClient, query: dict[str, Any]) -> Callable[[], Any]:
    return lambda: client.events.list(**query).execute(num_retries=0)


def _with_requests(read: CalendarRead, requests: int) -> CalendarRead:
    return CalendarRead(full=read.full, entries=read.entries, removed=read.removed, cursor=read.cursor,
                        time_zone=read.time_zone, requests=requests)
