"""The HTTP front of the service and its Python handle, :class:`CalendarService`.

A stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive (httplib2 reuses its connections).
Each request is read whole, passed through the fault rules, then to the API router (or the batch
endpoint, or the ``/_admin/`` API).  Store access is serialised by the store's lock, so the threads only
overlap in network I/O and injected latency.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
import threading
import traceback
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from adapters.google.emulator import admin, batch
from adapters.google.emulator.accounting import Accounting, CallRecord
from adapters.google.emulator.api import CalendarApi
from adapters.google.emulator.calls import JSON_TYPE, ApiRequest, ApiResponse
from adapters.google.emulator.errors import ApiError, EmulatorError
from adapters.google.emulator.faults import FaultInjector, error_for
from adapters.google.emulator.resource import rfc3339_ms
from adapters.google.emulator.store import Store

BATCH_PATH = "/batch/calendar/v3"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: CalendarService) -> None:
        self.service = service
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake every handler blocked on a kept-alive connection, so it ends."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    #: an idle kept-alive connection is closed after this many seconds
    timeout = 120

    def setup(self) -> None:
        super().setup()
        # headers and body leave in separate writes; without this, Nagle's algorithm meets the
        # client's delayed ACK and every kept-alive request stalls for ~40 ms
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the service accounts for requests itself (and headers may hold tokens)."""

    def do_GET(self) -> None:
        try:
            self._serve()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            # a bug or a store closed under a late request: answer like Google's backend would, and
            # leave the details on stderr (request headers are not part of them)
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send(ApiResponse.error(ApiError(500, "backendError", "Backend Error")))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        service = self.server.service
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.path.startswith(admin.PREFIX):
            self._send(admin.handle(service, self.command, self.path, body))
            return
        service.accounting.count("http")
        faults = service.faults
        if faults.latency_seconds:
            service.stopping.wait(faults.latency_seconds)
        request = ApiRequest(self.command, self.path, headers, body)
        is_batch = self.path.split("?")[0].rstrip("/") == BATCH_PATH
        name = "batch" if is_batch else service.api.resolve(request)[0]
        rule = faults.pick(name)
        if rule is not None and rule.kind != "drop-after":
            # the request is refused before it runs, but it was received: account for it
            error = None if rule.kind in ("hang", "drop") else error_for(rule)
            if is_batch:
                service.accounting.count("batch")
            else:
                _, method, _, params = service.api.resolve(request)
                service.api.record(name, method, self.path, params, error.code if error else 0, None, False)
            if error is not None:
                self._send(ApiResponse.error(error))
                return
            if rule.kind == "hang":
                service.stopping.wait(faults.hang_seconds)
            self.close_connection = True
            return
        response = self._run_batch(request) if is_batch else service.api.handle(request)[1]
        if rule is not None:  # drop-after: the work is committed, the answer is lost
            self.close_connection = True
            return
        self._send(response)

    def _run_batch(self, request: ApiRequest) -> ApiResponse:
        service = self.server.service
        service.accounting.count("batch")
        try:
            calls = batch.parse(request.headers.get("content-type", ""), request.body, request.headers)
        except ApiError as error:
            return ApiResponse.error(error)
        parts = []
        # one transaction for the whole batch; each call runs in its own savepoint
        with service.store.transaction():
            for content_id, call in calls:
                parts.append((content_id, service.api.handle(call, in_batch=True,
                                                             fault=service.faults.pick_error)[1]))
        content_type, body = batch.render(parts)
        return ApiResponse(200, body, {"Content-Type": content_type})

    def _send(self, response: ApiResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.body and response.status not in (204, 304):
            self.wfile.write(response.body)


class CalendarService:
    """The embedded Calendar v3 service: a store, an HTTP server thread, faults and accounting.

    ``data_dir=None`` keeps everything in memory; otherwise the store lives in ``data_dir/calendar.db``
    and survives restarts.  Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, data_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0,
                 trust_embedded: bool = False) -> None:
        if trust_embedded and host not in _LOOPBACK:
            raise EmulatorError(f"embedded tokens are only trusted on loopback, not on {host}",
                                hint="serve on 127.0.0.1, or configure static tokens")
        self.data_dir = None if data_dir is None else Path(data_dir)
        self.host = host
        self.port = port
        self.trust_embedded = trust_embedded
        self.faults = FaultInjector()
        self.accounting = Accounting()
        self.stopping = threading.Event()
        self.store = Store(self.data_dir)
        self.api = CalendarApi(self.store, self.accounting, trust_embedded=trust_embedded)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- life cycle -------------------------------------------------------------------------------

    def start(self) -> CalendarService:
        """Serve in a background thread; returns ``self``."""
        if self._server is not None:
            return self
        if self._closed:
            cap = self.api.page_cap
            self.store = Store(self.data_dir)
            self.api = CalendarApi(self.store, self.accounting, trust_embedded=self.trust_embedded)
            self.api.page_cap = cap
            self._closed = False
        self.stopping.clear()
        try:
            self._server = _Server((self.host, self.port), self)
        except OSError as exc:
            raise EmulatorError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                                hint="pick another port with --port, or stop what uses it") from exc
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="calendar-service",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end open connections and close the store (everything is already committed)."""
        server, self._server = self._server, None
        self.stopping.set()
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
        if not self._closed:
            with self.store.lock:
                self.store.close()
            self._closed = True

    def __enter__(self) -> CalendarService:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def max_page_size(self) -> int | None:
        """When set, ``events.list`` pages hold at most this many items, whatever ``maxResults`` says."""
        return self.api.page_cap

    @max_page_size.setter
    def max_page_size(self, value: int | None) -> None:
        self.api.page_cap = value

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT/``: the API lives under ``calendar/v3/``, batches at ``batch/calendar/v3``."""
        if self._server is None:
            raise EmulatorError("the calendar service is not running", hint="call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    # -- accounts and inspection -------------------------------------------------------------------

    def add_account(self, email: str, token: str | None = None, time_zone: str = "UTC") -> str:
        """Create an account with its primary calendar (id = ``email``); returns its bearer token.

        Adding an account that exists adds ``token`` to it and keeps its calendar (and time zone) as is.
        """
        token = token or secrets.token_urlsafe(24)
        try:
            self.api.add_account(email, token, time_zone)
        except ApiError as exc:
            raise EmulatorError(f"cannot add account {email}: {exc.message}") from exc
        return token

    def accounts(self) -> list[str]:
        return sorted(self.store.accounts())

    def time_zone(self, account: str, calendar: str = "primary") -> str:
        body = self._calendar(account, calendar)[1]
        return str(body.get("timeZone", "UTC"))

    def events(self, account: str, calendar: str = "primary",
               show_deleted: bool = False) -> list[dict[str, Any]]:
        """Every event of a calendar, ordered by id, as the server holds it (no HTTP involved)."""
        calendar_id = self._calendar(account, calendar)[1]["id"]
        with self.store.lock:
            rows = self.store.rows("calendar=?", (calendar_id,))
        return [row.body() for row in rows if show_deleted or row.status != "cancelled"]

    def _calendar(self, account: str, calendar: str) -> tuple[str, dict[str, Any]]:
        calendar_id = account if calendar == "primary" else calendar
        with self.store.lock:
            found = self.store.calendar(calendar_id)
        if found is None or found[0] != account:
            raise EmulatorError(f"no calendar {calendar!r} for account {account!r}",
                                hint="add the account first (add_account, or serve --token T=ACCOUNT)")
        return found

    # -- accounting and test hooks -------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Requests by API method, ``batch`` per batch request, ``http`` in total (admin calls aside)."""
        return self.accounting.counts()

    def reset_counts(self) -> None:
        self.accounting.reset()

    def calls(self, method: str | None = None) -> list[CallRecord]:
        """The most recent API calls (optionally of one method), oldest first."""
        return self.accounting.calls(method)

    def invalidate_sync_tokens(self) -> None:
        """Answer every sync token issued so far with 410 ``fullSyncRequired`` (as Google may)."""
        self.store.invalidate_tokens()

    def purge_tombstones(self, older_than: timedelta | None = None) -> int:
        """Forget deleted events (all, or those deleted longer ago than ``older_than``), as Google
        eventually does.  Sync tokens that predate a forgotten deletion, and ``updatedMin`` values
        before the purge, are answered 410 from then on."""
        with self.store.lock:
            now = self.store.now_ms() + 1
        cutoff = now - (0 if older_than is None else int(older_than.total_seconds() * 1000))
        return self.store.purge_tombstones(rfc3339_ms(cutoff))


__all__ = ["JSON_TYPE", "CalendarService"]
