"""Sync tokens and page tokens: opaque to clients, checked strictly by the server.

A token is base64url JSON plus a short checksum, so a tampered or truncated token is recognised (and
answered 410 for a sync token, 400 for a page token) instead of being misread.  Both name the store
(``epoch``), the calendar and a position on the store's change counter:

- a **sync token** holds the counter value of the snapshot its full or incremental list was taken at,
  plus a fingerprint of the parameters that must stay the same between syncs (``singleEvents``,
  ``eventTypes``);
- a **page token** holds the snapshot counter of its listing (and, for an incremental list, the counter
  it started from), the sort key of the last item returned, and a fingerprint of the whole query, so the
  following pages come from the same snapshot and a token cannot be reused with other parameters.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: query parameters that never change what a listing holds
NEUTRAL_PARAMS = frozenset({"alt", "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "userIp",
                            "pageToken", "maxResults", "syncToken", "alwaysIncludeEmail"})
#: the parameters a sync token is bound to
SYNC_BOUND_PARAMS = ("singleEvents", "eventTypes")


def _check(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:8]


def _encode(data: Sequence[Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(list(data), separators=(",", ":")).encode()).decode()
    payload = payload.rstrip("=")
    return payload + _check(payload)


def _decode(token: str) -> list[Any] | None:
    if len(token) < 9:
        return None
    payload, check = token[:-8], token[-8:]
    if _check(payload) != check:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, list) else None


def fingerprint(params: Mapping[str, Sequence[str]], names: Sequence[str] | None = None) -> str:
    """A short hash of the query parameters that define a listing (all but the neutral ones)."""
    if names is None:
        items = sorted((k, sorted(v)) for k, v in params.items() if k not in NEUTRAL_PARAMS)
    else:
        items = sorted((k, sorted(params[k])) for k in names if k in params)
    # "false" and absent mean the same for the boolean switches
    items = [(k, v) for k, v in items if v != ["false"]]
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SyncToken:
    epoch: str
    calendar: str
    counter: int
    fingerprint: str

    def encode(self) -> str:
        return _encode(("s", self.epoch, self.calendar, self.counter, self.fingerprint))

    @classmethod
    def decode(cls, token: str) -> SyncToken | None:
        data = _decode(token)
        if not data or len(data) != 5 or data[0] != "s" or not isinstance(data[3], int):
            return None
        return cls(str(data[1]), str(data[2]), data[3], str(data[4]))


@dataclass(frozen=True)
class PageToken:
    epoch: str
    calendar: str
    snapshot: int
    #: for an incremental list: the counter its sync token stood at; -1 for a full list
    since: int
    last_key: tuple[Any, ...]
    fingerprint: str

    def encode(self) -> str:
        return _encode(("p", self.epoch, self.calendar, self.snapshot, self.since, list(self.last_key),
                        self.fingerprint))

    @classmethod
    def decode(cls, token: str) -> PageToken | None:
        data = _decode(token)
        if not data or len(data) != 7 or data[0] != "p" or not isinstance(data[5], list):
            return None
        if not isinstance(data[3], int) or not isinstance(data[4], int):
            return None
        return cls(str(data[1]), str(data[2]), data[3], data[4], tuple(data[5]), str(data[6]))
