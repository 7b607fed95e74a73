"""Building the Calendar v3 client offline, one per thread.

The service object comes from the discovery document bundled with google-api-python-client
(``static_discovery=True``), so building it needs no network.  ``google.endpoint`` is a root URL like
Google's own: the REST API lives under ``calendar/v3/`` and batches go to ``batch/calendar/v3``.  The
client library's batch helper ignores the endpoint override, so batches are built here with an explicit
``batch_uri``.

``httplib2.Http`` is not thread-safe, so every thread gets its own ``Http`` and service object
(:class:`ThreadClients`); the credentials are shared (their refresh is serialised).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import google.auth.credentials
import httplib2
from google_auth_httplib2 import AuthorizedHttp  # type: ignore[import-untyped]
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

DEFAULT_TIMEOUT = 30.0


def normalise_root(root: str) -> str:
    """The root URL with exactly one trailing slash."""
    return root.rstrip("/") + "/"


class CalendarClient:
    """One thread's HTTP connection and Calendar service object."""

    def __init__(self, root: str, credentials: google.auth.credentials.Credentials,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.root = normalise_root(root)
        self.http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        self.service: Any = build(
            "calendar",
            "v3",
            http=self.http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.root + "calendar/v3/"},
            num_retries=0,
        )
        # Built once: every `service.events()` builds all of the resource's methods from the discovery
        # document again, which was most of the client's CPU time per call.
        self.events: Any = self.service.events()
        self.batch_uri = self.root + "batch/calendar/v3"

    def new_batch(
        self, callback: Callable[[str, Any, Exception | None], None] | None = None
    ) -> BatchHttpRequest:
        return BatchHttpRequest(callback=callback, batch_uri=self.batch_uri)

    def close(self) -> None:
        self.http.close()
        self.service.close()


class ThreadClients:
    """A :class:`CalendarClient` per thread, built on first use; :meth:`close` closes them all."""

    def __init__(self, factory: Callable[[], CalendarClient]) -> None:
        self._factory = factory
        self._local = threading.local()
        self._all: list[CalendarClient] = []
        self._lock = threading.Lock()

    def get(self) -> CalendarClient:
        client: CalendarClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._factory()
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            clients, self._all = self._all, []
        for client in clients:
            client.close()
        self._local = threading.local()
