"""Property: appointments written in an adapter's own format read back as the same canonical records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sources_support import NOW, ZONE, context_for, csv_source, ics_source, import_outbox

from adapters.csv import write_export
from adapters.ics import render_appointments
from syncengine.config.model import WritebackConfig
from syncengine.model import Appointment, Assignment
from syncengine.ports import StudioChange

_Z = ZoneInfo(ZONE)
_TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
line = st.text(_TEXT, max_size=20)
word = st.text(
    st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .'&-"), min_size=1, max_size=12
).filter(str.strip)  # a name of blanks only is no name: no export holds one
notes = st.text(st.one_of(_TEXT, st.just("\n")), max_size=40)


def _exists(wall: datetime) -> bool:
    """Neither in a spring-forward gap nor in a fall-back overlap."""
    first, second = wall.replace(tzinfo=_Z, fold=0), wall.replace(tzinfo=_Z, fold=1)
    return first.utcoffset() == second.utcoffset()


@st.composite
def times(draw: st.DrawFn, multi_day: bool) -> tuple[datetime | date, datetime | date, bool]:
    if draw(st.booleans()):
        start = draw(st.dates(date(2024, 1, 1), date(2026, 12, 31)))
        days = draw(st.integers(1, 5)) if multi_day else 1
        return start, start + timedelta(days=days), True
    wall = draw(st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31))).replace(second=0, microsecond=0)
    end_wall = wall + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
    # Clock changes happen between 1 and 3 AM and last an hour: two hours later is always a plain time.
    if not _exists(wall):
        wall, end_wall = wall + timedelta(hours=2), end_wall + timedelta(hours=2)
    if not _exists(end_wall):
        end_wall += timedelta(hours=2)
    return wall.replace(tzinfo=_Z), end_wall.replace(tzinfo=_Z), False


@st.composite
def appointment(draw: st.DrawFn, uid: str, ics: bool) -> Appointment:
    # Both formats carry multi-day all-day appointments (CSV: an end date, or Length in whole days).
    start, end, all_day = draw(times(multi_day=True))
    resources = tuple(draw(st.lists(word, max_size=2, unique_by=str.casefold)))
    location = draw(line)
    if resources and not location.strip():
        location = "; ".join(resources)  # a CSV shows the resources as the location then
    roles = ("photographer", "assistant", "assigned") if ics else ("photographer", "assistant")
    staff = [Assignment(u, r) for r in roles for u in ("amanda", "ben", "cora")]
    assigned = draw(st.lists(st.sampled_from(staff), max_size=3, unique=True))
    assigned.sort(key=lambda a: roles.index(a.role))
    if ics:
        keys = ("X-ALPHA", "X-BETA")
        values = st.text(
            st.characters(whitelist_categories=("L", "N"), whitelist_characters=" .-"), min_size=1
        )
    else:
        keys = ("Booked By", "Referral")
        values = line.filter(str.strip)
    extra = tuple((k, draw(values)) for k in keys if draw(st.booleans()))
    return Appointment(
        uid=uid,
        title=draw(line.filter(str.strip)),
        start=start,
        end=end,
        timezone=ZONE,
        all_day=all_day,
        location=location,
        description=draw(notes),
        status=draw(st.sampled_from(["confirmed", "tentative", "cancelled"])),
        type=draw(line),
        client=draw(line),
        session=draw(line),
        assigned=tuple(assigned),
        resources=resources,
        extra=extra,
    )


def appointments(ics: bool) -> st.SearchStrategy[list[Appointment]]:
    uids = st.lists(st.text("ABCDEFGHJK0123456789-", min_size=1, max_size=8), max_size=5, unique=True)
    return uids.flatmap(lambda ids: st.tuples(*(appointment(uid, ics) for uid in ids)).map(list))


def _canonical(items: tuple[Appointment, ...] | list[Appointment]) -> dict[str, dict[str, object]]:
    return {a.uid: a.to_canonical() for a in items}


_QUOTED_FORMULA = Appointment(
    uid="0", title="0", start=datetime(2024, 1, 1, tzinfo=ZoneInfo("America/Chicago")),
    end=datetime(2024, 1, 1, tzinfo=ZoneInfo("America/Chicago")), timezone="America/Chicago", session="'=",
)


@settings(max_examples=30)
@given(appointments(ics=False))
@example([_QUOTED_FORMULA])  # a value that already looks neutralised must survive the quote dance
def test_csv_round_trip(records: list[Appointment]) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        context = context_for(Path(folder))
        write_export(path, records, context.config)
        read = csv_source(path, context).read()
    assert read.complete and [d for d in read.diagnostics if d.severity == "error"] == []
    assert _canonical(read.appointments) == _canonical(records)


_MULTI_DAY = Appointment(
    uid="7", title="Holiday shoot", start=date(2026, 12, 28), end=date(2026, 12, 31), timezone=ZONE,
    all_day=True,
)  # fmt: skip


@settings(max_examples=30)
@given(appointments(ics=False))
@example([_MULTI_DAY])
def test_csv_outbox_round_trip(records: list[Appointment]) -> None:
    """Spectra outbox rows, once the studio imports them, read back as what was sent and as ``shown``."""
    with TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        context = context_for(Path(folder))
        write_export(path, [], context.config)
        source = csv_source(path, context)
        source.read()
        changes = [StudioChange("created", a) for a in records]
        receipt = source.write_back(changes, WritebackConfig("outbox", Path(folder) / "outbox"), NOW)
        if records:
            import_outbox(path, receipt.files[0])
        read = source.read()
    assert read.complete and [d for d in read.diagnostics if d.severity == "error"] == []
    assert _canonical(read.appointments) == _canonical(records)
    shown = dict(receipt.shown)
    sent = {a.uid: a.fingerprint() for a in records}
    assert {uid: a.fingerprint() for uid, a in shown.items() if a} == sent


@settings(max_examples=30)
@given(appointments(ics=True))
def test_ics_round_trip(records: list[Appointment]) -> None:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "export.ics"
        context = context_for(Path(folder))
        path.write_bytes(render_appointments(records, context.config))
        read = ics_source(path, context).read()
    assert read.complete and [d for d in read.diagnostics if d.severity == "error"] == []
    assert _canonical(read.appointments) == _canonical(records)
