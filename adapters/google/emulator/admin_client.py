"""A client for the Calendar service's admin API, for a server running in another process.

Benchmarks and tests that start ``syncengine emulator serve`` as a subprocess use it to inject faults and
latency, add accounts and read the request counts (the routes are those of :mod:`.admin`).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def admin_call(root_url: str, route: str, body: dict[str, Any] | None = None,
               timeout: float = 30.0) -> dict[str, Any]:
    """GET ``<root>_admin/<route>``, or POST ``body`` as JSON there; the answer's JSON object."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{root_url}_admin/{route}",
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer: dict[str, Any] = json.loads(response.read() or b"{}")
        return answer
