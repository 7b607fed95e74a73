"""Deterministic calendar event ids.

An event's id is derived from (studio, user, appointment uid, generation), so a lost or deleted state file
re-links to the events already on a calendar instead of duplicating them.  The alphabet is base32hex
(``0-9a-v``), which Google Calendar requires for client-chosen ids (5 to 1024 characters).  Generation 0
is tried first; a calendar that keeps a used id reserved (a deleted event whose id cannot be restored)
moves the appointment to the next generation.
"""

from __future__ import annotations

import base64
import hashlib

ID_LENGTH = 32


def derive_event_id(studio: str, user: str, uid: str, generation: int = 0) -> str:
    """The event id for ``uid`` on ``user``'s calendar: 32 base32hex characters."""
    key = "\x1f".join((studio, user, uid, str(generation))).encode("utf-8")
    raw = base64.b32hexencode(hashlib.sha256(key).digest()).decode("ascii").lower()
    return raw[:ID_LENGTH]


def is_base32hex_id(value: str) -> bool:
    """Whether ``value`` is a valid client-chosen event id (base32hex, 5 to 1024 characters)."""
    return 5 <= len(value) <= 1024 and all(c in "0123456789abcdefghijklmnopqrstuv" for c in value)
