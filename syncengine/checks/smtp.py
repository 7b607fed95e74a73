"""`syncengine check`: outgoing mail, when email is configured or an email log sink needs it.

Connects to ``email.smtp`` exactly as the email sink will (SSL or STARTTLS, login with the password from
``password_env`` / ``password_file``) and says hello; no mail is sent.  The password never appears in a
result.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

from syncengine.checks.base import CheckResult, Outcome
from syncengine.config.model import StudioConfig
from syncengine.errors import EmailError
from syncengine.logs.email import open_smtp

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def checks(config: StudioConfig) -> Iterator[CheckResult]:
    wants_mail = any(s.type == "email" for s in config.logging.sinks)
    if config.email is None:
        if wants_mail:  # the loader refuses this; kept so the check stands on its own
            yield CheckResult("smtp", "fail", "an email log sink is configured but email.smtp is not",
                              "add email: {smtp: {host: ..., port: ...}, from: ...} to the config")
        return
    smtp = config.email.smtp
    security = "SSL" if smtp.ssl else "STARTTLS" if smtp.starttls else "no encryption"
    login = f"login as {smtp.username}" if smtp.username else "no login"
    name = "smtp"
    try:
        client = open_smtp(smtp)
    except EmailError as exc:
        if smtp.host in _LOOPBACK and isinstance(exc.__cause__, ConnectionRefusedError):
            # A local relay that is not running (the bundled example points at one): syncing works and
            # only the digests wait, so this warns instead of failing.
            yield CheckResult(name, "warn", f"nothing listens on {smtp.host}:{smtp.port}: digests are not "
                              "sent until a mail server runs there",
                              "start the local mail server, or point email.smtp at the studio's")
            return
        yield CheckResult(name, "fail", f"{smtp.host}:{smtp.port} ({security}, {login}): {exc.reason}",
                          "check email.smtp (host, port, starttls/ssl, username and password_env), "
                          "then run `syncengine check -c FILE` again")
        return
    try:
        client.noop()
    except (smtplib.SMTPException, OSError):
        pass  # greeting and login already succeeded; a server without NOOP is still usable
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    secure = smtp.ssl or smtp.starttls or smtp.host in _LOOPBACK
    outcome: Outcome = "ok" if secure else "warn"
    detail = f"{smtp.host}:{smtp.port} reachable ({security}, {login})"
    fix = "" if secure else "mail to a remote server travels unencrypted: set starttls: true or ssl: true"
    if not wants_mail:
        detail += "; no email log sink is configured, so no digests are sent"
    yield CheckResult(name, outcome, detail, fix)
