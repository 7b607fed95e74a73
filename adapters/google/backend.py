"""The ``google`` calendar backend: one :class:`GoogleCalendarSession` per user.

``google.endpoint`` is either a root URL (``https://www.googleapis.com/``, or a test server's) or
``embedded``: then the project's own Calendar v3 service runs in this process on 127.0.0.1 (a free port),
keeping its data in ``<state folder>/calendar``, and each user talks to it as their ``google.account``
(a new calendar there starts in the studio's zone).
It stops when the backend is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from adapters.google.client import DEFAULT_TIMEOUT, normalise_root
from adapters.google.credentials import user_credentials
from adapters.google.retry import RetryPolicy
from adapters.google.session import GoogleCalendarSession
from syncengine.config.model import StudioConfig, UserConfig
from syncengine.errors import TransientError

if TYPE_CHECKING:
    from syncengine.checks.base import CheckResult


class GoogleCalendarBackend:
    """A :class:`syncengine.ports.CalendarBackend` for Google Calendar (or a compatible service)."""

    name: ClassVar[str] = "google"

    def __init__(
        self,
        config: StudioConfig,
        *,
        policy_factory: Callable[[], RetryPolicy] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.config = config
        self._policy_factory = policy_factory or RetryPolicy
        self._timeout = timeout
        self._service: Any = None
        self._root: str | None = None
        self._lock = threading.Lock()
        self._sessions: list[GoogleCalendarSession] = []
        if config.google.endpoint != "embedded":
            self._root = normalise_root(config.google.endpoint)

    @property
    def root_url(self) -> str:
        """The service's root URL (starting the embedded service on first use)."""
        with self._lock:
            if self._root is None:
                self._root = self._start_embedded()
            return self._root

    @property
    def embedded_service(self) -> Any:
        """The embedded CalendarService, when ``google.endpoint`` is ``embedded`` (else None)."""
        _ = self.root_url
        return self._service

    def _start_embedded(self) -> str:
        try:
            from adapters.google.emulator import CalendarService
        except ImportError as exc:  # pragma: no cover - the emulator ships with this package
            raise TransientError("*", "the embedded calendar service is not available") from exc
        data_dir = self.config.studio.state.parent / "calendar"
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            service = CalendarService(data_dir=data_dir, host="127.0.0.1", port=0, trust_embedded=True)
            service.start()
        except OSError as exc:
            raise TransientError("*", f"the embedded calendar service could not start: {exc}") from exc
        # Each user's calendar starts in the studio's zone (the service keeps an existing calendar as it is).
        for user in self.config.users:
            account = user.google.account
            service.add_account(account, token=f"embedded:{account}", time_zone=self.config.studio.timezone)
        self._service = service
        return str(service.root_url)

    def open(self, user: UserConfig) -> GoogleCalendarSession:
        """The user's calendar session (credentials loaded, client built lazily per thread)."""
        credentials = user_credentials(self.config, user)
        session = GoogleCalendarSession(
            self.config, user, self.root_url, credentials,
            policy=self._policy_factory(), timeout=self._timeout)
        with self._lock:
            self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
            service, self._service = self._service, None
            if service is not None:
                self._root = None
        for session in sessions:
            session.close()
        if service is not None:
            service.stop()

    def __enter__(self) -> GoogleCalendarBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def checks(cls, config: StudioConfig) -> Iterable[CheckResult]:
        """What `syncengine check` reports about Google (see :mod:`adapters.google.checks`)."""
        from adapters.google.checks import google_checks

        return google_checks(cls(config, timeout=10.0))

