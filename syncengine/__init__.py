"""syncengine: two-way sync between a studio's appointment exports and each user's Google Calendar."""

from __future__ import annotations
