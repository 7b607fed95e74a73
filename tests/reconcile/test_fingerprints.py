"""The planner's fast fingerprints agree with the model's own, on generated appointments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS, Appointment, Assignment
from syncengine.reconcile.fingerprints import calendar_fp, studio_fp

text = st.text(max_size=12)
zones = st.sampled_from([UTC, timezone(timedelta(hours=-6)), timezone(timedelta(hours=5, minutes=30))])


@st.composite
def appointments(draw: st.DrawFn) -> Appointment:
    all_day = draw(st.booleans())
    if all_day:
        start: date | datetime = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)))
        end: date | datetime = start + timedelta(days=draw(st.integers(1, 3)))
    else:
        start = draw(
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=zones)
        )
        end = start + timedelta(minutes=draw(st.integers(0, 600)))
    return Appointment(
        uid="u",
        title=draw(text),
        start=start,
        end=end,
        timezone="UTC",
        all_day=all_day,
        location=draw(text),
        description=draw(text),
        status=draw(st.sampled_from(["confirmed", "tentative"])),
        type=draw(text),
        client=draw(text),
        session=draw(text),
        assigned=tuple(
            Assignment(u, "assistant") for u in draw(st.lists(st.sampled_from("abc"), max_size=3))
        ),
        resources=tuple(draw(st.lists(text, max_size=2))),
        extra=tuple((k, v) for k, v in draw(st.dictionaries(text, text, max_size=2)).items()),
    )


@given(appointments())
def test_fast_fingerprints_equal_the_models(a: Appointment) -> None:
    assert calendar_fp(a) == a.fingerprint(CALENDAR_FIELDS)
    assert studio_fp(a) == a.fingerprint(STUDIO_REPLICA_FIELDS)
