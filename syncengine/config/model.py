"""Typed, frozen configuration objects: what the loader produces from studio.yaml.

Nothing downstream of the loader touches raw YAML.  Every object that a later stage may need to blame
carries a :class:`Where` (file, line, column) of the YAML node it came from.
Paths are already resolved against the config file's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

Direction = Literal["two-way", "push"]
Policy = Literal["merge", "studio-wins", "google-wins", "newest-wins", "manual"]
Side = Literal["studio", "google"]
WritebackMode = Literal["outbox", "in-place", "off"]
Populate = Literal["none", "to-google", "from-google", "both"]


@dataclass(frozen=True)
class Where:
    """A place in a config file (1-based line and column)."""

    file: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class StudioSettings:
    name: str
    timezone: str
    state: Path


@dataclass(frozen=True)
class SourceConfig:
    id: str
    format: str  # csv | ics, or a third-party adapter's name
    path: Path
    dialect: str | None = None
    #: canonical field name -> header name, overriding the dialect's preset.
    columns: tuple[tuple[str, str], ...] = ()
    encoding: str = "auto"
    #: columns whose values together make the appointment uid (default: the dialect's id column).
    key: tuple[str, ...] = ()
    #: status label in the export (case-insensitive) -> confirmed | tentative | cancelled
    statuses: tuple[tuple[str, str], ...] = ()
    #: how the files of a drop folder combine: newest export wins per appointment, or each file is a set.
    combine: Literal["newest", "separate"] = "newest"
    where: Where | None = field(default=None, compare=False)

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir() or not self.path.suffix


@dataclass(frozen=True)
class WritebackConfig:
    mode: WritebackMode = "off"
    path: Path | None = None


@dataclass(frozen=True)
class Credentials:
    type: Literal["oauth", "service_account", "static_token"]
    client_secrets: Path | None = None
    token_dir: Path | None = None
    key_file: Path | None = None
    subject: str | None = None
    #: static_token only; never logged.  `token_env` names an environment variable holding it instead.
    token: str | None = field(default=None, repr=False)
    token_env: str | None = None


@dataclass(frozen=True)
class Window:
    past_days: int = 30
    future_days: int = 365


@dataclass(frozen=True)
class UserSync:
    enabled: bool = True
    direction: Direction = "two-way"
    window: Window = Window()
    include_tentative: bool = False
    #: one-time backfill beyond the window; done once, then remembered in the state file.
    populate: Populate = "none"
    #: email this user's warnings and errors too (to `google.account` unless `email` is set on the user).
    notify: bool = False


@dataclass(frozen=True)
class GoogleAccount:
    account: str
    calendar: str = "primary"
    credentials: Credentials | None = None


@dataclass(frozen=True)
class UserConfig:
    id: str
    name: str
    google: GoogleAccount
    aliases: tuple[str, ...] = ()
    sync: UserSync = UserSync()
    email: str | None = None
    where: Where | None = field(default=None, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this user may appear under in an export."""
        return (self.name, self.id, *self.aliases)


@dataclass(frozen=True)
class ResourceConfig:
    id: str
    name: str
    kind: Literal["room", "location", "equipment"] = "room"


@dataclass(frozen=True)
class GoogleConfig:
    endpoint: str = "embedded"  # "embedded" or a root URL ending in "/"
    credentials: Credentials = Credentials(type="oauth")
    batch_size: int = 50
    #: most HTTP requests one user's sync may make in one run (a runaway guard).
    request_budget: int = 10_000


@dataclass(frozen=True)
class ConflictsConfig:
    policy: Policy = "merge"
    prefer: Side = "studio"


@dataclass(frozen=True)
class SafetyConfig:
    max_delete_percent: int = 50
    max_delete_min: int = 10
    #: a source that shrank by more than this share since the last run is refused.
    max_shrink_percent: int = 50
    #: refuse when at least this share of updated events move by one and the same offset.
    max_shift_percent: int = 80


@dataclass(frozen=True)
class ProcessorConfig:
    enabled: bool = True
    interval: timedelta = timedelta(minutes=5)
    watch: bool = True
    debounce: timedelta = timedelta(seconds=2)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    timeout: float = 10.0


@dataclass(frozen=True)
class EmailConfig:
    smtp: SmtpConfig
    sender: str
    #: at most this many digests per recipient per hour.
    max_per_hour: int = 4


@dataclass(frozen=True)
class SinkConfig:
    type: str
    level: str = "info"
    #: the sink's own keys (path, to, ...), validated by the sink.
    options: tuple[tuple[str, Any], ...] = ()
    where: Where | None = field(default=None, compare=False)

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class LoggingConfig:
    sinks: tuple[SinkConfig, ...] = (SinkConfig(type="console"),)


@dataclass(frozen=True)
class StudioConfig:
    """The whole validated configuration."""

    path: Path
    studio: StudioSettings
    sources: tuple[SourceConfig, ...]
    users: tuple[UserConfig, ...]
    writeback: WritebackConfig = WritebackConfig()
    resources: tuple[ResourceConfig, ...] = ()
    google: GoogleConfig = GoogleConfig()
    conflicts: ConflictsConfig = ConflictsConfig()
    safety: SafetyConfig = SafetyConfig()
    processor: ProcessorConfig = ProcessorConfig()
    email: EmailConfig | None = None
    logging: LoggingConfig = LoggingConfig()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def user(self, user_id: str) -> UserConfig:
        for user in self.users:
            if user.id == user_id:
                return user
        raise KeyError(user_id)

    @property
    def enabled_users(self) -> tuple[UserConfig, ...]:
        return tuple(u for u in self.users if u.sync.enabled)

    def credentials_for(self, user: UserConfig) -> Credentials:
        """The user's own credentials, else the studio-wide ones."""
        return user.google.credentials or self.google.credentials
