"""``events.list`` and ``events.instances``: full lists, incremental lists, stable pages.

A listing is taken at a *snapshot*: the value of the store's change counter when its first page was
asked for.  Items are ordered by a key (the event id, plus the instance suffix for expanded series, or a
start time / update time first when ``orderBy`` asks for it), and a page token remembers the snapshot
and the key of the last item returned.  So:

- a full list shows the events that were live at the snapshot, each exactly once, even when writes land
  between pages (an event written meanwhile shows its newest content; one created meanwhile is left for
  the next incremental list, one deleted meanwhile appears as cancelled);
- an incremental list (``syncToken``) shows every event whose change number lies between the token and
  the snapshot, deletions as cancelled tombstones (minimal unless ``showDeleted=true``);
- ``nextSyncToken`` (the snapshot) comes only on the last page, so every write after the snapshot is
  reported by the next incremental list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from adapters.google.emulator.errors import ApiError, bad_request, full_sync_required
from adapters.google.emulator.recurrence import expand
from adapters.google.emulator.resource import parse_datetime, rfc3339_ms, tombstone
from adapters.google.emulator.store import EventRow, Store, dumps
from adapters.google.emulator.tokens import SYNC_BOUND_PARAMS, PageToken, SyncToken, fingerprint

DEFAULT_PAGE = 250
MAX_PAGE = 2500
FORBIDDEN_WITH_SYNC = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty",
                       "timeMin", "timeMax", "updatedMin")
_CHUNK = 1000

Params = Mapping[str, Sequence[str]]


def _one(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _flag(params: Params, name: str) -> bool:
    return (_one(params, name) or "false").lower() == "true"


def page_size(params: Params) -> int:
    raw = _one(params, "maxResults")
    if raw is None:
        return DEFAULT_PAGE
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad_request(f"Invalid value '{raw}'. Values must match the following regular expression: "
                          "'-?\\d+'", location="maxResults") from exc
    if value < 1:
        raise bad_request("Invalid maxResults value.", location="maxResults")
    return min(value, MAX_PAGE)


@dataclass(frozen=True)
class Query:
    """What one ``events.list`` request asks for, checked."""

    since: int  # -1: a full list
    snapshot: int
    last_key: tuple[Any, ...]
    size: int
    show_deleted: bool
    single: bool
    order: str | None
    time_min: float | None
    time_max: float | None
    updated_min: str | None
    text: str | None
    ical_uid: str | None
    private: tuple[tuple[str, str], ...]
    shared: tuple[tuple[str, str], ...]


def _properties(params: Params, name: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in params.get(name, ()):
        key, sep, value = item.partition("=")
        if not sep:
            raise bad_request(f"Invalid {name} value.", location=name)
        out.append((key, value))
    return tuple(out)


def parse_query(store: Store, calendar_id: str, params: Params) -> Query:
    sync = _one(params, "syncToken")
    if sync is not None:
        clash = [name for name in FORBIDDEN_WITH_SYNC if name in params]
        if clash:
            raise bad_request(f"Sync token cannot be combined with {clash[0]}.", location=clash[0])
    order = _one(params, "orderBy")
    single = _flag(params, "singleEvents")
    if order not in (None, "startTime", "updated"):
        raise bad_request(f"Invalid value for orderBy: {order}", location="orderBy")
    if order == "startTime" and not single:
        raise bad_request("The requested ordering is not available for the particular query.",
                          location="orderBy")
    bounds: list[float | None] = []
    for name in ("timeMin", "timeMax"):
        raw = _one(params, name)
        bounds.append(None if raw is None else parse_datetime(raw, name).timestamp())
    if bounds[0] is not None and bounds[1] is not None and bounds[1] <= bounds[0]:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar",
                       location="timeMax")
    updated_min = _one(params, "updatedMin")
    if updated_min is not None:
        updated_min = rfc3339_ms(int(parse_datetime(updated_min, "updatedMin").timestamp() * 1000))
        if updated_min < store.purged_before:
            raise ApiError(410, "updatedMinTooLongAgo",
                           "The requested minimum modification time lies too far in the past.",
                           domain="calendar", location="updatedMin")
    since, snapshot, last_key = _position(store, calendar_id, params, sync)
    return Query(since, snapshot, last_key, page_size(params), _flag(params, "showDeleted"), single, order,
                 bounds[0], bounds[1], updated_min, _one(params, "q"), _one(params, "iCalUID"),
                 _properties(params, "privateExtendedProperty"),
                 _properties(params, "sharedExtendedProperty"))


def _position(store: Store, calendar_id: str, params: Params, sync: str | None
              ) -> tuple[int, int, tuple[Any, ...]]:
    """(since, snapshot, last key) from the sync and page tokens, or a fresh snapshot."""
    since = -1
    if sync is not None:
        token = SyncToken.decode(sync)
        if (token is None or token.epoch != store.epoch or token.calendar != calendar_id
                or token.counter > store.counter or token.counter < store.token_floor
                or token.fingerprint != fingerprint(params, SYNC_BOUND_PARAMS)):
            raise full_sync_required()
        since = token.counter
    raw_page = _one(params, "pageToken")
    if raw_page is None:
        return since, store.counter, ()
    page = PageToken.decode(raw_page)
    if (page is None or page.epoch != store.epoch or page.calendar != calendar_id or page.since != since
            or page.fingerprint != fingerprint(params) or page.snapshot > store.counter):
        raise bad_request("Invalid page token value.", location="pageToken")
    if since >= 0 and page.snapshot < store.token_floor:
        raise full_sync_required()
    return since, page.snapshot, page.last_key


def _rows(store: Store, calendar_id: str, q: Query, start_after: str | None) -> Iterator[EventRow]:
    """Candidate rows in id order, read in chunks (the first chunk is often all a page needs)."""
    if q.since >= 0:
        where, args = "calendar=? AND seq>? AND seq<=?", [calendar_id, q.since, q.snapshot]
    else:
        where, args = "calendar=? AND created_seq<=?", [calendar_id, q.snapshot]
        if not (q.show_deleted or q.updated_min):
            where += " AND (status!='cancelled' OR deleted_seq>? OR id LIKE '%\\_%' ESCAPE '\\')"
            args.append(q.snapshot)
        if q.time_min is not None:
            where += " AND (recurring=1 OR end_ts>?)"
            args.append(q.time_min)
        if q.time_max is not None:
            where += " AND (recurring=1 OR start_ts<?)"
            args.append(q.time_max)
        if q.updated_min is not None:
            where += " AND updated>=?"
            args.append(q.updated_min)
    cursor, first = start_after, True
    while True:
        extra: tuple[str, ...] = ()
        if cursor is None:
            clause = where
        else:
            # the row a page ended in is read again: its series may have instances left
            clause, extra = where + (" AND id>=?" if first else " AND id>?"), (cursor,)
        chunk = store.rows(clause, (*args, *extra), limit=_CHUNK)
        yield from chunk
        if len(chunk) < _CHUNK:
            return
        cursor, first = chunk[-1].id, False


def _matches(q: Query, body: dict[str, Any]) -> bool:
    if q.ical_uid is not None and body.get("iCalUID") != q.ical_uid:
        return False
    if q.text is not None:
        needle = q.text.lower()
        hay = " ".join(str(body.get(k, "")) for k in ("summary", "description", "location")).lower()
        if needle not in hay:
            return False
    props = body.get("extendedProperties") or {}
    for scope, wanted in (("private", q.private), ("shared", q.shared)):
        have = props.get(scope) or {}
        if any(have.get(k) != v for k, v in wanted):
            return False
    return True


def _items(store: Store, calendar_id: str, calendar_tz: str, q: Query, start_after: str | None
           ) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(sort key, JSON text) of every item of the listing, in key order (before ``orderBy``)."""
    for row in _rows(store, calendar_id, q, start_after):
        cancelled = row.status == "cancelled"
        if q.since >= 0 and not (row.recurring and q.single):
            text = row.text if (not cancelled or q.show_deleted) else dumps(tombstone(row.body()))
            yield (row.id, ""), text
            continue
        body = row.body()
        if q.since < 0:
            if not _matches(q, body):
                continue
            if cancelled and not q.show_deleted and not q.updated_min and q.single \
                    and (row.deleted_seq or 0) <= q.snapshot:
                continue  # a cancelled occurrence: the expanded series simply lacks it
        if row.recurring and (q.single or q.time_min is not None or q.time_max is not None):
            instances = expand(body, calendar_tz, time_min=q.time_min, time_max=q.time_max)
            if not q.single:
                if instances:
                    yield (row.id, "", row.start_ts or 0.0, row.updated), row.text
                continue
            taken = _exception_ids(store, calendar_id, row.id)
            for inst in instances:
                if inst.body["id"] in taken:
                    continue
                item = tombstone(inst.body) if cancelled and not q.show_deleted else inst.body
                yield (row.id, inst.body["id"][len(row.id):], inst.start_ts, inst.body["updated"]), \
                    dumps(item)
            continue
        if cancelled and q.since >= 0 and not q.show_deleted:
            yield (row.id, ""), dumps(tombstone(body))
        else:
            yield (row.id, "", row.start_ts or 0.0, row.updated), row.text


