"""The planner's fast fingerprints agree with the model's own, on generated appointments."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from syncengine.config.loader import load_config
from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS, Appointment, Assignment
from syncengine.reconcile.fingerprints import calendar_fp, studio_fp
from syncengine.reconcile.gates import scope_fingerprints

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


def test_a_studio_folder_copied_elsewhere_keeps_its_scope(tmp_path: Path) -> None:
    examples = Path(__file__).parents[2] / "examples"
    scopes = []
    for where in ("here", "moved/there"):
        folder = tmp_path / where
        shutil.copytree(examples, folder, ignore=shutil.ignore_patterns(".syncengine"))
        scopes.append(scope_fingerprints(load_config(folder / "studio.yaml")))
    assert scopes[0] == scopes[1]
    # a source outside the config's folder is still told apart by where it is
    config = load_config(tmp_path / "here" / "studio.yaml")
    outside = replace(config, sources=(replace(config.sources[0], path=tmp_path / "elsewhere.csv"),))
    assert scope_fingerprints(outside)["scope:"] != scopes[0]["scope:"]
