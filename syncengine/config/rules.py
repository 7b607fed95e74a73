"""Rules that span sections of studio.yaml, carried over from the legacy Google Sync Processor.

- Only users sync.  A resource (room, location, equipment) appears in events but never gets a calendar,
  so a ``users:`` entry that names a resource is an error that says so.
- Each user syncs to their own Google account: two users on one account is an error naming both lines
  (the old processor let it happen and merged two people's appointments into one calendar).
- Email needs outgoing mail: an email log sink, or a user asking for notifications, without ``email.smtp``
  is an error (the old processor failed silently at send time).
- Ids are unique (users, sources, resources), and an export name maps to at most one user.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from syncengine.config.model import StudioConfig
from syncengine.config.schema import Section, position


def check_cross_rules(root: Section, config: StudioConfig) -> None:
    """Add a problem to ``root.problems`` for every rule ``config`` (read from ``root``) breaks."""
    _unique_ids(root, "users")
    _unique_ids(root, "sources")
    _unique_ids(root, "resources")
    _resources_are_not_users(root)
    _one_user_per_account(root)
    _one_user_per_name(root)
    _email_needed(root, config)


def _entries(root: Section | dict[Any, Any], key: str) -> Iterator[tuple[int, dict[Any, Any]]]:
    """(index, mapping) of each well-formed entry of a list; its problems were reported already."""
    value = (root.data if isinstance(root, Section) else root).get(key)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _text(item: dict[Any, Any], key: str) -> str | None:
    value = item.get(key)
    return str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None


def _at(root: Section, item: dict[Any, Any], key: str, message: str, hint: str = "") -> None:
    line, column = position(item, "value", key) or position(item, "key", key) or (root.line, root.column)
    root.problems.add(line, column, message, hint)


def _line(item: dict[Any, Any], key: str) -> int:
    pos = position(item, "value", key) or position(item, "key", key)
    return pos[0] if pos else 0


def _unique_ids(root: Section, section: str) -> None:
    seen: dict[str, tuple[int, dict[Any, Any]]] = {}
    for index, item in _entries(root, section):
        ident = _text(item, "id")
        if not ident:
            continue
        folded = ident.casefold()
        if folded in seen:
            first_index, first = seen[folded]
            _at(root, item, "id", f"duplicate {section[:-1]} id '{ident}': {section}[{first_index}] at line "
                f"{_line(first, 'id')} and {section}[{index}] at line {_line(item, 'id')}",
                "give each entry its own id")
        else:
            seen[folded] = (index, item)


def _resources_are_not_users(root: Section) -> None:
    resources: dict[str, tuple[str, str]] = {}
    for _, item in _entries(root, "resources"):
        kind = _text(item, "kind") or "room"
        for key in ("id", "name"):
            name = _text(item, key)
            if name:
                resources.setdefault(name.casefold(), (name, kind))
    for index, item in _entries(root, "users"):
        for key, name in _user_names(item):
            if name.casefold() in resources:
                shown, kind = resources[name.casefold()]
                _at(root, item, key, f"'{name}' is a resource ({kind}), not a user: resources never sync",
                    f"remove users[{index}]; '{shown}' stays under resources: and shows in event locations")
                break


def _user_names(item: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    """(key, name) for the id, the name and each alias of a user entry."""
    for key in ("id", "name"):
        name = _text(item, key)
        if name:
            yield key, name
    aliases = item.get("aliases")
    if isinstance(aliases, str):
        aliases = [aliases]
    if isinstance(aliases, list):
        for alias in aliases:
            if isinstance(alias, str) and alias.strip():
                yield "aliases", alias.strip()


def _one_user_per_account(root: Section) -> None:
    seen: dict[str, tuple[str, int]] = {}
    for index, item in _entries(root, "users"):
        google = item.get("google")
        if not isinstance(google, dict):
            continue
        account = _text(google, "account")
        if not account:
            continue
        who = _text(item, "id") or f"users[{index}]"
        line = _line(google, "account")
        folded = account.casefold()
        if folded in seen:
            other, other_line = seen[folded]
            _at(root, google, "account",
                f"users '{other}' (line {other_line}) and '{who}' (line {line}) share the Google account "
                f"'{account}'", "each user syncs to their own Google account; give one of them another")
        else:
            seen[folded] = (who, line)


def _one_user_per_name(root: Section) -> None:
    seen: dict[str, str] = {}
    for index, item in _entries(root, "users"):
        who = _text(item, "id") or f"users[{index}]"
        for key, name in dict.fromkeys(_user_names(item)):
            folded = name.casefold()
            if folded in seen and seen[folded].casefold() != who.casefold():
                _at(root, item, key, f"'{name}' names both user '{seen[folded]}' and user '{who}'",
                    "export names and aliases must point to one user each")
            seen.setdefault(folded, who)


def _email_needed(root: Section, config: StudioConfig) -> None:
    if config.email is not None or "email" in root.data:
        return  # a present but broken email section was reported by the loader
    logging = root.data.get("logging")
    for index, item in _entries(logging if isinstance(logging, dict) else {}, "sinks"):
        if _text(item, "type") == "email":
            _at(root, item, "type", f"logging.sinks[{index}] is an email sink, but 'email.smtp' is not set",
                "add email: {smtp: {host: ..., port: ...}, from: ...} or remove the sink")
    for index, item in _entries(root, "users"):
        sync = item.get("sync")
        if isinstance(sync, dict) and sync.get("notify") is True:
            _at(root, sync, "notify", f"users[{index}].sync.notify needs 'email.smtp' to be set",
                "add email: {smtp: {host: ..., port: ...}, from: ...} or set notify: false")