def _exception_ids(store: Store, calendar_id: str, series_id: str) -> set[str]:
    rows = store.conn.execute(
        "SELECT id FROM events WHERE calendar=? AND id>? AND id<?", (calendar_id, series_id + "_",
                                                                      series_id + "`"))
    return {r[0] for r in rows}


def list_events(store: Store, calendar_id: str, calendar: dict[str, Any], params: Params,
                page_cap: int | None = None) -> bytes:
    """The ``events.list`` response body for one calendar (pages at most ``page_cap`` items long)."""
    q = parse_query(store, calendar_id, params)
    if page_cap is not None:
        q = replace(q, size=max(1, min(q.size, page_cap)))
    tz = str(calendar.get("timeZone", "UTC"))
    page: list[tuple[tuple[Any, ...], str]] = []
    more = False
    if q.order is None:
        last = q.last_key[:2]
        start_after = str(last[0]) if last else None
        for key, text in _items(store, calendar_id, tz, q, start_after):
            if last and key[:2] <= tuple(last):
                continue
            if len(page) == q.size:
                more = True
                break
            page.append((key[:2], text))
    else:
        position = 2 if q.order == "startTime" else 3
        everything = sorted(
            ((k[position] if len(k) > position else 0, k[0], k[1]), t)
            for k, t in _items(store, calendar_id, tz, q, None))
        rest = [(k, t) for k, t in everything if not q.last_key or k > tuple(q.last_key)]
        more = len(rest) > q.size
        page = rest[: q.size]
    head: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"{q.snapshot}"',
        "summary": calendar.get("summary", calendar_id),
        "description": calendar.get("description", ""),
        "updated": rfc3339_ms(store.now_ms()),
        "timeZone": tz,
        "accessRole": "owner",
        "defaultReminders": [],
    }
    if more:
        head["nextPageToken"] = PageToken(store.epoch, calendar_id, q.snapshot, q.since, page[-1][0],
                                          fingerprint(params)).encode()
    else:
        head["nextSyncToken"] = SyncToken(store.epoch, calendar_id, q.snapshot,
                                          fingerprint(params, SYNC_BOUND_PARAMS)).encode()
    text = dumps(head)[:-1] + ',"items":[' + ",".join(t for _, t in page) + "]}"
    return text.encode("utf-8")
