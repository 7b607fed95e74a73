"""A Hypothesis state machine over the memory adapters and the real planner, gates and apply.

Rules edit both sides (the studio export, three users' calendars: two two-way, one push-only), change
assignments, import the outbox, inject write failures and crash the run between any two writes.  After
every clean sync: every side agrees with the merged records, an immediate re-sync plans nothing, no
calendar holds an appointment twice, and every edit a person made that did not survive is in the
state's conflict record.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from reconcile_support import appt, make_world, user

from adapters.memory.calendar import SimulatedCrash
from adapters.memory.source import shown_after
from syncengine.config.model import SafetyConfig
from syncengine.model import CALENDAR_FIELDS, STUDIO_REPLICA_FIELDS

UIDS = ("A1", "A2", "A3", "A4")
USERS = ("amanda", "ben", "carol")
TWO_WAY = ("amanda", "ben")
TITLES = ("Wedding", "Family", "Senior", "Newborn")


class SyncMachine(RuleBasedStateMachine):
    POLICY = "merge"
    WRITEBACK = "outbox"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        users = (user("amanda"), user("ben"), user("carol", direction="push"))
        self.world = make_world(
            Path(self.tmp.name),
            users=users,
            safety=SafetyConfig(max_delete_min=1000, max_shrink_percent=100),
            policy=self.POLICY,
            writeback=self.WRITEBACK,
        )
        self.faulty = False
        #: uids whose outbox change the studio imported after the last sync read the export
        self.imported: set[str] = set()
        #: (side, uid, field) -> value a person set since the last clean sync (studio or two-way calendar)
        self.edits: dict[tuple[str, str, str], Any] = {}

    def teardown(self) -> None:
        self.tmp.cleanup()

    # --- the studio -----------------------------------------------------------------------------------

    @rule(
        uid=st.sampled_from(UIDS),
        users=st.sets(st.sampled_from(USERS), min_size=1, max_size=2),
        day=st.integers(1, 20),
    )
    def studio_add(self, uid: str, users: set[str], day: int) -> None:
        if self.world.source.get(uid) is None:
            self.world.source.put(appt(uid, *sorted(users), day=day))

    @rule(uid=st.sampled_from(UIDS), title=st.sampled_from(TITLES), hours=st.integers(-3, 3))
    def studio_edit(self, uid: str, title: str, hours: int) -> None:
        current = self.world.source.get(uid)
        if current is None or current.status == "cancelled" or uid in self.imported:
            # after an import no sync has seen, an edit back to the value the export showed before is
            # indistinguishable from an export that was not re-imported yet (the outbox rule): skipped
            return
        shift = timedelta(hours=hours)
        edited = current.evolve(title=title, start=current.start + shift, end=current.end + shift)
        self.world.source.put(edited)
        with self.world.store() as store:
            row = store.view().records.get(uid)
        synced = row.appointment().title if row is not None else None
        if title == synced:
            self.edits.pop(("studio", uid, "title"), None)  # back to the synced value: no change at all
        elif title != current.title:
            self.edits[("studio", uid, "title")] = title

    @rule(uid=st.sampled_from(UIDS), users=st.sets(st.sampled_from(USERS), min_size=1, max_size=2))
    def studio_reassign(self, uid: str, users: set[str]) -> None:
        current = self.world.source.get(uid)
        if current is not None and current.status != "cancelled":
            self.world.source.put(
                appt(uid, *sorted(users)).evolve(
                    title=current.title, start=current.start, end=current.end, client=current.client
                )
            )

    @rule(uid=st.sampled_from(UIDS))
    def studio_cancel(self, uid: str) -> None:
        current = self.world.source.get(uid)
        if current is not None:
            self.world.source.put(current.evolve(status="cancelled"))

    @rule(uid=st.sampled_from(UIDS))
    def studio_remove(self, uid: str) -> None:
        self.world.source.remove(uid)
        self.edits.pop(("studio", uid, "title"), None)  # the studio dropped its own edit with the row

    @rule()
    def import_outbox(self) -> None:
        # importing writes whole rows: a studio edit no sync has seen yet is replaced before any export
        # shows it, so the engine cannot know of it (the studio software's own import semantics)
        for change in self.world.source.pending:
            self.edits.pop(("studio", change.appointment.uid, "title"), None)
            self.imported.add(change.appointment.uid)
        self.world.source.import_outbox()

    # --- the calendars --------------------------------------------------------------------------------

    def _pick(self, user_id: str, index: int) -> Any:
        live = sorted(self.world.cal(user_id).live(), key=lambda e: e.event_id)
        return live[index % len(live)] if live else None

    @rule(user_id=st.sampled_from(USERS), index=st.integers(0, 5), title=st.sampled_from(TITLES))
    def calendar_edit(self, user_id: str, index: int, title: str) -> None:
        entry = self._pick(user_id, index)
        if entry is not None:
            self.world.cal(user_id).edit(entry.event_id, title=title, location=f"room {index}")
            if user_id in TWO_WAY and title != entry.appointment.title:
                self.edits[(user_id, entry.appointment.uid, "title")] = title

    @rule(user_id=st.sampled_from(USERS), index=st.integers(0, 5))
    def calendar_delete(self, user_id: str, index: int) -> None:
        entry = self._pick(user_id, index)
        if entry is not None:
            self.world.cal(user_id).delete(entry.event_id)
            self.edits.pop((user_id, entry.appointment.uid, "title"), None)  # the person undid it themselves

    @rule(user_id=st.sampled_from(USERS), day=st.integers(1, 20))
    def calendar_add(self, user_id: str, day: int) -> None:
        self.world.cal(user_id).add(appt("tmp", day=day, title="Made on Google", client="", type=""))

    # --- faults ---------------------------------------------------------------------------------------

    @rule(
        user_id=st.sampled_from(USERS),
        count=st.integers(1, 3),
        status=st.sampled_from(["failed", "precondition-failed"]),
    )
    def failing_writes(self, user_id: str, count: int, status: str) -> None:
        self.world.backend.fail_writes(user_id, count, status)  # type: ignore[arg-type]
        self.faulty = True

    @rule(writes=st.integers(0, 4))
    def crash(self, writes: int) -> None:
        self.world.backend.crash_after(writes)
        with contextlib.suppress(SimulatedCrash):
            self.world.sync(force=True)
        self.imported.clear()
        self.world.backend.crash_after(None)
        self.faulty = True
        self._consume()

    def _consume(self) -> None:
        """Edits the state's merged records now hold are taken: a later edit may rightly replace them."""
        with self.world.store() as store:
            records = store.view().records
        for key in list(self.edits):
            _, uid, name = key
            row = records.get(uid)
            if row is not None and row.appointment().canonical([name])[name] == self.edits[key]:
                del self.edits[key]

    # --- syncing --------------------------------------------------------------------------------------

    @rule()
    def sync(self) -> None:
        report = self.world.sync(force=True)
        self.imported.clear()
        if self.faulty:
            self.faulty = False
            self.world.backend._write_faults.clear()
            self._consume()
            return
        assert report.exit_code == 0, report.users
        self.check_converged()
        again = self.world.sync(force=True)
        assert again.plan.empty, again.plan.actions
        self.edits.clear()

    def check_converged(self) -> None:
        world = self.world
        with world.store() as store:
            view = store.view()
            conflicts = store.conflicts()
        pending = {c.appointment.uid: shown_after(c) for c in world.source.pending}
        for u in USERS:
            world.events(u)  # no duplicates
        for uid, row in view.records.items():
            record = row.appointment()
            shows = pending.get(uid) or world.source.get(uid)
            if (shows is not None and row.origin == "studio") or uid in pending:
                assert shows is not None
                assert shows.fingerprint(STUDIO_REPLICA_FIELDS) == row.studio_fp, uid
            for u in USERS:
                events = world.events(u)
                wanted = record.status != "cancelled" and u in record.users
                if wanted:
                    assert uid in events, (uid, u)
                    assert events[uid].appointment.fingerprint(CALENDAR_FIELDS) == row.cal_fp, (uid, u)
                else:
                    assert uid not in events, (uid, u)
        for (side, uid, name), value in self.edits.items():
            row = view.records.get(uid)
            if row is None or row.appointment().canonical([name])[name] == value:
                continue
            kept = [
                c for c in conflicts if c.uid == uid and c.field == name and value in (c.studio, c.google)
            ]
            lost_to_deletion = row.status == "cancelled"
            assert kept or lost_to_deletion, (side, uid, name, value)

    @precondition(lambda self: not self.faulty)
    @invariant()
    def no_duplicates(self) -> None:
        for u in USERS:
            self.world.events(u)


class GoogleWinsInPlaceMachine(SyncMachine):
    """The same, with the google-wins policy and a studio side written in place."""

    POLICY = "google-wins"
    WRITEBACK = "in-place"


SyncMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)
GoogleWinsInPlaceMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)
TestSync = SyncMachine.TestCase
TestSyncGoogleWinsInPlace = GoogleWinsInPlaceMachine.TestCase
