"""MemorySource: the shared contract, plus the knobs the reconciler's tests use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from contract import MakeSource, SourceContract, samples
from sources_support import NOW, ZONE

from adapters.memory.source import MemorySource
from syncengine import plugins
from syncengine.config.model import SourceConfig, WritebackConfig
from syncengine.errors import WritebackError
from syncengine.model import Appointment
from syncengine.ports import SourceContext, StudioChange


class TestMemoryContract(SourceContract):
    writes_files = False
    has_lines = False
    extra_sample = (("Booked By", "Front desk"),)

    @pytest.fixture
    def make_source(self, context: SourceContext) -> MakeSource:
        def make(appointments: Sequence[Appointment]) -> MemorySource:
            return MemorySource.of(appointments, context=context)

        return make

    def break_row(self, source: Any, uid: str) -> None:
        source.fail_row(uid, "bad row")

    def truncate(self, source: Any) -> None:
        source.make_incomplete("cut short", hide=["1002"])


def test_registered_as_entry_point() -> None:
    assert plugins.load(plugins.SOURCES, "memory") is MemorySource


def test_failures_apply_to_the_next_read_only() -> None:
    source = MemorySource.of(samples(()), timezone=ZONE)
    source.fail_row("1001")
    source.make_incomplete(hide=["1002"])
    broken = source.read()
    assert not broken.complete
    assert broken.unreadable == {"1001"}
    assert [a.uid for a in broken.appointments] == ["1003"]
    healed = source.read()
    assert healed.complete and [a.uid for a in healed.appointments] == ["1001", "1002", "1003"]
    assert source.reads == 2


def test_outbox_is_imported_later() -> None:
    source = MemorySource.of(samples(()))
    first, second, _ = samples(())
    renamed = first.evolve(title="Renamed")
    source.write_back(
        [StudioChange("updated", renamed), StudioChange("cancelled", second)],
        WritebackConfig(mode="outbox"),
        NOW,
    )
    assert source.get("1001") == first
    assert [c.action for c in source.pending] == ["updated", "cancelled"]
    assert source.import_outbox() == 2
    assert source.get("1001") == renamed
    assert source.get("1002") is not None and source.get("1002").status == "cancelled"  # type: ignore[union-attr]
    assert source.pending == () and len(source.sent) == 2


def test_read_only_and_failing_writes_raise() -> None:
    source = MemorySource.of(samples(()), read_only=True)
    change = StudioChange("updated", samples(())[0].evolve(title="x"))
    with pytest.raises(WritebackError):
        source.write_back([change], WritebackConfig(mode="outbox"), NOW)
    writable = MemorySource.of(samples(()))
    writable.fail_next_write("disk full")
    with pytest.raises(WritebackError, match="disk full"):
        writable.write_back([change], WritebackConfig(mode="in-place"), NOW)
    assert writable.get("1001") == samples(())[0]
    writable.write_back([change], WritebackConfig(mode="in-place"), NOW)
    assert writable.get("1001") == change.appointment


def test_sources_on_one_path_share_their_store(context: SourceContext) -> None:
    seeded = MemorySource.of(samples(()), path="memory-shared-store-test")
    config = SourceConfig(id="memory", format="memory", path=seeded.config.path)
    rebuilt = MemorySource(config, SourceContext(config=context.config, now=datetime.now(UTC)))
    assert [a.uid for a in rebuilt.read().appointments] == ["1001", "1002", "1003"]
    rebuilt.remove("1002")
    assert seeded.get("1002") is None
