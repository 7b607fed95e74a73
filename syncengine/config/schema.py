"""Reading one YAML mapping with positions: typed getters that collect problems instead of raising.

The loader walks the round-trip tree ruamel.yaml gives back.  Each :class:`Section` wraps one mapping and
knows where every key and value sits (ruamel's ``lc`` data is 0-based; everything reported is 1-based),
so a wrong value is blamed on its own line and column, a missing key on the mapping that lacks it.
A getter that finds a problem records it and returns the default, so one pass reports every problem.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from syncengine.config.model import Where
from syncengine.errors import ConfigProblem

T = TypeVar("T")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION_HINT = "write a number and a unit, e.g. 90s, 5m, 1h or 1h30m"


def suggest(word: str, candidates: Iterable[str]) -> str:
    """A "did you mean" hint for ``word`` among ``candidates``, or ""."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return f"did you mean '{lowered[word.lower()]}'?"
    best, best_score = "", 0.6
    for candidate in lowered:
        score = difflib.SequenceMatcher(None, word.lower(), candidate).ratio()
        if sorted(candidate) == sorted(word.lower()):
            score += 0.2  # swapped letters ("cvs", "timezoen") beat an equally similar other word
        if score >= best_score and (score > best_score or not best):
            best, best_score = candidate, score
    return f"did you mean '{lowered[best]}'?" if best else ""


def parse_duration(text: str) -> timedelta | None:
    """``"90s"``, ``"5m"``, ``"1h30m"`` -> timedelta; None when the text is not a duration."""
    compact = text.strip().replace(" ", "")
    if not compact or _DURATION_PART.sub("", compact):
        return None
    seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(compact))
    return timedelta(seconds=seconds)


