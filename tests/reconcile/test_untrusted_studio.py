"""What the studio export says but cannot be trusted: staff names matching no user, drop folders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from reconcile_support import appt, make_world

from adapters.memory.source import MemorySource
from syncengine.model import Assignment
from syncengine.ports import Diagnostic, SourceRead


class TypoSource(MemorySource):
    """A memory export whose rows in ``typos`` name a photographer that matches no user."""

    typos: frozenset[str] = frozenset()

    def read(self) -> SourceRead:
        read = super().read()
        extra = tuple(
            Diagnostic("warning", "'Marcus R.' matches no user", "a.csv", 9, uid=uid, code="unknown-staff")
            for uid in sorted(self.typos)
        )
        return replace(read, diagnostics=(*read.diagnostics, *extra))


def test_a_staff_typo_keeps_the_last_assignment_and_other_changes_apply(tmp_path: Path) -> None:
    w = make_world(tmp_path, appt("10232", "amanda"), appt("B1", "ben"))
    source = TypoSource(w.source.config, w.source.context)
    w.source = source
    assert w.sync().exit_code == 0
    a = source.get("10232")
    assert a is not None
    # the photographer column now reads "Marcus R.": the row's assignment comes through empty
    source.put(a.evolve(assigned=(), title="Portrait, renamed", start=a.start + timedelta(days=1),
                        end=a.end + timedelta(days=1)))  # fmt: skip
    source.typos = frozenset({"10232"})
    report = w.sync()
    assert report.exit_code == 0
    assert not [x for x in report.plan.actions if x.op == "delete"]
    event = w.events("amanda")["10232"].appointment
    assert event.title == "Portrait, renamed" and event.start == a.start + timedelta(days=1)
    notes = [n for u in report.plan.units for n in u.notes]
    assert any("10232" in n and "matches no user" in n and "amanda" in n for n in notes)
    assert any("10232" in e.message for e in w.sink.events if e.kind == "warning")
    (typo,) = [e for e in w.sink.events if e.data.get("code") == "unknown-staff"]
    assert (typo.origin, typo.message) == ("a.csv:9", "'Marcus R.' matches no user")  # where, said once
    # the same typo on two rows: one warning, both assignments kept
    b1 = source.get("B1")
    assert b1 is not None
    source.put(b1.evolve(assigned=()))
    source.typos = frozenset({"10232", "B1"})
    report = w.sync()
    assert not [x for x in report.plan.actions if x.op == "delete"]
    assert len([e for e in w.sink.events if e.data.get("code") == "unknown-staff"]) == 1
    assert "B1" in w.events("ben")
    # the typo fixed, or a real reassignment without one, is trusted again
    source.typos = frozenset()
    source.put(b1)
    latest = source.get("10232")
    assert latest is not None
    source.put(latest.evolve(assigned=(Assignment("ben", "photographer"),)))
    w.sync()
    assert "10232" not in w.events("amanda") and "10232" in w.events("ben")


def test_what_an_incomplete_read_leaves_out_takes_the_fast_path(tmp_path: Path) -> None:
    w = make_world(tmp_path, *(appt(f"A{i}", "amanda", day=i % 20 + 1) for i in range(40)))
    assert w.sync().exit_code == 0
    w.source.make_incomplete(hide=[f"A{i}" for i in range(1, 40)])
    report = w.sync()
    assert report.exit_code == 0 and report.plan.empty
    assert set(report.plan.decisions) == set()  # nobody planned one by one: all 40 were quiet
    assert len(w.events("amanda")) == 40
