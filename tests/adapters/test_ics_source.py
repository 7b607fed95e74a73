"""IcsSource behaviour beyond the contract: in-place rewrites, series occurrences, the outbox file."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sources_support import FIXTURES, NOW, context_for, ics_source

from adapters.ics import IcsSource
from syncengine.config.model import WritebackConfig
from syncengine.errors import WritebackError
from syncengine.ports import StudioChange

IN_PLACE = WritebackConfig(mode="in-place")


def _copy(tmp_path: Path, name: str) -> IcsSource:
    path = tmp_path / name
    shutil.copy(FIXTURES / name, path)
    return ics_source(path, context_for(tmp_path))


def test_in_place_keeps_unknown_properties_alarms_and_other_events(tmp_path: Path) -> None:
    source = _copy(tmp_path, "windows_zone.ics")
    first, other = source.read().appointments
    renamed = first.evolve(title="Outlook appointment, renamed", end=first.end + timedelta(minutes=30))  # type: ignore[operator]
    receipt = source.write_back([StudioChange("updated", renamed)], IN_PLACE, NOW)
    assert receipt.files == (source.config.path,)
    text = source.config.path.read_bytes().decode("utf-8")
    assert "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE" in text
    assert "ORGANIZER;CN=" in text and "Cora Li" in text and "mailto:cora@x.example" in text
    after = {a.uid: a for a in source.read().appointments}
    assert after[first.uid].to_canonical() == renamed.to_canonical()
    assert after[other.uid].to_canonical() == other.to_canonical()


def test_in_place_keeps_a_custom_vtimezone_event_intact(tmp_path: Path) -> None:
    source = _copy(tmp_path, "vtimezone.ics")
    (event,) = source.read().appointments
    source.write_back([StudioChange("updated", event.evolve(location="Studio B"))], IN_PLACE, NOW)
    text = source.config.path.read_bytes().decode("utf-8")
    assert "BEGIN:VALARM" in text and "X-LEGACY-ROOM;X-CODE=7:North room" in text
    (again,) = source.read().appointments
    assert again.location == "Studio B" and again.start == event.start and again.extra == event.extra


def test_in_place_refuses_a_file_changed_since_it_was_read(tmp_path: Path) -> None:
    source = _copy(tmp_path, "duration.ics")
    (first, *_rest) = source.read().appointments
    path = source.config.path
    path.write_bytes(path.read_bytes().replace(b"DURATION instead", b"Edited by the studio"))
    before = path.read_bytes()
    with pytest.raises(WritebackError, match="changed since it was read"):
        source.write_back([StudioChange("updated", first.evolve(title="x"))], IN_PLACE, NOW)
    assert path.read_bytes() == before


def test_in_place_before_any_read_is_refused(tmp_path: Path) -> None:
    source = _copy(tmp_path, "duration.ics")
    appointment = ics_source(source.config.path, context_for(tmp_path)).read().appointments[0]
    with pytest.raises(WritebackError, match="read the source"):
        source.write_back([StudioChange("updated", appointment)], IN_PLACE, NOW)


def test_occurrence_of_a_series_becomes_an_override(tmp_path: Path) -> None:
    source = _copy(tmp_path, "rrule_exdate_override.ics")
    occurrences = {a.uid: a for a in source.read().appointments}
    uid = "weekly-minis/2025-03-10T14:00:00Z"
    moved = occurrences[uid].evolve(
        start=occurrences[uid].start + timedelta(hours=2), end=occurrences[uid].end + timedelta(hours=2)
    )  # type: ignore[operator]
    cancelled = occurrences["weekly-minis/2025-03-24T14:00:00Z"]
    source.write_back([StudioChange("updated", moved), StudioChange("cancelled", cancelled)], IN_PLACE, NOW)
    after = {a.uid: a for a in source.read().appointments}
    assert set(after) == set(occurrences)
    assert after[uid].start == moved.start and after[uid].title == "Weekly mini sessions"
    assert after[uid].users == ("cora",)
    assert after["weekly-minis/2025-03-24T14:00:00Z"].status == "cancelled"
    untouched = "weekly-minis/2025-03-31T14:00:00Z"
    assert after[untouched].to_canonical() == occurrences[untouched].to_canonical()


def test_folder_in_place_gives_a_new_appointment_its_own_file(tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    shutil.copy(FIXTURES / "floating.ics", folder / "floating.ics")
    source = ics_source(folder, context_for(tmp_path))
    first = source.read().appointments[0]
    created = first.evolve(uid="google-new/1", title="From Google")
    receipt = source.write_back([StudioChange("created", created)], IN_PLACE, NOW)
    assert [p.name for p in receipt.files] == ["google-new-1.ics"]
    found = {a.uid: a for a in source.read().appointments}
    assert found["google-new/1"].title == "From Google"
    assert "float-1" in found and "utc-1" in found


def test_outbox_ics_marks_the_action(tmp_path: Path) -> None:
    source = _copy(tmp_path, "floating.ics")
    first, second = source.read().appointments
    outbox = WritebackConfig(mode="outbox", path=tmp_path / "outbox")
    receipt = source.write_back(
        [StudioChange("cancelled", first), StudioChange("updated", second)], outbox, NOW
    )
    (path,) = receipt.files
    assert path.name == "from-google-20250301T120000Z.ics"
    text = path.read_bytes().decode("utf-8")
    assert "X-SYNCENGINE-ACTION:cancelled" in text and "X-SYNCENGINE-ACTION:updated" in text
    written = {a.uid: a for a in ics_source(path, context_for(tmp_path)).read().appointments}
    assert written["float-1"].status == "cancelled"
    assert written["utc-1"].to_canonical() == second.to_canonical()


@pytest.mark.parametrize(
    "text,reason",
    [
        (b"not a calendar at all\r\n", "not an iCalendar"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n", "END:VCALENDAR where END:VEVENT"),
        (b"BEGIN:VCALENDAR\r\nX-A:\x81\x8d\r\nEND:VCALENDAR\r\n", "not valid cp1252"),
    ],
)
def test_broken_files_are_rejected_as_a_whole(tmp_path: Path, text: bytes, reason: str) -> None:
    path = tmp_path / "broken.ics"
    path.write_bytes(text)
    read = ics_source(path, context_for(tmp_path)).read()
    assert not read.complete and read.rejected == (path,)
    assert reason in read.diagnostics[0].message


def test_series_expand_only_inside_the_widest_user_window(tmp_path: Path) -> None:
    path = tmp_path / "series.ics"
    path.write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:daily\r\n"
        b"DTSTART;TZID=America/Chicago:20240101T090000\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY\r\n"
        b"SUMMARY:Every day forever\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    read = ics_source(path, context_for(tmp_path)).read()
    starts = sorted(a.start for a in read.appointments)
    # NOW is 2025-03-01 12:00 UTC; users keep the default window (30 days back, 365 ahead).
    assert len(starts) in (395, 396)
    assert starts[0] >= NOW - timedelta(days=30, hours=1)
    assert starts[-1] <= NOW + timedelta(days=365)
    assert all(a.uid.startswith("daily/") for a in read.appointments)


def test_folder_in_place_before_any_read_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    shutil.copy(FIXTURES / "floating.ics", folder / "floating.ics")
    appointment = ics_source(folder, context_for(tmp_path)).read().appointments[0]
    with pytest.raises(WritebackError, match="read the source"):
        ics_source(folder, context_for(tmp_path)).write_back(
            [StudioChange("updated", appointment)], IN_PLACE, NOW
        )
    assert sorted(p.name for p in folder.iterdir()) == ["floating.ics"]


def test_a_broken_series_makes_the_read_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "series.ics"
    text = (FIXTURES / "rrule_exdate_override.ics").read_bytes()
    path.write_bytes(text.replace(b"RRULE:FREQ=WEEKLY;COUNT=6", b"RRULE:FREQ=SOMETIMES"))
    read = ics_source(path, context_for(tmp_path)).read()
    assert not read.complete
    assert any(d.uid == "weekly-minis" and d.severity == "error" for d in read.diagnostics)
