"""Loading studio.yaml into typed, frozen config objects (:mod:`syncengine.config.model`).

:func:`load_config` reports every problem of a file at once, as one :class:`ConfigError` whose problems
each name ``file:line:col`` and, where one helps, a fix ("did you mean ..."), in reading order (sorted by
file, line and column, not in the order the checks found them).  It reads the YAML with
ruamel.yaml's round-trip loader only because that loader remembers where each node was; nothing past this
module sees YAML.  Section builders live here; the rules that span sections (a resource named as a user,
two users on one Google account, email needed but not configured) are in :mod:`syncengine.config.rules`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from syncengine import plugins
from syncengine.config import model as m
from syncengine.config.rules import check_cross_rules
from syncengine.config.schema import Problems, Section, suggest
from syncengine.config.sinks import read_logging
from syncengine.config.zones import zone_problem
from syncengine.errors import ConfigError, ConfigProblem

TOP_KEYS = (
    "version", "studio", "sources", "writeback", "users", "resources", "google",
    "conflicts", "safety", "processor", "email", "logging",
)
SOURCE_KEYS = ("id", "format", "path", "dialect", "columns", "encoding", "key", "statuses", "combine")
USER_KEYS = ("id", "name", "aliases", "google", "sync", "email")
CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {
    "oauth": ("client_secrets", "token_dir"),
    "service_account": ("key_file", "subject"),
    "static_token": ("token", "token_env"),
}
STATUS_VALUES = ("confirmed", "tentative", "cancelled")
POPULATE_VALUES = ("none", "to-google", "from-google", "both")


def load_config(path: Path | str) -> m.StudioConfig:
    """Read and validate ``path``.  Raises :class:`ConfigError` listing every problem found."""
    shown = Path(path)
    problems = Problems(shown)
    try:
        text = shown.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        missing = ConfigProblem(shown, 1, 1, "no such file", "pass the right file with -c")
        raise ConfigError([missing]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(shown, 1, 1, f"cannot read the file: {exc}")]) from exc
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(shown, exc)]) from exc
    except YAMLError as exc:
        raise ConfigError([ConfigProblem(shown, 1, 1, f"YAML syntax error: {exc}")]) from exc
    if not isinstance(data, dict):
        message = "the file must be a YAML mapping (version:, studio:, ...)"
        raise ConfigError([ConfigProblem(shown, 1, 1, message)])
    config = _build(Section(problems, data, "", (1, 1)), shown.resolve())
    if problems.items:
        raise ConfigError(sorted_problems(problems.items))
    return config


def sorted_problems(items: list[ConfigProblem]) -> list[ConfigProblem]:
    """``items`` in reading order: by file, line and column (a stable sort, so problems at one position
    keep the order they were found in)."""
    return sorted(items, key=lambda p: (str(p.file), p.line, p.column))


def _syntax_problem(path: Path, exc: MarkedYAMLError) -> ConfigProblem:
    """Where a YAML syntax error is, as a person would look for it."""
    problem, context = exc.problem_mark, exc.context_mark
    mark = problem or context
    # Running off the end of the file (an unclosed bracket or quote) is blamed on where the unclosed
    # thing started, not on the last line.
    if context is not None and (problem is None or "<stream end>" in (exc.problem or "")):
        mark = context
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    reason = " ".join(part for part in (exc.context, exc.problem) if part)
    other = context if mark is problem else problem
    if other is not None and other.line + 1 != line:
        reason += f" (see also line {other.line + 1})"
    hint = "check the indentation, brackets and quoting on this line and the one before"
    return ConfigProblem(path, line, column, f"YAML syntax error: {reason}", hint)


def _build(root: Section, path: Path) -> m.StudioConfig:
    """The config objects, with defaults where a problem was recorded (the caller raises then)."""
    base = path.parent
    root.check_keys(TOP_KEYS, required=("version", "studio", "sources", "users"))
    version = root.raw("version")
    if version is not None and (isinstance(version, bool) or version != 1):
        root.error(f"unsupported config version {version!r}", "this syncengine reads version: 1",
                   key="version")
    studio = _studio(root.section("studio", required=True), base)
    sources = tuple(_source(s, base) for s in root.items("sources"))
    if isinstance(root.raw("sources"), list) and not sources:
        root.error("'sources' lists no export", "add at least one source (format, path)", key="sources")
    google = _google(root.section("google"), base, studio)
    users = tuple(_user(u, base, studio.state.parent / "tokens") for u in root.items("users"))
    resources = tuple(_resource(r) for r in root.items("resources"))
    email = _email(root.section("email"), base)
    config = m.StudioConfig(
        path=path,
        studio=studio,
        sources=tuple(s for s in sources if s is not None),
        users=tuple(u for u in users if u is not None),
        writeback=_writeback(root.section("writeback"), base),
        resources=tuple(r for r in resources if r is not None),
        google=google,
        conflicts=_conflicts(root.section("conflicts")),
        safety=_safety(root.section("safety")),
        processor=_processor(root.section("processor")),
        email=email,
        logging=read_logging(root.section("logging"), base),
    )
    check_cross_rules(root, config)
    return config


def _studio(sec: Section | None, base: Path) -> m.StudioSettings:
    if sec is None:
        return m.StudioSettings(name="", timezone="UTC", state=base / ".syncengine/state.db")
    sec.check_keys(("name", "timezone", "state"), required=("name", "timezone"))
    zone = sec.text("timezone", "UTC", required=True)
    problem = zone_problem(zone) if sec.has("timezone") and zone else None
    if problem is not None:
        message, hint = problem
        sec.error(f"'studio.timezone' {message}", hint, key="timezone")
    state = sec.path_value("state", base) if sec.has("state") else None
    return m.StudioSettings(
        name=sec.text("name", "", required=True),
        timezone=zone,
        state=state or base / ".syncengine" / "state.db",
    )


def _source(sec: Section, base: Path) -> m.SourceConfig | None:
    sec.check_keys(SOURCE_KEYS, required=("id", "format", "path"))
    fmt = sec.text("format", "", required=True)
    known = plugins.names(plugins.SOURCES)
    if fmt and known and fmt not in known:
        hint = suggest(fmt, known) or f"installed formats: {', '.join(known)}"
        sec.error(f"'{sec.name('format')}': no source adapter for format '{fmt}'", hint, key="format")
    statuses = sec.text_map("statuses")
    for label, status in statuses:
        if status not in STATUS_VALUES:
            sec.error(f"'{sec.name('statuses')}.{label}' must be one of {', '.join(STATUS_VALUES)}",
                      suggest(status, STATUS_VALUES), key="statuses")
    path = sec.path_value("path", base)
    source_id = sec.text("id", "", required=True)
    # Every getter runs before the early return, so each of their problems is reported too.
    dialect, columns = sec.text("dialect", None), sec.text_map("columns")
    encoding, key = sec.text("encoding", "auto", required=True), sec.text_list("key")
    combine = sec.choice("combine", ("newest", "separate"), "newest")
    if not (source_id and fmt and path):
        return None
    return m.SourceConfig(
        id=source_id,
        format=fmt,
        path=path,
        dialect=dialect,
        columns=columns,
        encoding=encoding,
        key=key,
        statuses=statuses,
        combine=cast(Any, combine),
        where=sec.where(),
    )


def _writeback(sec: Section | None, base: Path) -> m.WritebackConfig:
    if sec is None:
        return m.WritebackConfig()
    sec.check_keys(("mode", "path"))
    mode = sec.choice("mode", ("outbox", "in-place", "off"), "off")
    path = sec.path_value("path", base) if sec.has("path") else None
    if mode == "outbox" and path is None:
        sec.error("'writeback.path' is required for mode outbox",
                  "name the folder the studio software imports from, e.g. imports/from-google")
    return m.WritebackConfig(mode=cast(m.WritebackMode, mode), path=path)


def _credentials(sec: Section, base: Path, tokens: Path) -> m.Credentials:
    """One credentials mapping; ``tokens`` is the default token folder (beside the state file)."""
    known_type = sec.raw("type") in CREDENTIAL_KEYS
    kind = sec.choice("type", tuple(CREDENTIAL_KEYS), "oauth")
    if not known_type:
        # Without a known type the other keys cannot be judged; report the type alone.
        if not sec.has("type"):
            sec.error(f"'{sec.name('type')}' is required", f"one of: {', '.join(CREDENTIAL_KEYS)}")
        return m.Credentials(type="oauth")
    for other, keys in CREDENTIAL_KEYS.items():
        for key in keys:
            if other != kind and key in sec.data:
                sec.error(f"'{sec.name(key)}' belongs to {other} credentials, not {kind}",
                          f"remove it, or set type: {other}", key=key, at_value=False)
    sec.check_keys(("type", *(k for keys in CREDENTIAL_KEYS.values() for k in keys)))
    if kind == "oauth" and not sec.has("client_secrets"):
        sec.error(f"'{sec.name('client_secrets')}' is required for oauth credentials",
                  "download the OAuth client JSON from the Google Cloud console and name its path")
    if kind == "service_account" and not sec.has("key_file"):
        sec.error(f"'{sec.name('key_file')}' is required for service_account credentials",
                  "name the service account's JSON key file")
    if kind == "static_token" and not (sec.has("token") or sec.has("token_env")):
        sec.error(f"'{sec.path}' needs 'token' or 'token_env' for static_token credentials",
                  "prefer token_env: the name of an environment variable holding the token")
    token_dir = sec.path_value("token_dir", base) if sec.has("token_dir") else None
    return m.Credentials(
        type=cast(Any, kind),
        client_secrets=sec.path_value("client_secrets", base) if sec.has("client_secrets") else None,
        token_dir=token_dir or (tokens if kind == "oauth" else None),
        key_file=sec.path_value("key_file", base) if sec.has("key_file") else None,
        subject=sec.text("subject", None),
        token=sec.text("token", None),
        token_env=sec.text("token_env", None),
    )


def _google(sec: Section | None, base: Path, studio: m.StudioSettings) -> m.GoogleConfig:
    tokens = studio.state.parent / "tokens"
    default_credentials = m.Credentials(type="oauth", token_dir=tokens)
    if sec is None:
        return m.GoogleConfig(credentials=default_credentials)
    sec.check_keys(("endpoint", "credentials", "batch_size", "request_budget"))
    endpoint = sec.text("endpoint", "embedded", required=True)
    if endpoint != "embedded":
        if endpoint.startswith(("http://", "https://")) and len(endpoint.split("://", 1)[1].strip("/")) > 0:
            endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        else:
            sec.error(f"'google.endpoint' must be 'embedded' or an http(s) URL, not '{endpoint}'",
                      "e.g. embedded, or https://www.googleapis.com/", key="endpoint")
            endpoint = "embedded"
    cred_sec = sec.section("credentials")
    credentials = _credentials(cred_sec, base, tokens) if cred_sec is not None else default_credentials
    return m.GoogleConfig(
        endpoint=endpoint,
        credentials=credentials,
        batch_size=sec.integer("batch_size", 50, minimum=0, maximum=1000),
        request_budget=sec.integer("request_budget", 10_000, minimum=1),
    )


def _user(sec: Section, base: Path, tokens: Path) -> m.UserConfig | None:
    sec.check_keys(USER_KEYS, required=("id", "name", "google"))
    user_id = sec.text("id", "", required=True)
    name = sec.text("name", "", required=True)
    google_sec = sec.section("google", hint="write google: {account: name@example.com}")
    account = None
    google = None
    if google_sec is not None:
        google_sec.check_keys(("account", "calendar", "credentials"), required=("account",))
        account = google_sec.text("account", None, required=True)
        cred_sec = google_sec.section("credentials")
        google = m.GoogleAccount(
            account=account or "",
            calendar=google_sec.text("calendar", "primary", required=True),
            credentials=_credentials(cred_sec, base, tokens) if cred_sec is not None else None,
        )
    sync = _user_sync(sec.section("sync"))
    aliases, email = sec.text_list("aliases"), sec.text("email", None)
    if not (user_id and name and google and account):
        return None
    return m.UserConfig(
        id=user_id, name=name, google=google, aliases=aliases, sync=sync, email=email, where=sec.where(),
    )


def _user_sync(sec: Section | None) -> m.UserSync:
    if sec is None:
        return m.UserSync()
    sec.check_keys(("enabled", "direction", "window", "include_tentative", "populate", "notify"))
    window = m.Window()
    win = sec.section("window")
    if win is not None:
        win.check_keys(("past_days", "future_days"))
        window = m.Window(
            past_days=win.integer("past_days", 30, minimum=0),
            future_days=win.integer("future_days", 365, minimum=1),
        )
    return m.UserSync(
        enabled=sec.flag("enabled", True),
        direction=cast(m.Direction, sec.choice("direction", ("two-way", "push"), "two-way")),
        window=window,
        include_tentative=sec.flag("include_tentative", False),
        populate=cast(m.Populate, sec.choice("populate", POPULATE_VALUES, "none")),
        notify=sec.flag("notify", False),
    )


def _resource(sec: Section) -> m.ResourceConfig | None:
    sec.check_keys(("id", "name", "kind"), required=("id",))
    resource_id = sec.text("id", "", required=True)
    kind = sec.choice("kind", ("room", "location", "equipment"), "room")
    if not resource_id:
        return None
    return m.ResourceConfig(id=resource_id, name=sec.text("name", resource_id), kind=cast(Any, kind))


def _conflicts(sec: Section | None) -> m.ConflictsConfig:
    if sec is None:
        return m.ConflictsConfig()
    sec.check_keys(("policy", "prefer"))
    policies = ("merge", "studio-wins", "google-wins", "newest-wins", "manual")
    return m.ConflictsConfig(
        policy=cast(m.Policy, sec.choice("policy", policies, "merge")),
        prefer=cast(m.Side, sec.choice("prefer", ("studio", "google"), "studio")),
    )


def _safety(sec: Section | None) -> m.SafetyConfig:
    if sec is None:
        return m.SafetyConfig()
    sec.check_keys(("max_delete_percent", "max_delete_min", "max_shrink_percent", "max_shift_percent"))
    return m.SafetyConfig(
        max_delete_percent=sec.integer("max_delete_percent", 50, minimum=0, maximum=100),
        max_delete_min=sec.integer("max_delete_min", 10, minimum=0),
        max_shrink_percent=sec.integer("max_shrink_percent", 50, minimum=0, maximum=100),
        max_shift_percent=sec.integer("max_shift_percent", 80, minimum=0, maximum=100),
    )


def _processor(sec: Section | None) -> m.ProcessorConfig:
    if sec is None:
        return m.ProcessorConfig()
    sec.check_keys(("enabled", "interval", "watch", "debounce"))
    defaults = m.ProcessorConfig()
    return m.ProcessorConfig(
        enabled=sec.flag("enabled", True),
        interval=sec.duration("interval", defaults.interval),
        watch=sec.flag("watch", True),
        debounce=sec.duration("debounce", defaults.debounce, allow_zero=True),
    )


def _email(sec: Section | None, base: Path) -> m.EmailConfig | None:
    if sec is None:
        return None
    sec.check_keys(("smtp", "from", "max_per_hour"), required=("from",))
    smtp_sec = sec.section("smtp")
    sender = sec.text("from", "", required=True)
    max_per_hour = sec.integer("max_per_hour", 4, minimum=1)
    if smtp_sec is None:
        sec.error("'email.smtp' is required: the outgoing mail server",
                  "add smtp: {host: ..., port: ...}", key="smtp" if "smtp" in sec.data else None)
        return None
    smtp_keys = ("host", "port", "starttls", "ssl", "username", "password_env", "password_file", "timeout")
    if "password" in smtp_sec.data:
        smtp_sec.error("a password never goes in the config file", "use password_env (an environment "
                       "variable's name) or password_file", key="password", at_value=False)
    # "password" is reported above with its own advice, not as an unknown key.
    smtp_sec.check_keys((*smtp_keys, "password"), required=("host",))
    starttls, ssl = smtp_sec.flag("starttls", False), smtp_sec.flag("ssl", False)
    if starttls and ssl:
        smtp_sec.error("'email.smtp' cannot use both starttls and ssl", "ssl is port 465; starttls is 587",
                       key="ssl")
    host = smtp_sec.text("host", "", required=True)
    smtp = m.SmtpConfig(
        host=host,
        port=smtp_sec.integer("port", 465 if ssl else 25, minimum=1, maximum=65535),
        starttls=starttls,
        ssl=ssl,
        username=smtp_sec.text("username", None),
        password_env=smtp_sec.text("password_env", None),
        password_file=smtp_sec.path_value("password_file", base) if smtp_sec.has("password_file") else None,
        timeout=smtp_sec.number("timeout", 10.0, minimum=0.1),
    )
    if not (host and sender):
        return None
    return m.EmailConfig(smtp=smtp, sender=sender, max_per_hour=max_per_hour)
