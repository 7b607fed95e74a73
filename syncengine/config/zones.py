"""Judging ``studio.timezone``: a real IANA zone with daylight-saving rules, named by its place.

The legacy processor's best-known failure was appointments shifted by an hour or more.  Two spellings
cause it and are refused here with the right name suggested:

- Windows zone names ("Central Standard Time"), which the studio PC shows but zoneinfo does not know;
- abbreviations that zoneinfo *does* accept ("EST", "MST", "HST", "CST6CDT") and ``Etc/GMT+6``-style
  offsets: most have no daylight saving, so every appointment would move by an hour from March to November.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from syncengine.config.schema import suggest

#: Windows names (and their common abbreviations) of the zones studios use most -> IANA name.
WINDOWS_ZONES: dict[str, str] = {
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Atlantic Standard Time": "America/Halifax",
    "Newfoundland Standard Time": "America/St_Johns",
    "Canada Central Standard Time": "America/Regina",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
}
ABBREVIATIONS: dict[str, str] = {
    "EST": "America/New_York", "EDT": "America/New_York", "EST5EDT": "America/New_York",
    "CST": "America/Chicago", "CDT": "America/Chicago", "CST6CDT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver", "MST7MDT": "America/Denver",
    "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PST8PDT": "America/Los_Angeles",
    "HST": "Pacific/Honolulu", "AKST": "America/Anchorage", "BST": "Europe/London",
    "CET": "Europe/Paris", "MET": "Europe/Paris", "EET": "Europe/Athens", "WET": "Europe/Lisbon",
}
#: Zone names without a place that are still right to use: they have no daylight saving to get wrong.
UNIVERSAL = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT", "Zulu", "Universal"})


@cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when ``name`` should not be the studio's zone, else None.

    The message continues a sentence that starts with the key: "'studio.timezone' is ...".
    """
    folded = {k.casefold(): v for k, v in (*WINDOWS_ZONES.items(), *ABBREVIATIONS.items())}
    place = folded.get(name.casefold())
    if name in UNIVERSAL:
        return None
    if place is not None and name.casefold() in {k.casefold() for k in WINDOWS_ZONES}:
        return f"is a Windows zone name, not an IANA one: '{name}'", f"did you mean '{place}'?"
    if name.startswith("Etc/") and is_zone(name):
        return (f"is a fixed offset, not a place: '{name}' has no daylight-saving rules",
                "name the place, e.g. America/Chicago")
    if place is not None or ("/" not in name and is_zone(name)):
        hint = f"did you mean '{place}'?" if place else "name the place, e.g. America/Chicago"
        return (f"is an abbreviation, not a place: '{name}' may lack daylight-saving rules and shift "
                "appointments by an hour"), hint
    if not is_zone(name):
        hint = suggest(name, known_zones()) or "use an IANA name such as America/Chicago or Europe/London"
        return f"is not a known IANA time zone: '{name}'", hint
    return None
