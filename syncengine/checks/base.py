"""What one check of `syncengine check` reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class CheckResult:
    """One line of `syncengine check`: a name, an outcome, what was found and, unless ok, the fix."""

    name: str
    outcome: Outcome
    detail: str = ""
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Whether the check lets `syncengine check` exit 0 (a warning does)."""
        return self.outcome != "fail"
