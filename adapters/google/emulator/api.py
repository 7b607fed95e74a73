"""The Calendar v3 router: one request in (method, path, query, headers, body), one response out.

Paths are those the Python client sends below ``calendar/v3/`` (percent-decoded segment by segment, so
``a%40b.c`` is the calendar ``a@b.c``; ``primary`` is the caller's own calendar).  Each request runs in
one store transaction, and a request inside a batch in a savepoint of the batch's transaction.  Every
failure is an :class:`ApiError` rendered as Google's error JSON.  The event write rules are in
``writes.py``, listings in ``listing.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from adapters.google.emulator import writes
from adapters.google.emulator.accounting import Accounting, CallRecord
from adapters.google.emulator.calls import JSON_TYPE, ApiRequest, ApiResponse, Call
from adapters.google.emulator.errors import ApiError, bad_request, not_found, unauthorized
from adapters.google.emulator.listing import list_events
from adapters.google.emulator.resource import zone
from adapters.google.emulator.store import Store

API_PREFIX = "/calendar/v3/"
EMBEDDED_PREFIX = "embedded:"


Handler = Callable[["CalendarApi", Call, list[str]], ApiResponse]


def route(method: str, segments: list[str]) -> tuple[str, Handler | None, list[str]]:
    """(API method name, handler, path arguments); the handler is None for an unknown route."""
    n = len(segments)
    if segments[:2] == ["users", "me"] and n >= 3:
        if segments[2] == "calendarList" and method == "GET":
            return ("calendarList.list", _calendar_list, []) if n == 3 else \
                ("calendarList.get", _calendar_list_get, segments[3:4])
        if segments[2] == "settings" and method == "GET":
            return ("settings.list", _settings, []) if n == 3 else ("settings.get", _settings, segments[3:4])
    if segments == ["colors"] and method == "GET":
        return "colors.get", _colors, []
    if n >= 2 and segments[0] == "calendars":
        if n == 2 and method in ("GET", "PATCH", "PUT"):
            name = {"GET": "calendars.get", "PATCH": "calendars.patch", "PUT": "calendars.update"}[method]
            return name, _calendar, [method]
        if n == 3 and segments[2] == "events" and method in ("GET", "POST"):
            if method == "GET":
                return "events.list", _events_list, []
            return "events.insert", writes.insert, []
        if n == 4 and segments[2] == "events":
            if segments[3] == "import" and method == "POST":
                return "events.import", writes.import_, []
            handlers = {"GET": ("events.get", writes.get), "PUT": ("events.update", writes.update),
                        "PATCH": ("events.patch", writes.patch), "DELETE": ("events.delete", writes.delete)}
            if method in handlers:
                name, handler = handlers[method]
                return name, handler, [segments[3]]
        if n == 5 and segments[2] == "events" and segments[4] == "instances" and method == "GET":
            return "events.instances", writes.instances, [segments[3]]
    return "unknown", None, []


class CalendarApi:
    """Routes requests, checks bearer tokens, runs handlers in transactions, accounts for calls."""

    def __init__(self, store: Store, accounting: Accounting, *, trust_embedded: bool = False) -> None:
        self.store = store
        self.accounting = accounting
        self.trust_embedded = trust_embedded
        #: pages shorter than asked (Google may do that): catches clients that stop at a short page
        self.page_cap: int | None = None

    def resolve(self, request: ApiRequest) -> tuple[str, str, list[str], dict[str, list[str]]]:
        """(API method name, HTTP method, path segments, query) of a request, before it runs."""
        parts = urlsplit(request.target)
        params = parse_qs(parts.query, keep_blank_values=True)
        method = request.method.upper()
        override = request.headers.get("x-http-method-override")
        if override:
            # the client rewrites a long GET as POST with a form body (its 2048-character URL limit)
            method = override.upper()
            if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                for key, values in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items():
                    params.setdefault(key, []).extend(values)
        path = parts.path
        if not path.startswith(API_PREFIX):
            return "unknown", method, [], params
        segments = [unquote(s) for s in path[len(API_PREFIX):].strip("/").split("/")]
        return route(method, segments)[0], method, segments, params

    def handle(self, request: ApiRequest, *, in_batch: bool = False,
               fault: Callable[[str], ApiError | None] | None = None) -> tuple[str, ApiResponse]:
        """Run one request; ``fault`` may turn it into an injected error before it runs."""
        name, method, segments, params = self.resolve(request)
        body = b"" if request.headers.get("x-http-method-override") else request.body
        account: str | None = None
        try:
            injected = fault(name) if fault else None
            if injected is not None:
                raise injected
            _, handler, args = route(method, segments)
            if handler is None:
                raise not_found()
            with self.store.transaction():
                account = self.authenticate(request.headers.get("authorization", ""))
                call = Call(account, params, request.headers, body)
                if segments[0] == "calendars":
                    self._bind_calendar(call, segments[1])
                response = handler(self, call, args)
        except ApiError as error:
            response = ApiResponse.error(error)
        self.record(name, method, request.target, params, response.status, account, in_batch)
        return name, response

    def record(self, name: str, method: str, target: str, params: dict[str, list[str]], status: int,
               account: str | None, in_batch: bool) -> None:
        flat = {k: v[-1] for k, v in params.items()}
        self.accounting.record(CallRecord(name, method, urlsplit(target).path, flat, status, account,
                                          in_batch))

    def authenticate(self, header: str) -> str:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized()
        token = token.strip()
        account = self.store.account_for_token(token)
        if account is not None:
            return account
        if self.trust_embedded and token.startswith(EMBEDDED_PREFIX) and "@" in token:
            email = token[len(EMBEDDED_PREFIX):]
            self.add_account(email, token, "UTC")
            return email
        raise unauthorized()

    def add_account(self, email: str, token: str, time_zone: str) -> None:
        """Create (or re-token) an account with its primary calendar; keeps an existing calendar."""
        zone(time_zone)
        with self.store.transaction():
            self.store.add_token(token, email)
            if self.store.calendar(email) is None:
                seq = self.store.next_seq()
                self.store.put_calendar(email, email, {
                    "kind": "calendar#calendar", "etag": f'"{seq}"', "id": email, "summary": email,
                    "timeZone": time_zone, "conferenceProperties": {"allowedConferenceSolutionTypes": []},
                })

    def _bind_calendar(self, call: Call, raw_id: str) -> None:
        calendar_id = call.account if raw_id == "primary" else raw_id
        found = self.store.calendar(calendar_id)
        # another account's calendar is as invisible as one that does not exist
        if found is None or found[0] != call.account:
            raise not_found()
        call.calendar_id, call.calendar = calendar_id, found[1]


def _list_entry(calendar: dict[str, Any], owner: str) -> dict[str, Any]:
    return {
        "kind": "calendar#calendarListEntry", "etag": calendar["etag"], "id": calendar["id"],
        "summary": calendar.get("summary", calendar["id"]), "timeZone": calendar.get("timeZone", "UTC"),
        "colorId": "14", "backgroundColor": "#9fe1e7", "foregroundColor": "#000000", "selected": True,
        "accessRole": "owner", "defaultReminders": [], "primary": calendar["id"] == owner,
        "conferenceProperties": {"allowedConferenceSolutionTypes": []},
    }


def _calendar_list(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    items = [_list_entry(c, call.account) for c in api.store.calendars_of(call.account)]
    return ApiResponse.json({"kind": "calendar#calendarList", "etag": f'"{api.store.counter}"',
                             "nextSyncToken": f"cl{api.store.counter}", "items": items})


def _calendar_list_get(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    calendar_id = call.account if args[0] == "primary" else args[0]
    found = api.store.calendar(calendar_id)
    if found is None or found[0] != call.account:
        raise not_found()
    return ApiResponse.json(_list_entry(found[1], call.account))


def _calendar(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    if args[0] == "GET":
        return ApiResponse.json(call.calendar)
    body = call.body()
    current = dict(call.calendar)
    if args[0] == "PUT":
        current = {k: v for k, v in current.items() if k in ("kind", "id", "etag", "conferenceProperties")}
        current["summary"] = body.get("summary") or call.calendar.get("summary")
    for key in ("summary", "description", "location", "timeZone"):
        if key in body:
            if body[key] is None:
                current.pop(key, None)
            else:
                current[key] = body[key]
    if "timeZone" in current:
        zone(str(current["timeZone"]))
    seq = api.store.next_seq()
    current["etag"] = f'"{api.store.now_ms() * 1000 + seq % 1000}"'
    api.store.put_calendar(call.calendar_id, call.account, current)
    return ApiResponse.json(current)


def _settings(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    primary = api.store.calendar(call.account)
    tz = primary[1].get("timeZone", "UTC") if primary else "UTC"
    values = {"timezone": tz, "locale": "en", "weekStart": "0", "format24HourTime": "false",
              "defaultEventLength": "60", "dateFieldOrder": "MDY", "hideWeekends": "false"}
    items = [{"kind": "calendar#setting", "etag": f'"{k}"', "id": k, "value": v} for k, v in values.items()]
    if not args:
        return ApiResponse.json({"kind": "calendar#settings", "etag": '"settings"', "items": items})
    for item in items:
        if item["id"] == args[0]:
            return ApiResponse.json(item)
    raise not_found()


_PALETTE = ["#a4bdfc", "#7ae7bf", "#dbadff", "#ff887c", "#fbd75b", "#ffb878", "#46d6db", "#e1e1e1",
            "#5484ed", "#51b749", "#dc2127"]


def _colors(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    event = {str(i + 1): {"background": c, "foreground": "#1d1d1d"} for i, c in enumerate(_PALETTE)}
    return ApiResponse.json({"kind": "calendar#colors", "updated": "2012-02-14T00:00:00.000Z",
                             "calendar": {"14": {"background": "#9fe1e7", "foreground": "#000000"}},
                             "event": event})


def _events_list(api: CalendarApi, call: Call, args: list[str]) -> ApiResponse:
    if call.param("pageToken") == "":
        raise bad_request("Invalid page token value.", location="pageToken")
    body = list_events(api.store, call.calendar_id, call.calendar, call.params, api.page_cap)
    return ApiResponse(200, body, {"Content-Type": JSON_TYPE})
