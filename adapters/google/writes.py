"""One planned write, as a small state machine of API calls.

Each :class:`WriteJob` offers its next call (:meth:`WriteJob.next_call`) and takes the answer
(:meth:`WriteJob.feed`); the session sends the next calls of all jobs together, in batches, until every
job is done.  The rules:

- **create**: ``events.insert`` with the deterministic id.  A 409 means that id exists or existed (a
  retried insert that had landed, a lost state file, a deleted event whose id stays reserved): get it.
  If it is ours (same ``syncengine_uid`` and studio) it is adopted — updated to the wanted body when it
  differs or is cancelled (which restores it).  Otherwise the next id generation is tried, up to
  :data:`MAX_GENERATIONS`: never a duplicate, never a foreign event overwritten.
- **update**: ``events.update`` with ``If-Match`` of the etag the plan saw.  On 412 the event is read:
  if it already holds the wanted content (our own retried update had landed) that is success, otherwise
  ``precondition-failed`` (someone changed it meanwhile: the next plan sees the new version).
- **delete**: ``events.delete`` with ``If-Match``; 404 and 410 mean already gone, which is success.

Every call carries ``sendUpdates="none"``: a sync must never email a studio's clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from googleapiclient.errors import HttpError

from adapters.google.batch import Call, Outcome
from adapters.google.client import CalendarClient
from adapters.google.mapping import UID_KEY, entry_from_event, event_body, is_ours, merge_body
from syncengine.errors import (
    AuthError,
    CalendarError,
    CalendarNotFound,
    PermissionDenied,
    PreconditionFailed,
    QuotaError,
)
from syncengine.ids import derive_event_id
from syncengine.model import CALENDAR_FIELDS
from syncengine.ports import CalendarEntry, CalendarWrite, CalendarWriteResult, WriteStatus

#: how many id generations a create tries before giving up on an appointment (each needs a foreign or
#: unrestorable event to sit on the previous id, so this is never reached in practice).
MAX_GENERATIONS = 8


@dataclass(frozen=True)
class WriteContext:
    """What every job needs to know about the calendar it writes."""

    studio: str
    studio_zone: str
    user_id: str
    calendar_id: str
    #: raw events last seen by etag, so an update keeps fields the studio does not own.
    known: Mapping[str, Mapping[str, Any]]
    #: turns a failure into the session's typed error (fatal ones end the whole apply).
    classify: Callable[[BaseException, str], CalendarError]


def _status(exc: BaseException | None) -> int | None:
    return exc.resp.status if isinstance(exc, HttpError) else None


class WriteJob:
    """The calls for one :class:`CalendarWrite`."""

    def __init__(self, index: int, write: CalendarWrite, ctx: WriteContext) -> None:
        self.index = index
        self.write = write
        self.ctx = ctx
        self.result: CalendarWriteResult | None = None
        self.fatal: CalendarError | None = None
        self.stored_event: Mapping[str, Any] | None = None
        self._step = 0
        self._state = {"create": "insert", "update": "update", "delete": "delete"}[write.op]
        self._ids = self._candidate_ids()
        self._gen = 0
        self._etag: str | None = write.etag
        self._stored: Mapping[str, Any] | None = None
        if write.op == "update" and write.etag:
            stored = ctx.known.get(write.event_id)
            if stored is not None and stored.get("etag") == write.etag:
                self._stored = stored

    @property
    def done(self) -> bool:
        return self.result is not None or self.fatal is not None

    # --- the calls ---------------------------------------------------------------------------------------

    def _candidate_ids(self) -> list[str]:
        ctx, write = self.ctx, self.write
        generations = [derive_event_id(ctx.studio, ctx.user_id, write.uid, g) for g in range(MAX_GENERATIONS)]
        if write.event_id in generations:
            return generations[generations.index(write.event_id):]
        return [write.event_id, *generations]

    def _wanted(self, event_id: str | None) -> dict[str, Any]:
        assert self.write.appointment is not None, f"{self.write.op} of {self.write.uid} needs an appointment"
        return event_body(self.write.appointment, self.ctx.studio, self.ctx.studio_zone, event_id)

    def next_call(self) -> Call:
        self._step += 1
        key = f"{self.index}-{self._step}"
        cal = self.ctx.calendar_id
        if self._state == "insert":
            body = self._wanted(self._ids[self._gen])
            return Call(key, lambda c: c.events.insert(calendarId=cal, body=body, sendUpdates="none"))
        if self._state in ("get", "verify"):
            eid = self._current_id()
            return Call(key, lambda c: c.events.get(calendarId=cal, eventId=eid))
        if self._state == "update":
            eid = self._current_id()
            base = self._stored
            wanted = self._wanted(None)
            body = merge_body(base, wanted) if base is not None else wanted
            return Call(key, _with_if_match(
                lambda c: c.events.update(calendarId=cal, eventId=eid, body=body, sendUpdates="none"),
                self._etag))
        eid = self.write.event_id
        return Call(key, _with_if_match(
            lambda c: c.events.delete(calendarId=cal, eventId=eid, sendUpdates="none"), self._etag))

    def _current_id(self) -> str:
        return self._ids[self._gen] if self.write.op == "create" else self.write.event_id

    # --- the answers -------------------------------------------------------------------------------------

    def feed(self, outcome: Outcome) -> None:
        state = self._state
        if outcome.ok:
            if state == "get":
                self._adopt_or_move(outcome.response)
            elif state == "verify":
                self._verify(outcome.response)
            elif state == "delete":
                self._finish("ok", self.write.event_id)
            else:
                self._finish_with(outcome.response)
            return
        status = _status(outcome.error)
        assert outcome.error is not None
        if state == "insert" and status == 409:
            self._state = "get"
        elif state == "get" and status in (404, 410):
            self._next_generation()
        elif state == "update" and status == 412 and self.write.op == "create":
            self._state = "get"  # changed between our get and update: look again
        elif state == "update" and status == 412:
            self._state = "verify"
        elif state == "verify" or status == 412:
            changed = PreconditionFailed(self.ctx.user_id, self.write.event_id)
            self._finish("precondition-failed", self.write.event_id, changed)
        elif state == "delete" and status in (404, 410):
            self._finish("ok", self.write.event_id)
        elif state == "update" and status in (404, 410):
            # The event itself is gone (the calendar answered the other calls): the next read shows it.
            gone = CalendarError(self.ctx.user_id, f"event {self._current_id()} no longer exists", status)
            self._finish("failed", self.write.event_id, gone)
        else:
            what = {"insert": "creating", "get": "reading", "update": "updating", "delete": "deleting"}[state]
            error = self._error(outcome.error, f"{what} an event")
            # Signed out, over quota, or the calendar itself gone or read-only: every other write would
            # fail the same way, so the whole apply stops.  Anything else fails this write only.
            calendar_wide = isinstance(error, AuthError | QuotaError | CalendarNotFound) or (
                isinstance(error, PermissionDenied) and state == "insert")
            if calendar_wide:
                self.fatal = error
                return
            self._finish("failed", None, error)

    def _error(self, exc: BaseException, what: str) -> CalendarError:
        return self.ctx.classify(exc, what)

    def _adopt_or_move(self, event: Mapping[str, Any]) -> None:
        private = (event.get("extendedProperties") or {}).get("private") or {}
        if is_ours(event, self.ctx.studio) and private.get(UID_KEY) == self.write.uid:
            mine = self._entry(event)
            assert self.write.appointment is not None
            same = mine.appointment.fingerprint(CALENDAR_FIELDS) == self.write.appointment.fingerprint(
                CALENDAR_FIELDS)
            if same and event.get("status") != "cancelled":
                self._finish_with(event)
                return
            self._stored, self._etag, self._state = event, str(event.get("etag") or "") or None, "update"
            return
        self._next_generation()

    def _verify(self, event: Mapping[str, Any]) -> None:
        """After a 412 on an update: our own earlier attempt may have landed (its answer lost on the way
        back, then the retry's etag no longer matched).  If the event already holds what we wanted, that
        is success; otherwise someone else changed it, and the plan must look again."""
        assert self.write.appointment is not None
        mine = self._entry(event)
        wanted = self.write.appointment.fingerprint(CALENDAR_FIELDS)
        if mine.ours and event.get("status") != "cancelled" and mine.appointment.fingerprint(
                CALENDAR_FIELDS) == wanted:
            self._finish_with(event)
            return
        changed = PreconditionFailed(self.ctx.user_id, self.write.event_id)
        self._finish("precondition-failed", self.write.event_id, changed)

    def _next_generation(self) -> None:
        self._gen += 1
        if self._gen >= len(self._ids):
            reason = f"no free event id for appointment {self.write.uid} after {len(self._ids)} tries"
            self._finish("failed", None, CalendarError(self.ctx.user_id, reason))
            return
        self._state = "insert"

    def _entry(self, event: Mapping[str, Any]) -> CalendarEntry:
        ctx = self.ctx
        return entry_from_event(event, ctx.studio, ctx.studio_zone, ctx.user_id)

    def _finish_with(self, event: Mapping[str, Any]) -> None:
        self.stored_event = event
        self._finish("ok", str(event.get("id") or self._current_id()), entry=self._entry(event))

    def _finish(self, status: WriteStatus, event_id: str | None, error: Exception | None = None,
                entry: CalendarEntry | None = None) -> None:
        self.result = CalendarWriteResult(self.write, status, event_id=event_id, entry=entry, error=error)


def _with_if_match(
    make: Callable[[CalendarClient], Any], etag: str | None
) -> Callable[[CalendarClient], Any]:
    def build(client: CalendarClient) -> Any:
        request = make(client)
        if etag:
            request.headers["If-Match"] = etag
        return request
    return build
