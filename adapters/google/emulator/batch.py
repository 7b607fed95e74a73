"""The batch endpoint (``POST /batch/calendar/v3``): ``multipart/mixed`` in, ``multipart/mixed`` out.

Requests are read exactly as google-api-python-client writes them: a boundary that may be quoted, bare
LF (or CRLF) line ends, parts with ``Content-Type: application/http`` and ``Content-ID: <uuid + n>``,
each holding a request line with a path, headers and a body.  Outer headers other than ``Content-*``
apply to every part unless the part sets its own.  Responses come in request order, each part with
``Content-ID: <response-uuid + n>`` (the client finds its id after ``" + "``) and an embedded HTTP
response whose header block ends in CRLF CRLF (the client splits on exactly that).
"""

from __future__ import annotations

import re
import secrets
from http import HTTPStatus

from adapters.google.emulator.calls import ApiRequest, ApiResponse
from adapters.google.emulator.errors import ApiError, bad_request

MAX_CALLS = 50
_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


def _split_head(block: bytes) -> tuple[list[str], bytes]:
    """Header lines (unfolded) and the body after the first empty line (LF or CRLF)."""
    candidates = [(i, n) for i, n in ((block.find(b"\r\n\r\n"), 4), (block.find(b"\n\n"), 2)) if i >= 0]
    if candidates:
        index, width = min(candidates)
        head, body = block[:index], block[index + width:]
    else:
        head, body = block, b""
    lines: list[str] = []
    for raw in head.decode("utf-8", "replace").split("\n"):
        line = raw.rstrip("\r")
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        elif line:
            lines.append(line)
    return lines, body


def _headers(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return out


def parse(content_type: str, body: bytes, outer: dict[str, str]) -> list[tuple[str, ApiRequest]]:
    """The calls of a batch as (Content-ID, request) pairs, in order."""
    found = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/mixed") or not found:
        raise bad_request("Batch request must be multipart/mixed with a boundary.")
    delimiter = b"--" + (found.group(1) or found.group(2)).encode("utf-8")
    defaults = {k: v for k, v in outer.items()
                if not k.startswith("content-") and k not in ("host", "connection", "accept-encoding")}
    calls: list[tuple[str, ApiRequest]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1] if chunk.endswith(b"\n") else chunk
        part_lines, inner = _split_head(chunk)
        part_headers = _headers(part_lines)
        inner_lines, inner_body = _split_head(inner)
        if not inner_lines:
            raise bad_request("A batch part holds no HTTP request.")
        request_line = inner_lines[0].split()
        if len(request_line) < 2:
            raise bad_request(f"Invalid request line in a batch part: {inner_lines[0]}")
        headers = {**defaults, **_headers(inner_lines[1:])}
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            inner_body = inner_body[: int(length)]
        calls.append((part_headers.get("content-id", ""),
                      ApiRequest(request_line[0], request_line[1], headers, inner_body)))
    if not calls:
        raise bad_request("The batch request holds no calls.")
    if len(calls) > MAX_CALLS:
        raise ApiError(400, "badRequest", f"A batch may hold at most {MAX_CALLS} calls, not {len(calls)}.")
    return calls


def _response_id(content_id: str, index: int) -> str:
    inner = content_id.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    return f"<response-{inner or f'item{index} + {index}'}>"


def render(parts: list[tuple[str, ApiResponse]]) -> tuple[str, bytes]:
    """(Content-Type, body) of the batch response."""
    boundary = "batch_" + secrets.token_hex(12)
    out: list[bytes] = []
    for index, (content_id, response) in enumerate(parts, start=1):
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        head = [f"--{boundary}", "Content-Type: application/http",
                f"Content-ID: {_response_id(content_id, index)}", "", f"HTTP/1.1 {response.status} {reason}"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
        head += [f"Content-Length: {len(response.body)}", "", ""]
        out.append("\r\n".join(head).encode("utf-8") + response.body + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(out)