def describe(value: Any) -> str:
    """The YAML-ish name of a value's type, for messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


@dataclass
class Problems:
    """Every problem found in one file, in the order found."""

    file: Path
    items: list[ConfigProblem] = field(default_factory=list)

    def add(self, line: int, column: int, message: str, hint: str = "") -> None:
        self.items.append(ConfigProblem(self.file, line, column, message, hint))


def position(data: Any, attr: str, key: Any) -> tuple[int, int] | None:
    """1-based (line, column) of a key or value inside a ruamel container, if known."""
    lc = getattr(data, "lc", None)
    if lc is None:
        return None
    try:
        line, col = getattr(lc, attr)(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return int(line) + 1, int(col) + 1


class Section:
    """One YAML mapping at a dotted ``path`` (``users[1].google``), with typed getters."""

    def __init__(self, problems: Problems, data: Any, path: str, where: tuple[int, int]) -> None:
        self.problems = problems
        self.data: dict[Any, Any] = data if isinstance(data, dict) else {}
        self.path = path
        self.line, self.column = where

    # --- positions and problems -------------------------------------------------------------------

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def key_pos(self, key: Any) -> tuple[int, int]:
        return position(self.data, "key", key) or (self.line, self.column)

    def value_pos(self, key: Any) -> tuple[int, int]:
        return position(self.data, "value", key) or self.key_pos(key)

    def where(self, key: str | None = None) -> Where:
        line, column = (self.line, self.column) if key is None else self.key_pos(key)
        return Where(self.problems.file, line, column)

    def error(self, message: str, hint: str = "", key: Any = None, at_value: bool = True) -> None:
        """Record a problem at ``key``'s value (or its key, or this mapping when ``key`` is None)."""
        if key is None:
            line, column = self.line, self.column
        else:
            line, column = self.value_pos(key) if at_value else self.key_pos(key)
        self.problems.add(line, column, message, hint)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def check_keys(self, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        """Unknown keys (with a suggestion) and missing required keys."""
        allowed = tuple(allowed)
        for key in self.data:
            if key not in allowed:
                hint = suggest(str(key), allowed) or f"known keys: {', '.join(allowed)}"
                self.error(f"unknown key '{self.name(str(key))}'", hint, key=key, at_value=False)
        for key in required:
            if not self.has(key):
                self.error(f"'{self.name(key)}' is required", key=None)

    # --- typed getters ----------------------------------------------------------------------------

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, default: T, required: bool = False) -> str | T:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(f"'{self.name(key)}' must be text, not {describe(value)}", key=key)
            return default
        text = str(value).strip()
        if required and not text:
            self.error(f"'{self.name(key)}' must not be empty", key=key)
            return default
        return text

    def integer(self, key: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(f"'{self.name(key)}' must be a whole number, not {describe(value)}", key=key)
            return default
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f"at least {minimum}"
            high = "" if maximum is None else f"at most {maximum}"
            bounds = " and ".join(part for part in (low, high) if part)
            self.error(f"'{self.name(key)}' must be {bounds}, not {value}", key=key)
            return default
        return value

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.error(f"'{self.name(key)}' must be a number of at least {minimum:g}", key=key)
            return default
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(f"'{self.name(key)}' must be true or false, not {describe(value)}", key=key)
            return default
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.text(key, None)
        if value is None:
            return default
        if value not in choices:
            hint = suggest(value, choices) or f"one of: {', '.join(choices)}"
            message = f"'{self.name(key)}' must be one of {', '.join(choices)}, not '{value}'"
            self.error(message, hint, key=key)
            return default
        return value

    def duration(self, key: str, default: timedelta, allow_zero: bool = False) -> timedelta:
        value = self.data.get(key)
        if value is None:
            return default
        parsed = parse_duration(value) if isinstance(value, str) else None
        if parsed is None:
            self.error(f"'{self.name(key)}' is not a duration: {value!r}", DURATION_HINT, key=key)
            return default
        if not parsed and not allow_zero:
            self.error(f"'{self.name(key)}' must be longer than zero", DURATION_HINT, key=key)
            return default
        return parsed

    def path_value(self, key: str, base: Path) -> Path | None:
        """A path, resolved against ``base`` (the config file's folder) when relative."""
        value = self.text(key, None, required=True)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path

    def text_list(self, key: str) -> tuple[str, ...]:
        """A list of text; a single text counts as a list of one."""
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),)
        if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, str | int) for v in value
        ):
            self.error(f"'{self.name(key)}' must be a list of text, not {describe(value)}", key=key)
            return ()
        return tuple(str(v).strip() for v in value)

    def text_map(self, key: str) -> tuple[tuple[str, str], ...]:
        """A mapping of text to text, in file order."""
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, dict) or any(
            isinstance(v, bool) or not isinstance(v, str | int) for v in value.values()
        ):
            self.error(f"'{self.name(key)}' must map names to text, not {describe(value)}", key=key)
            return ()
        return tuple((str(k), str(v).strip()) for k, v in value.items())

    # --- nesting ----------------------------------------------------------------------------------

    def section(self, key: str, required: bool = False, hint: str = "") -> Section | None:
        """The mapping under ``key``; None (and a problem if required or not a mapping) otherwise."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(f"'{self.name(key)}' is required")
            return None
        if not isinstance(value, dict):
            self.error(f"'{self.name(key)}' must be a mapping, not {describe(value)}", hint, key=key)
            return None
        return Section(self.problems, value, self.name(key), self.key_pos(key))

    def items(self, key: str, required: bool = False) -> Iterator[Section]:
        """Each mapping in the list under ``key``."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(f"'{self.name(key)}' is required")
            return
        if not isinstance(value, list):
            self.error(f"'{self.name(key)}' must be a list, not {describe(value)}", key=key)
            return
        for index, item in enumerate(value):
            path = f"{self.name(key)}[{index}]"
            where = position(value, "item", index) or self.value_pos(key)
            if not isinstance(item, dict):
                self.problems.add(*where, f"'{path}' must be a mapping, not {describe(item)}")
                continue
            yield Section(self.problems, item, path, where)
