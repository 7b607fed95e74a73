"""The email sink: one digest per run of that run's warnings and errors, per recipient, rate-limited.

Options: ``to`` (the addresses that get every digest) and ``level`` (default ``warning``; ``error`` sends
only errors).  Users with ``sync.notify: true`` also get a digest of the events about them (at their
``email``, else their Google account).  The mail goes out when the run ends, one message per recipient,
each line naming the file and line it came from when an input problem caused it.

SMTP comes from ``email.smtp``: SSL (``ssl: true``) or STARTTLS (``starttls: true``), and a login with
``username`` plus a password read at send time from the environment variable ``password_env`` or the
file ``password_file``; a password is never in the config, and never in a log, an error or a mail.

At most ``email.max_per_hour`` digests go to one recipient in any hour, so a failing night never sends
hundreds of mails.  A digest over the limit is held back and counted; the next digest that goes out says
how many were held and where to read them (``syncengine log``).  What was sent when is remembered in
``<state folder>/email-digests.json``, so restarting the processor does not reset the limit.

A dry run sends nothing and uses up none of the limit: its events (those of a run whose ``run-start``,
``plan`` or ``run-end`` says ``dry_run: true``) are dropped, including any collected before that was known.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncengine.errors import EmailError
from syncengine.logs.base import LogEvent, RecordSink, level_at_least, redact

if TYPE_CHECKING:
    from syncengine.config.model import EmailConfig, SinkConfig, SmtpConfig, StudioConfig

STATE_NAME = "email-digests.json"
_WINDOW = timedelta(hours=1)


def smtp_password(smtp: SmtpConfig) -> str | None:
    """The SMTP password from ``password_env`` or ``password_file``; None when no login is configured."""
    if not smtp.username:
        return None
    if smtp.password_env:
        value = os.environ.get(smtp.password_env)
        if not value:
            raise EmailError(smtp.host, smtp.port, f"the environment variable {smtp.password_env} "
                             "(email.smtp.password_env) is not set")
        return value
    if smtp.password_file is not None:
        try:
            return smtp.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            reason = f"cannot read email.smtp.password_file {smtp.password_file}: {exc.strerror}"
            raise EmailError(smtp.host, smtp.port, reason) from exc
    raise EmailError(smtp.host, smtp.port, "email.smtp.username is set but neither password_env nor "
                     "password_file says where the password is")


def open_smtp(smtp: SmtpConfig) -> smtplib.SMTP:
    """A connected, greeted, secured and logged-in SMTP client (the caller closes it).

    Raises :class:`EmailError` with the password kept out of the message.
    """
    password = smtp_password(smtp)
    context = ssl.create_default_context()
    client: smtplib.SMTP | None = None
    try:
        if smtp.ssl:
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        client.ehlo()
        if smtp.starttls and not smtp.ssl:
            client.starttls(context=context)
            client.ehlo()
        if smtp.username and password is not None:
            client.login(smtp.username, password)
    except (smtplib.SMTPException, OSError) as exc:
        if client is not None:
            client.close()
        raise EmailError(smtp.host, smtp.port, redact(_describe(exc), [password or ""])) from exc
    return client


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        raw = exc.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


class EmailSink(RecordSink):
    """Collects warnings and errors per run and mails them as one digest when the run ends."""

    records_dry_runs = False

    def __init__(self, config: SinkConfig, studio: StudioConfig, *,
                 clock: Callable[[], datetime] | None = None, state_path: Path | None = None) -> None:
        level = config.level if level_at_least(config.level, "warning") else "warning"
        super().__init__(level)
        if studio.email is None:
            raise EmailError("?", 0, "an email log sink needs the email.smtp settings")
        self.email: EmailConfig = studio.email
        self.studio_name = studio.studio.name
        self.to: tuple[str, ...] = tuple(str(a) for a in (config.option("to") or ()))
        self.user_addresses = {u.id: (u.email or u.google.account) for u in studio.users if u.sync.notify}
        self.state_path = state_path or studio.studio.state.parent / STATE_NAME
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._runs: dict[str | None, list[LogEvent]] = {}
        self._ended: list[str] = []
        #: digests sent by this sink since it was built (the state file keeps the last hour's times)
        self.sent_count = 0

    # --- collecting ------------------------------------------------------------------------------------

    def record(self, event: LogEvent) -> None:
        if event.kind == "run-end":
            return
        key = event.run_id if event.run_id not in self._ended else None
        with self._lock:
            self._runs.setdefault(key, []).append(event)

    def on_run_start(self, event: LogEvent) -> None:
        if self.dry_runs.belongs(event):
            if event.run_id is not None:  # drop what came before the run said it is dry
                with self._lock:
                    self._runs.pop(event.run_id, None)
            return
        self._maybe(event)

    def on_run_end(self, event: LogEvent) -> None:
        if self.dry_runs.belongs(event):
            if event.run_id is not None:
                with self._lock:
                    self._runs.pop(event.run_id, None)
            return
        with self._lock:
            events = self._runs.pop(event.run_id, []) + self._runs.pop(None, [])
            if event.run_id is not None:
                self._ended = [*self._ended[-99:], event.run_id]
        if events:
            self.send_digest(event, events)

    def close(self) -> None:
        with self._lock:
            leftover = [e for events in self._runs.values() for e in events]
            self._runs.clear()
        if leftover:
            self.send_digest(None, leftover)

    # --- sending ---------------------------------------------------------------------------------------

    def recipients(self, events: list[LogEvent]) -> dict[str, list[LogEvent]]:
        out: dict[str, list[LogEvent]] = {address: list(events) for address in self.to}
        for user, address in self.user_addresses.items():
            mine = [e for e in events if e.user == user]
            if mine:
                out.setdefault(address, []).extend(e for e in mine if e not in out.get(address, []))
        return out

    def send_digest(self, end: LogEvent | None, events: list[LogEvent]) -> int:
        """Mail ``events`` to each recipient within the rate limit; returns how many mails went out.

        One SMTP connection carries every recipient's message.
        """
        now = self.clock()
        sent = 0
        with self._lock:
            state = self._load_state()
            outgoing: list[tuple[str, EmailMessage]] = []
            for address, mine in self.recipients(events).items():
                if not mine:
                    continue
                times = [t for t in state["sent"].get(address, []) if now - _parse(t) < _WINDOW]
                state["sent"][address] = times
                if len(times) >= self.email.max_per_hour:
                    held = state["held"].setdefault(address, {"digests": 0, "events": 0, "since": _iso(now)})
                    held["digests"] += 1
                    held["events"] += len(mine)
                    continue
                outgoing.append((address, self.compose(address, end, mine, state["held"].get(address), now)))
            try:
                if outgoing:
                    with _Connection(self.email.smtp) as connection:
                        for address, message in outgoing:
                            connection.send(message)
                            self.sent_count += 1
                            state["sent"][address].append(_iso(now))
                            state["held"].pop(address, None)
                            sent += 1
            finally:
                self._save_state(state)
        return sent

    def compose(self, address: str, end: LogEvent | None, events: list[LogEvent],
                held: dict[str, Any] | None, now: datetime) -> EmailMessage:
        errors = [e for e in events if e.level == "error"]
        warnings = [e for e in events if e.level != "error"]
        run_id = end.run_id if end is not None else None
        counts = f"{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')}"
        message = EmailMessage()
        subject = f"[syncengine] {self.studio_name}: {counts}"
        message["Subject"] = subject + (f" (run {run_id})" if run_id else "")
        message["From"] = self.email.sender
        message["To"] = address
        message["Date"] = formatdate(now.timestamp(), localtime=False)
        message["Message-ID"] = make_msgid(domain=self.email.sender.rpartition("@")[2] or None)
        lines = [f"syncengine for {self.studio_name}: {counts}"
                 + (f" in run {run_id}" if run_id else " outside a run"), f"at {_iso(now)}", ""]
        for title, group in (("Errors", errors), ("Warnings", warnings)):
            if group:
                lines.append(f"{title} ({len(group)}):")
                lines.extend(_line(e) for e in group)
                lines.append("")
        if held:
            lines.append(f"{held['digests']} earlier digest(s) with {held['events']} warning(s) and error(s) "
                         f"since {held['since']} were held back by the limit of {self.email.max_per_hour} "
                         "per hour.")
            lines.append("Read them with `syncengine log -c FILE --since 2h --level warning`.")
            lines.append("")
        lines.append("The full log: `syncengine log -c FILE`" + (f" (run {run_id})." if run_id else "."))
        message.set_content(redact("\n".join(lines)) + "\n")
        return message

    # --- the rate-limit state --------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        data.setdefault("sent", {})
        data.setdefault("held", {})
        return data

    def _save_state(self, state: dict[str, Any]) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".email-", dir=self.state_path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.state_path)


class _Connection:
    """One SMTP connection for a batch of messages; errors become :class:`EmailError`."""

    def __init__(self, smtp: SmtpConfig) -> None:
        self.smtp = smtp
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> _Connection:
        self.client = open_smtp(self.smtp)
        return self

    def send(self, message: EmailMessage) -> None:
        assert self.client is not None
        try:
            self.client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError(self.smtp.host, self.smtp.port, _describe(exc)) from exc

    def __exit__(self, *exc: object) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()
        self.client = None


def _line(event: LogEvent) -> str:
    where = f"{event.origin}: " if event.origin else ""
    who = f" [user {event.user}]" if event.user else ""
    advice = event.data.get("advice") if isinstance(event.data, dict) else None
    text = f"  - {where}{event.message}{who}"
    return f"{text}\n      next: {advice}" if advice else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
