"""A state machine: random writes (some batched) and paged, interleaved listings through the real client.

The client keeps its own picture of the calendar, built only from a full list and then syncToken
deltas (falling back to a full list on 410), the way a sync engine does.  After every sync the picture
must equal what the server holds, and every write must answer as Google would (409 for a used id, 410
for a second delete).
"""

from __future__ import annotations

from typing import Any

from emulator_support import ACCOUNT, make_client, new_batch, timed
from googleapiclient.errors import HttpError
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from adapters.google.emulator import CalendarService

IDS = st.sampled_from(["evaaa", "evbbb", "evccc", "evddd", "eveee", "evfff"])
SUMMARIES = st.sampled_from(["Portrait", "Wedding", "Newborn", "Headshots"])
OPS = st.tuples(st.sampled_from(["insert", "update", "patch", "delete"]), IDS, SUMMARIES)


class CalendarSync(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.service = CalendarService().start()
        self.token = self.service.add_account(ACCOUNT)
        self.client = make_client(self.service.root_url, self.token)
        #: what the server should hold: id -> summary, None once deleted
        self.model: dict[str, str | None] = {}
        #: what the client learnt from listings: id -> (summary, etag)
        self.picture: dict[str, tuple[str, str]] = {}
        self.sync_token: str | None = None

    def teardown(self) -> None:
        self.client.close()
        self.service.stop()

    # -- writes --------------------------------------------------------------------------------------

    def _request(self, op: str, event_id: str, summary: str) -> tuple[Any, int]:
        """The request for one operation and the status Google would answer."""
        events = self.client.events()
        state = self.model.get(event_id, "absent")
        if op == "insert":
            request = events.insert(calendarId="primary", body=timed(summary, id=event_id),
                                    sendUpdates="none")
            expected = 200 if state == "absent" else 409
        elif op == "update":
            body = timed(summary)  # a full replacement with a live status restores a deleted event
            request = events.update(calendarId="primary", eventId=event_id, body=body)
            expected = 404 if state == "absent" else 200
        elif op == "patch":
            request = events.patch(calendarId="primary", eventId=event_id, body={"summary": summary})
            expected = 404 if state == "absent" else 200
        else:
            request = events.delete(calendarId="primary", eventId=event_id)
            expected = 404 if state == "absent" else 410 if state is None else 204
        return request, expected

    def _apply(self, op: str, event_id: str, summary: str) -> None:
        if op == "delete":
            self.model[event_id] = None
        elif op == "patch":
            # a patch of a deleted event renames the tombstone but leaves it deleted
            if self.model.get(event_id) is not None:
                self.model[event_id] = summary
        else:
            self.model[event_id] = summary

    @rule(op=OPS)
    def single(self, op: tuple[str, str, str]) -> None:
        request, expected = self._request(*op)
        try:
            request.execute()
            status = 204 if op[0] == "delete" else 200
        except HttpError as exc:
            status = exc.resp.status
        assert status == expected, (op, status)
        if status < 300:
            self._apply(*op)

    @rule(ops=st.lists(OPS, min_size=1, max_size=6))
    def batched(self, ops: list[tuple[str, str, str]]) -> None:
        outcomes: dict[str, int] = {}

        def callback(request_id: str, response: Any, exception: HttpError | None) -> None:
            outcomes[request_id] = exception.resp.status if exception else 200

        batch = new_batch(self.service, callback)
        expectations = []
        for n, op in enumerate(ops):
            request, expected = self._request(*op)
            # the server runs the calls in order, so the model follows along call by call
            expectations.append((str(n), expected if expected != 204 else 200))
            if expected < 300:
                self._apply(*op)
            batch.add(request, request_id=str(n))
        batch.execute()
        assert outcomes == dict(expectations)

    @rule(op=OPS, kind=st.sampled_from(["429", "403-rate", "500", "503"]))
    def refused_write(self, op: tuple[str, str, str], kind: str) -> None:
        """An injected error refuses the write before it runs: nothing changes."""
        self.service.faults.inject(kind)
        request, _ = self._request(*op)
        try:
            request.execute()
        except HttpError as exc:
            assert exc.resp.status == int(kind[:3])
        else:
            raise AssertionError(f"{kind} was not injected")

    # -- reads ---------------------------------------------------------------------------------------

    def _take(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            if item["status"] == "cancelled":
                self.picture.pop(item["id"], None)
            else:
                self.picture[item["id"]] = (item["summary"], item["etag"])

    def _full_sync(self, interleave: tuple[str, str, str] | None = None) -> None:
        self.picture = {}
        page_token = None
        while True:
            page = self.client.events().list(calendarId="primary", maxResults=2, pageToken=page_token,
                                             showDeleted=False).execute()
            self._take(page["items"])
            page_token = page.get("nextPageToken")
            if page_token is None:
                self.sync_token = page["nextSyncToken"]
                return
            if interleave is not None:
                self.single(interleave)
                interleave = None

    @rule()
    def incremental_sync(self) -> None:
        if self.sync_token is None:
            self._full_sync()
        else:
            page_token = None
            try:
                while True:
                    page = self.client.events().list(calendarId="primary", syncToken=self.sync_token,
                                                     pageToken=page_token, maxResults=2).execute()
                    self._take(page["items"])
                    page_token = page.get("nextPageToken")
                    if page_token is None:
                        self.sync_token = page["nextSyncToken"]
                        break
            except HttpError as exc:
                assert exc.resp.status == 410
                self._full_sync()
        self._check()

    @rule(op=OPS)
    def full_sync_with_a_write_between_pages(self, op: tuple[str, str, str]) -> None:
        self._full_sync(interleave=op)
        # the write between pages shows up in the next delta at the latest
        self.incremental_sync()

    @precondition(lambda self: self.sync_token is not None)
    @rule()
    def google_invalidates_tokens(self) -> None:
        self.service.invalidate_sync_tokens()

    def _check(self) -> None:
        truth = {e["id"]: (e["summary"], e["etag"]) for e in self.service.events(ACCOUNT)}
        assert self.picture == truth
        assert {k: v[0] for k, v in truth.items()} == {k: v for k, v in self.model.items() if v is not None}


CalendarSync.TestCase.settings = settings(max_examples=20, stateful_step_count=20, deadline=None)
TestCalendarSync = CalendarSync.TestCase
