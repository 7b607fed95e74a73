"""The ``/_admin/`` HTTP API: faults, latency, counts, accounts and inspection from another process.

=========================================  ======================================================
``GET    /_admin/counts``                  request counts (as ``CalendarService.counts()``)
``POST   /_admin/counts/reset``            zero them
``GET    /_admin/faults``                  the active fault rules and the latency
``POST   /_admin/faults``                  add a rule: ``{"kind", "count", "fraction", "retry_after",
                                           "methods"}``
``DELETE /_admin/faults``                  remove every rule and the latency
``POST   /_admin/latency``                 ``{"seconds": 0.2}``
``GET    /_admin/accounts``                ``{"accounts": [{"email", "timeZone"}]}`` (never tokens)
``POST   /_admin/accounts``                ``{"email", "token"?, "timeZone"?}`` -> ``{"email", "token"}``
``GET    /_admin/events?account=A``        the account's events (``calendar``, ``showDeleted``)
``POST   /_admin/sync-tokens/invalidate``  every sync token issued so far answers 410
``POST   /_admin/tombstones/purge``        forget deleted events
=========================================  ======================================================

Admin requests are not counted.  Like the API, the admin API listens on loopback unless told otherwise.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from adapters.google.emulator.calls import ApiResponse
from adapters.google.emulator.errors import ApiError, EmulatorError, bad_request, not_found

if TYPE_CHECKING:
    from adapters.google.emulator.server import CalendarService

PREFIX = "/_admin/"


def _body(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError as exc:
        raise bad_request("The admin request body is not JSON.") from exc
    if not isinstance(value, dict):
        raise bad_request("The admin request body must be a JSON object.")
    return value


def handle(service: CalendarService, method: str, target: str, raw: bytes) -> ApiResponse:
    parts = urlsplit(target)
    route = parts.path[len(PREFIX):].strip("/")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        return ApiResponse.json(_dispatch(service, method.upper(), route, query, raw))
    except EmulatorError as exc:
        return ApiResponse.error(bad_request(exc.reason))
    except ApiError as exc:
        return ApiResponse.error(exc)


def _dispatch(service: CalendarService, method: str, route: str, query: dict[str, str],
              raw: bytes) -> dict[str, Any]:
    faults = service.faults
    if route == "counts" and method == "GET":
        return service.counts()
    if route == "counts/reset" and method == "POST":
        service.reset_counts()
        return {}
    if route == "faults":
        if method == "POST":
            body = _body(raw)
            faults.inject(str(body.get("kind", "")), int(body.get("count", 1)), fraction=body.get("fraction"),
                          retry_after=body.get("retry_after"), methods=tuple(body.get("methods") or ()))
        elif method == "DELETE":
            faults.clear()
        elif method != "GET":
            raise not_found()
        return {"rules": faults.rules(), "latency": faults.latency_seconds}
    if route == "latency" and method == "POST":
        faults.latency(float(_body(raw).get("seconds", 0)))
        return {"latency": faults.latency_seconds}
    if route == "accounts":
        if method == "POST":
            body = _body(raw)
            email = str(body.get("email") or "")
            if "@" not in email:
                raise bad_request("An account needs an email address.")
            token = service.add_account(email, body.get("token"), str(body.get("timeZone") or "UTC"))
            return {"email": email, "token": token}
        if method == "GET":
            return {"accounts": [{"email": a, "timeZone": service.time_zone(a)} for a in service.accounts()]}
    if route == "events" and method == "GET":
        account = query.get("account", "")
        show = query.get("showDeleted", "false").lower() == "true"
        return {"items": service.events(account, query.get("calendar", "primary"), show_deleted=show)}
    if route == "sync-tokens/invalidate" and method == "POST":
        service.invalidate_sync_tokens()
        return {}
    if route == "tombstones/purge" and method == "POST":
        return {"purged": service.purge_tombstones()}
    raise not_found()
