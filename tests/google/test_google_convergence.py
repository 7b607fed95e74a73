"""A state machine of creates, updates, deletes, lost state and injected faults against the real service.

After every step the calendar must hold exactly the appointments the model holds, each once, with the
model's title: nothing lost, nothing duplicated, whatever fault hit the step.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from google_support import Sleeps, appointment, create, make_config
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adapters.google import GoogleCalendarBackend
from adapters.google.emulator import CalendarService
from adapters.google.mapping import UID_KEY
from adapters.google.retry import RetryPolicy
from syncengine.model import Appointment
from syncengine.ports import CalendarWrite

ACCOUNT = "amanda@studio.example"
FAULTS = st.sampled_from(["429", "503", "500", "403-rate", "drop", "drop-after"])
TARGETS = st.sampled_from([(), ("batch",), ("events.insert",), ("events.update",), ("events.get",)])


class CalendarConvergence(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.service = CalendarService().start()
        config = make_config(Path(self.tmp.name), self.service, {"amanda": ACCOUNT}, batch_size=4)
        self.backend = GoogleCalendarBackend(
            config, policy_factory=lambda: RetryPolicy(sleep=Sleeps(), random=lambda: 0.0), timeout=2.0)
        self.session = self.backend.open(config.users[0])
        self.model: dict[str, Appointment] = {}
        self.known: dict[str, tuple[str, str]] = {}  # uid -> (event id, etag) as the state file holds it
        self.counter = 0

    def teardown(self) -> None:
        self.backend.close()
        self.service.stop()
        self.tmp.cleanup()

    def _apply(self, writes: list[CalendarWrite]) -> None:
        results = self.session.apply(writes)
        for write, result in zip(writes, results, strict=True):
            assert result.status == "ok", (write.op, write.uid, result.error)
            if write.op == "delete":
                self.known.pop(write.uid, None)
            else:
                assert result.entry is not None and result.event_id is not None
                self.known[write.uid] = (result.event_id, result.entry.etag)

    @rule(count=st.integers(1, 6))
    def add(self, count: int) -> None:
        writes = []
        for _ in range(count):
            self.counter += 1
            appt = appointment(f"M-{self.counter}", day=1 + self.counter % 28)
            self.model[appt.uid] = appt
            writes.append(create("amanda", appt))
        self._apply(writes)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), delete=st.booleans())
    def change(self, data: st.DataObject, delete: bool) -> None:
        uid = data.draw(st.sampled_from(sorted(self.model)))
        if uid not in self.known:  # state lost for it: the planner would create it again (re-link)
            self.model[uid] = self.model[uid].evolve(title=f"relinked {uid}")
            self._apply([create("amanda", self.model[uid])])
            return
        event_id, etag = self.known[uid]
        if delete:
            del self.model[uid]
            self._apply([CalendarWrite("delete", uid, event_id, etag=etag)])
        else:
            self.model[uid] = self.model[uid].evolve(title=f"{self.model[uid].title}+")
            self._apply([CalendarWrite("update", uid, event_id, etag=etag, appointment=self.model[uid])])

    @rule()
    def lose_state(self) -> None:
        self.known.clear()

    @rule(kind=FAULTS, count=st.integers(1, 2), methods=TARGETS)
    def fault(self, kind: str, count: int, methods: tuple[str, ...]) -> None:
        self.service.faults.clear()  # at most two faults pending: within what the retries absorb
        self.service.faults.inject(kind, count=count, methods=methods)

    @invariant()
    def calendar_matches_the_model(self) -> None:
        events = self.service.events(ACCOUNT)
        held = sorted(e["extendedProperties"]["private"][UID_KEY] for e in events)
        assert held == sorted(self.model), "each appointment exactly once"
        titles = {e["extendedProperties"]["private"][UID_KEY]: e["summary"] for e in events}
        assert titles == {uid: a.title for uid, a in self.model.items()}


CalendarConvergence.TestCase.settings = settings(max_examples=12, stateful_step_count=10, deadline=None)
TestCalendarConvergence = CalendarConvergence.TestCase
