"""The one contract every studio source passes (memory, CSV, ICS, and any third-party adapter).

A test module subclasses :class:`SourceContract` and supplies:

- a ``make_source`` fixture: ``make_source(appointments) -> source`` writes the appointments in the
  adapter's own format and returns a source over them (nothing read yet);
- :meth:`SourceContract.break_row` and :meth:`SourceContract.truncate`, which damage the underlying
  data the way real exports get damaged;
- capability attributes: ``writes_files`` (write-back produces files), ``has_lines`` (diagnostics carry
  line numbers), ``extra_sample`` (an uninterpreted column/property in the adapter's own namespace).

Whether in-place tests apply is the adapter's own ``supports_in_place``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from sources_support import NOW, ZONE

from syncengine.config.model import WritebackConfig
from syncengine.errors import WritebackError
from syncengine.model import Appointment, Assignment
from syncengine.ports import StudioChange, StudioSource

MakeSource = Callable[[Sequence[Appointment]], Any]
_Z = ZoneInfo(ZONE)


def samples(extra: tuple[tuple[str, str], ...]) -> list[Appointment]:
    """Appointments covering the canonical fields; all representable in every format."""
    return [
        Appointment(
            uid="1001",
            title="Smith family portraits",
            start=datetime(2025, 3, 4, 14, 30, tzinfo=_Z),
            end=datetime(2025, 3, 4, 16, 0, tzinfo=_Z),
            timezone=ZONE,
            location="Riverside Park, north gate",
            description="Bring the dog.\nTwo outfits.",
            type="Family",
            client="Smith, Jane",
            session="S-77",
            assigned=(Assignment("amanda", "photographer"), Assignment("ben", "assistant")),
            resources=("Studio A",),
            extra=extra,
        ),
        Appointment(
            uid="1002",
            title="Wedding – Lopez",
            start=date(2025, 3, 8),
            end=date(2025, 3, 9),
            timezone=ZONE,
            all_day=True,
            location="Studio A; Backdrop kit",
            status="tentative",
            type="Wedding",
            client="Lopez",
            assigned=(Assignment("cora", "photographer"),),
            resources=("Studio A", "Backdrop kit"),
        ),
        Appointment(
            uid="1003",
            title="Headshots",
            start=datetime(2025, 3, 10, 9, 0, tzinfo=_Z),
            end=datetime(2025, 3, 10, 9, 45, tzinfo=_Z),
            timezone=ZONE,
            status="cancelled",
        ),
    ]


class SourceContract:
    writes_files: ClassVar[bool] = True
    has_lines: ClassVar[bool] = True
    extra_sample: ClassVar[tuple[tuple[str, str], ...]] = ()

    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        raise NotImplementedError

    def break_row(self, source: Any, uid: str) -> None:
        """Damage one appointment so that it cannot be read (its uid stays readable)."""
        raise NotImplementedError

    def truncate(self, source: Any) -> None:
        """Damage the source so that it did not read completely."""
        raise NotImplementedError

    # --- reading ----------------------------------------------------------------------------------------

    def test_is_a_studio_source(self, make_source: MakeSource) -> None:
        source = make_source([])
        assert isinstance(source, StudioSource)
        assert isinstance(source.format_name, str) and source.format_name

    def test_reads_every_appointment_completely(self, make_source: MakeSource) -> None:
        given = samples(self.extra_sample)
        read = make_source(given).read()
        assert read.complete
        assert sorted(a.uid for a in read.appointments) == sorted(a.uid for a in given)
        assert [d for d in read.diagnostics if d.severity == "error"] == []
        assert read.unreadable == frozenset()

    def test_round_trip_keeps_canonical_fields(self, make_source: MakeSource) -> None:
        appointments = samples(self.extra_sample)
        read = make_source(appointments).read()
        assert {a.uid: a.to_canonical() for a in read.appointments} == {
            a.uid: a.to_canonical() for a in appointments
        }

    def test_uids_are_stable_across_reads(self, make_source: MakeSource) -> None:
        source = make_source(samples(self.extra_sample))
        first = [(a.uid, a.fingerprint()) for a in source.read().appointments]
        second = [(a.uid, a.fingerprint()) for a in source.read().appointments]
        assert first == second

    def test_empty_source_reads_complete_and_empty(self, make_source: MakeSource) -> None:
        read = make_source([]).read()
        assert read.complete
        assert read.appointments == ()

    def test_unreadable_row_keeps_its_uid(self, make_source: MakeSource) -> None:
        source = make_source(samples(self.extra_sample))
        self.break_row(source, "1003")
        read = source.read()
        assert "1003" in read.unreadable
        assert sorted(a.uid for a in read.appointments) == ["1001", "1002"]
        errors = [d for d in read.diagnostics if d.severity == "error" and d.uid == "1003"]
        assert errors, read.diagnostics
        assert errors[0].file
        if self.has_lines:
            assert errors[0].line is not None and errors[0].line > 1

    def test_damaged_source_is_incomplete(self, make_source: MakeSource) -> None:
        source = make_source(samples(self.extra_sample))
        self.truncate(source)
        read = source.read()
        assert not read.complete
        assert any(d.severity == "error" for d in read.diagnostics)

    # --- writing back -------------------------------------------------------------------------------

    def _outbox(self, tmp_path: Path) -> WritebackConfig:
        return WritebackConfig(mode="outbox", path=tmp_path / "outbox")

    def _changes(self) -> list[StudioChange]:
        first, _, third = samples(self.extra_sample)
        moved = first.evolve(start=first.start + timedelta(hours=1), end=first.end + timedelta(hours=1))
        created = Appointment(
            uid="google-abc123",
            title="Made on Google",
            start=datetime(2025, 3, 12, 11, 0, tzinfo=_Z),
            end=datetime(2025, 3, 12, 12, 0, tzinfo=_Z),
            timezone=ZONE,
        )
        return [
            StudioChange("updated", moved),
            StudioChange("created", created),
            StudioChange("cancelled", third.evolve(status="confirmed")),
        ]

    def test_receipt_shows_every_change(self, make_source: MakeSource, tmp_path: Path) -> None:
        source = make_source(samples(self.extra_sample))
        source.read()
        changes = self._changes()
        receipt = source.write_back(changes, self._outbox(tmp_path), NOW)
        shown = dict(receipt.shown)
        assert set(shown) == {c.appointment.uid for c in changes}
        assert shown["1003"] is not None and shown["1003"].status == "cancelled"
        assert shown["1001"] == changes[0].appointment

    def test_outbox_does_not_change_the_export(self, make_source: MakeSource, tmp_path: Path) -> None:
        source = make_source(samples(self.extra_sample))
        before = {a.uid: a.fingerprint() for a in source.read().appointments}
        source.write_back(self._changes(), self._outbox(tmp_path), NOW)
        after = {a.uid: a.fingerprint() for a in source.read().appointments}
        assert after == before

    def test_outbox_files_are_never_overwritten(self, make_source: MakeSource, tmp_path: Path) -> None:
        if not self.writes_files:
            pytest.skip("this source writes no files")
        source = make_source(samples(self.extra_sample))
        source.read()
        changes = self._changes()
        first = source.write_back(changes[:1], self._outbox(tmp_path), NOW)
        contents = {p: p.read_bytes() for p in first.files}
        second = source.write_back(changes[1:], self._outbox(tmp_path), NOW)
        assert first.files and second.files
        assert not set(first.files) & set(second.files)
        assert all(p.exists() for p in (*first.files, *second.files))
        assert {p: p.read_bytes() for p in first.files} == contents
        assert all(p.name.startswith("from-google-") for p in (*first.files, *second.files))
        assert not [p for p in (tmp_path / "outbox").iterdir() if p.name.endswith(".tmp")]

    def test_off_mode_writes_nothing(self, make_source: MakeSource, tmp_path: Path) -> None:
        source = make_source(samples(self.extra_sample))
        source.read()
        receipt = source.write_back(self._changes(), WritebackConfig(mode="off"), NOW)
        assert receipt.files == () and receipt.shown == ()
        assert not (tmp_path / "outbox").exists()

    def test_in_place_changes_the_export(self, make_source: MakeSource, tmp_path: Path) -> None:
        source = make_source(samples(self.extra_sample))
        if not source.supports_in_place:
            source.read()
            with pytest.raises(WritebackError):
                source.write_back(self._changes(), WritebackConfig(mode="in-place", path=tmp_path), NOW)
            return
        source.read()
        changes = self._changes()
        source.write_back(changes, WritebackConfig(mode="in-place"), NOW)
        after = {a.uid: a for a in source.read().appointments}
        assert after["1001"].start == changes[0].appointment.start
        assert after["1001"].to_canonical() == changes[0].appointment.to_canonical()
        assert after["1003"].status == "cancelled"
        assert after["google-abc123"].title == "Made on Google"
        assert after["1002"].to_canonical() == samples(self.extra_sample)[1].to_canonical()
