"""Settings: one pydantic tree loaded from a TOML file at the entry point and passed down.

Nothing here is read at import. `load_settings(path)` reports every problem at once, each
naming the file, the dotted key (or the line, when TOML itself is broken) and how to fix it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from recommender.errors import ConfigError

BUNDLED_CONFIG = Path(__file__).parent / "defaults" / "config.toml"
BUNDLED_FEEDS = Path(__file__).parent / "defaults" / "feeds"
BUNDLED_PREFIX = "bundled:"

FeedKind = Literal["arxiv-rss", "arxiv-api", "hf-daily", "biorxiv", "rss", "atom", "file"]
FileFormat = Literal["auto", "arxiv-rss", "arxiv-api", "hf-daily", "biorxiv", "rss", "atom"]

DEFAULT_URLS: dict[str, str] = {
    "arxiv-rss": "https://rss.arxiv.org/rss/",
    "arxiv-api": "https://export.arxiv.org/api/query",
    "hf-daily": "https://huggingface.co/api/daily_papers",
    "crossref-api": "https://api.crossref.org",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _http_url(value: str) -> str:
    if not _is_http_url(value):
        raise ValueError(f"{value!r} is not an http(s) URL. Fix the scheme")
    return value.rstrip("/")


# An http(s) URL without a trailing slash (one is added where paths are joined).
HttpUrlText = Annotated[str, AfterValidator(_http_url)]


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (plain-text SMTP is allowed only there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StorageSettings(_Section):
    """Where papers, feedback and the outbox live."""

    url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file papersift.db in data_dir.",
    )
    data_dir: str = Field(
        default="papersift-data",
        description="Folder for the default SQLite file and the outbox; relative to the config file.",
    )

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(
                f"{value!r} is not a sqlite:// or postgresql:// URL. "
                "Use e.g. sqlite:///papersift.db or postgresql://user@host/db"
            )
        return value


class FeedSettings(_Section):
    """One feed to follow."""

    name: str = Field(description="Unique name, used in reports and in users' `feeds` lists.")
    kind: FeedKind
    url: str = Field(default="", description="Overrides the kind's default endpoint.")
    path: str = Field(default="", description="For kind 'file': a local feed file.")
    format: FileFormat = Field(default="auto", description="For kind 'file': its format.")
    categories: list[str] = Field(default_factory=list, description="For arxiv-rss.")
    query: str = Field(default="", description="For arxiv-api: a search_query.")
    max_results: int = Field(default=100, ge=1, le=2000, description="For arxiv-api.")
    interval_minutes: int = Field(default=60, ge=1, description="Minimum time between fetches.")
    timeout_seconds: float = Field(default=30.0, gt=0, description="Deadline for the whole fetch.")
    max_bytes: int = Field(default=20_000_000, ge=1024, description="Size limit of a body.")

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            raise ValueError(
                f"{value!r} is not a valid feed name. Use letters, digits, '.', '_' and '-'"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        if value and not _is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL. Fix the scheme")
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> FeedSettings:
        if self.kind == "file" and not self.path:
            raise ValueError("a feed of kind 'file' needs `path`. Give the feed file's path")
        if self.kind != "file" and self.path:
            raise ValueError(f"`path` is only for kind 'file', not {self.kind!r}. Use `url`")
        if self.kind in ("rss", "atom", "biorxiv") and not self.url:
            raise ValueError(f"a feed of kind {self.kind!r} needs `url`. Give the feed's URL")
        if self.kind == "arxiv-rss" and not self.categories and not self.url:
            raise ValueError(
                "a feed of kind 'arxiv-rss' needs `categories` (e.g. [\"cs.LG\"]) or `url`"
            )
        if self.kind == "arxiv-api" and not self.query and not self.url:
            raise ValueError("a feed of kind 'arxiv-api' needs `query` (e.g. \"cat:cs.CL\")")
        return self

    def endpoint(self) -> str:
        """The URL to fetch (not for kind 'file')."""
        if self.url:
            return self.url
        if self.kind == "arxiv-rss":
            return DEFAULT_URLS["arxiv-rss"] + "+".join(self.categories)
        return DEFAULT_URLS[self.kind]


class InlinePaper(_Section):
    """A liked paper given by its text, for papers that have no arXiv id or DOI."""

    title: str = Field(min_length=1)
    abstract: str = ""
    authors: list[str] = Field(default_factory=list)


# What a person may change for themselves on their settings page (see recommender/self_service.py);
# `fixed` names those the admin keeps to the config's value.
SELF_SERVICE_KEYS = (
    "keywords",
    "muted_keywords",
    "muted_authors",
    "followed_authors",
    "frequency",
    "max_papers",
)


def _fixable(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in SELF_SERVICE_KEYS]
    if unknown:
        raise ValueError(
            f"{', '.join(repr(n) for n in unknown)} cannot be fixed: only self-service settings "
            f"can. Use some of {', '.join(SELF_SERVICE_KEYS)}"
        )
    return names


FixedKeys = Annotated[list[str], AfterValidator(_fixable)]


class DefaultsSettings(_Section):
    """What holds for every user, those of the config and those invited."""

    fixed: FixedKeys = Field(
        default_factory=list,
        description="Self-service settings no user may change (the config's value holds).",
    )


class UserSettings(_Section):
    """A person who gets a digest, and their profile."""

    id: str = Field(description="Short unique id used on the command line: letters, digits, -_.")
    email: str
    name: str = ""
    liked: list[str] = Field(default_factory=list, description="arXiv ids or DOIs.")
    liked_papers: list[InlinePaper] = Field(default_factory=list)
    disliked: list[str] = Field(default_factory=list, description="arXiv ids or DOIs.")
    bibtex: str = Field(default="", description="A BibTeX file of liked papers.")
    keywords: dict[str, float] = Field(default_factory=dict, description="term -> weight.")
    muted_keywords: list[str] = Field(default_factory=list)
    muted_authors: list[str] = Field(default_factory=list)
    followed_authors: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list, description="Feed names; empty = all.")
    categories: list[str] = Field(
        default_factory=list, description="arXiv categories; empty = all."
    )
    max_papers: int = Field(default=10, ge=1, le=200)
    threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    schedule: str = Field(default="0 7 * * *", description="Cron: minute hour day month weekday.")
    timezone: str = "UTC"
    send_empty: bool = Field(default=False, description="Send a 'nothing today' note.")
    fixed: FixedKeys = Field(
        default_factory=list,
        description="Self-service settings this user may not change, besides [defaults] fixed.",
    )

    @field_validator("id")
    @classmethod
    def _id_is_simple(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            raise ValueError(
                f"{value!r} is not a valid user id. Use letters, digits, '.', '_', '-'"
            )
        return value

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", value):
            raise ValueError(f"{value!r} is not an email address. Write it as name@host")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a known time zone. Use an IANA name like 'Europe/Berlin'"
            ) from None
        return value

    @field_validator("schedule")
    @classmethod
    def _cron_shape(cls, value: str) -> str:
        from recommender.cron import cron_trigger

        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a cron expression ({exc}). Use 'minute hour day month weekday'"
            ) from None
        return value


class MailSettings(_Section):
    """How digests leave: SMTP when `host` is set, else `.eml` files in `outbox`."""

    from_: str = Field(default="Papersift <papersift@localhost>", alias="from")
    host: str = ""
    port: int = Field(default=0, ge=0, le=65535, description="0: 587 starttls, 465 tls, 25 none.")
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password_env: str = Field(default="", description="Environment variable holding the password.")
    password_file: str = Field(default="", description="File holding the password.")
    ca_file: str = Field(
        default="", description="CA bundle trusted for the server; empty = system."
    )
    outbox: str = Field(default="", description="Folder for .eml files; default data_dir/outbox.")
    timeout_seconds: float = Field(default=60.0, gt=0, description="Deadline for one message.")
    max_per_second: float = Field(default=0.0, ge=0, description="Rate limit; 0 = none.")
    max_attempts: int = Field(default=8, ge=1, description="Temporary failures before giving up.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _secure_enough(self) -> MailSettings:
        if self.host and self.security == "none" and not is_loopback(self.host):
            raise ValueError(
                f"security = 'none' sends mail in plain text; it is only allowed to a loopback "
                f"host, not {self.host!r}. Use 'starttls' or 'tls'"
            )
        if self.host and self.security == "none" and self.username:
            raise ValueError(
                "security = 'none' would send the password unencrypted. Use 'starttls' or "
                "'tls', or remove username for a local relay"
            )
        if self.password_env and self.password_file:
            raise ValueError("give either password_env or password_file, not both")
        return self

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"starttls": 587, "tls": 465, "none": 25}[self.security]


class WebSettings(_Section):
    """The small web app behind the links in digests."""

    base_url: HttpUrlText = Field(
        default="http://127.0.0.1:8080", description="Public URL of the app."
    )
    secret_env: str = Field(default="PAPERSIFT_SECRET", description="Env var with secrets.")
    secret_file: str = Field(default="", description="File of secrets; default data_dir/secret.")
    token_max_age_days: int = Field(default=60, ge=1)


class ArxivSettings(_Section):
    """The arXiv API used to look up liked papers that are not stored yet."""

    api_url: HttpUrlText = DEFAULT_URLS["arxiv-api"]
    timeout_seconds: float = Field(default=30.0, gt=0)


class CrossrefSettings(_Section):
    """Crossref's REST API, used to look up liked DOIs that are not stored yet."""

    api_url: HttpUrlText = DEFAULT_URLS["crossref-api"]
    timeout_seconds: float = Field(default=30.0, gt=0)
    mailto: str = Field(default="", description="Sent with each lookup (Crossref's polite pool).")


class RankingSettings(_Section):
    """What the ranker is offered."""

    candidate_window_days: int = Field(
        default=14, ge=1, le=3650, description="Papers first seen longer ago are not offered."
    )
    score_title_only: bool = Field(
        default=False,
        description="Also offer items without an abstract, scored on their title alone.",
    )
    semantic_weight: float = Field(
        default=0.0,
        ge=0,
        le=10,
        description="Weight of the semantic view (needs the `semantic` extra); 0 = off.",
    )
    fit_sample: int = Field(
        default=50_000,
        ge=100,
        le=5_000_000,
        description="The text model is fitted on at most this many of the newest stored papers.",
    )


class AdminSettings(_Section):
    """Who hears about problems that need a human."""

    email: str = Field(default="", description="Address for health alerts; empty = none.")
    feed_failure_hours: float = Field(default=24.0, gt=0)


class WorkersSettings(_Section):
    """Several `papersift worker` processes share each cycle (PostgreSQL only, procrastinate)."""

    batch_size: int = Field(
        default=200, ge=1, le=10_000, description="Users scored and composed by one task."
    )
    deliver_batch: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Digests sent by one task, over one SMTP connection.",
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="How often a worker says it is alive."
    )
    stalled_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="A worker silent this long is dead: its tasks go to another worker.",
    )
    recover_seconds: int = Field(
        default=10,
        ge=1,
        le=59,
        description="How often one worker looks for stalled tasks and open cycles.",
    )

    @model_validator(mode="after")
    def _stalled_after_heartbeats(self) -> WorkersSettings:
        if self.stalled_seconds < 2 * self.heartbeat_seconds:
            raise ValueError(
                f"stalled_seconds ({self.stalled_seconds:g}) must be at least twice "
                f"heartbeat_seconds ({self.heartbeat_seconds:g}), or live workers look dead"
            )
        return self


class Settings(_Section):
    """The whole configuration."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)
    crossref: CrossrefSettings = Field(default_factory=CrossrefSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    ranking: RankingSettings = Field(default_factory=RankingSettings)
    admin: AdminSettings = Field(default_factory=AdminSettings)
    defaults: DefaultsSettings = Field(default_factory=DefaultsSettings)
    # Absent: one process does each cycle (`papersift run` / `schedule`), as always.
    workers: WorkersSettings | None = None
    feeds: list[FeedSettings] = Field(default_factory=list)
    users: list[UserSettings] = Field(default_factory=list)
    # Not from the file: where it came from, to resolve relative paths.
    source: Annotated[str, Field(exclude=True)] = ""

    @model_validator(mode="after")
    def _workers_need_postgresql(self) -> Settings:
        if self.workers is not None and not self.storage.url.startswith("postgresql"):
            raise ValueError(
                "[workers] needs the tasks' queue in PostgreSQL: set [storage] url = "
                '"postgresql://user@host/db", or remove [workers] to run each cycle in one process'
            )
        return self

    # Paths are relative to the config file's folder, so cron jobs can run from anywhere.
    @property
    def is_bundled(self) -> bool:
        """True for the demo configuration shipped inside the package."""
        return bool(self.source) and Path(self.source) == BUNDLED_CONFIG

    @property
    def base_dir(self) -> Path:
        # The bundled demo keeps its data in the working folder, never inside the package.
        if not self.source or self.is_bundled:
            return Path.cwd()
        return Path(self.source).parent

    def resolve(self, path: str) -> Path:
        """A path from the config: bundled sample, absolute, or relative to the file."""
        if path.startswith(BUNDLED_PREFIX):
            return BUNDLED_FEEDS / path[len(BUNDLED_PREFIX) :]
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.storage.data_dir)

    @property
    def database_url(self) -> str:
        if self.storage.url:
            return self.storage.url
        return f"sqlite:///{self.data_dir / 'papersift.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.mail.outbox) if self.mail.outbox else self.data_dir / "outbox"

    @property
    def secret_path(self) -> Path:
        return (
            self.resolve(self.web.secret_file) if self.web.secret_file else self.data_dir / "secret"
        )

    def user(self, user_id: str) -> UserSettings:
        for user in self.users:
            if user.id == user_id:
                return user
        known = ", ".join(u.id for u in self.users) or "none"
        raise ConfigError(
            f"{self.source or 'config'}: no user {user_id!r}",
            f"Known users: {known}. Add a [[users]] entry with id = {user_id!r}",
        )

    def mail_password(self) -> SecretStr | None:
        """The SMTP password from the environment variable or file named in the config."""
        if self.mail.password_env:
            value = os.environ.get(self.mail.password_env)
            if value is None:
                raise ConfigError(
                    f"{self.source}: mail.password_env: environment variable "
                    f"{self.mail.password_env} is not set",
                    f"Export {self.mail.password_env} before running papersift",
                )
            return SecretStr(value)
        if self.mail.password_file:
            path = self.resolve(self.mail.password_file)
            try:
                return SecretStr(path.read_text(encoding="utf-8").strip())
            except OSError as exc:
                raise ConfigError(
                    f"{self.source}: mail.password_file: cannot read {path} ({exc.strerror})",
                    "Create the file or fix the path",
                ) from None
        return None


def _dotted(location: tuple[str | int, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _key_line(raw_text: str, location: tuple[str | int, ...]) -> int | None:
    """The line of the key named by `location` in the TOML text (for messages only).

    Walks the table headers: ("users", 1, "email") is the `email` key after the second
    `[[users]]` header. Returns None where the text does not say (inline tables, defaults).
    """
    lines = raw_text.splitlines()
    start, stop = 0, len(lines)
    section = ""
    parts = list(location)
    while parts:
        part = parts.pop(0)
        if not isinstance(part, str):
            return None
        name = f"{section}.{part}" if section else part
        if parts and isinstance(parts[0], int):
            index = int(parts.pop(0))
            header = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
            hits = [i for i in range(start, stop) if header.match(lines[i])]
            if index >= len(hits):
                return None
            if not parts:  # the entry itself (a check across its keys): its header line
                return hits[index] + 1
            start = hits[index] + 1
            section = name
        elif parts:
            header = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
            hits = [i for i in range(start, stop) if header.match(lines[i])]
            if not hits:
                return None
            start = hits[0] + 1
            section = name
        else:
            key = re.compile(rf"^\s*\"?{re.escape(part)}\"?\s*=")
            for i in range(start, stop):
                if re.match(r"^\s*\[", lines[i]):
                    break
                if key.match(lines[i]):
                    return i + 1
            # A whole table (a check across its keys): its header line.
            table = re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]")
            return next((i + 1 for i in range(start, stop) if table.match(lines[i])), None)
        # The table ends at the next header that is not one of its own sub-tables.
        for i in range(start, stop):
            text = lines[i].strip()
            if text.startswith("[") and not text.strip("[ ").startswith(section + "."):
                stop = i
                break
    return None


def _cross_check(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems between entries (duplicates, unknown references), found even when fields fail."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    feeds: list[Any] = data["feeds"] if isinstance(data.get("feeds"), list) else []
    names: set[str] = set()
    for index, feed in enumerate(feeds):
        name = feed.get("name") if isinstance(feed, dict) else None
        if isinstance(name, str):
            if name in names:
                problems.append(
                    (("feeds", index, "name"), f"{name!r} is used by two feeds. Rename one")
                )
            names.add(name)
    users: list[Any] = data["users"] if isinstance(data.get("users"), list) else []
    ids: set[str] = set()
    for index, user in enumerate(users):
        if not isinstance(user, dict):
            continue
        user_id = user.get("id")
        if isinstance(user_id, str):
            if user_id in ids:
                problems.append(
                    (("users", index, "id"), f"{user_id!r} is used by two users. Rename one")
                )
            ids.add(user_id)
        wanted = user.get("feeds")
        for name in wanted if isinstance(wanted, list) else []:
            if isinstance(name, str) and name not in names:
                known = ", ".join(sorted(names)) or "none"
                problems.append(
                    (
                        ("users", index, "feeds"),
                        f"{name!r} is not a configured feed. Known feeds: {known}",
                    )
                )
    return problems


_RANGE_ERRORS = frozenset(
    {
        "less_than",
        "less_than_equal",
        "greater_than",
        "greater_than_equal",
        "too_short",
        "too_long",
        "string_too_short",
        "string_too_long",
    }
)


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if kind == "extra_forbidden":
        return "unknown key. Check its spelling against config.example.toml"
    if kind == "missing":
        return "required key is missing. Add it"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{error.get('input')!r} is not allowed. Use one of {expected}"
    message = message.removeprefix("Value error, ")
    if kind in _RANGE_ERRORS:
        # "Input should be ..." alone leaves the reader to find what they wrote.
        wanted = message.removeprefix("Input should be ").rstrip(".")
        return (
            f"{error.get('input')!r} is out of range: it should be {wanted}. Fix the value "
            "(config.example.toml says what it means)"
        )
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{error.get('input')!r}: {message.lower()}. Fix the value"
    return message


def _problem(source: str, raw_text: str, location: tuple[str | int, ...], text: str) -> str:
    line = _key_line(raw_text, location)
    where = f"{source}:{line}" if line else source
    return f"Error: {where}: {_dotted(location) or '(top level)'}: {text}."


def settings_from_dict(data: dict[str, Any], source: str, raw_text: str = "") -> Settings:
    """Validate a parsed TOML document; every problem is reported at once."""
    problems = [_problem(source, raw_text, loc, text) for loc, text in _cross_check(data)]
    settings: Settings | None = None
    try:
        settings = Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        for error in exc.errors():
            # The `from` key is spelled `from_` in Python.
            location = tuple("from" if p == "from_" else p for p in error["loc"])
            problems.append(_problem(source, raw_text, location, _describe(dict(error))))
    if problems or settings is None:
        raise ConfigError(
            f"{source}: {len(problems)} problem(s)",
            "Fix them and run papersift config check",
            problems=problems,
        )
    return settings


def machine_problems(settings: Settings, raw_text: str) -> list[str]:
    """What a valid config names that this machine lacks: files, environment variables.

    Only `config check` asks: at run time one user's missing BibTeX file or one feed's
    missing file is that user's or that feed's problem and never stops the others.
    """
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, user in enumerate(settings.users):
        if user.bibtex and not settings.resolve(user.bibtex).is_file():
            found.append(
                (
                    ("users", index, "bibtex"),
                    f"{settings.resolve(user.bibtex)} does not exist. Fix the path or remove "
                    "the key",
                )
            )
    for index, feed in enumerate(settings.feeds):
        if feed.kind == "file" and feed.path and not settings.resolve(feed.path).is_file():
            found.append(
                (
                    ("feeds", index, "path"),
                    f"{settings.resolve(feed.path)} does not exist. Fix the path",
                )
            )
    mail = settings.mail
    if mail.password_env and os.environ.get(mail.password_env) is None:
        found.append(
            (
                ("mail", "password_env"),
                f"environment variable {mail.password_env} is not set. Export it before "
                "running papersift (e.g. in the systemd unit's Environment=)",
            )
        )
    if mail.password_file and not settings.resolve(mail.password_file).is_file():
        found.append(
            (
                ("mail", "password_file"),
                f"{settings.resolve(mail.password_file)} does not exist. Create it or fix the path",
            )
        )
    # In the order of the file, so the list reads top to bottom beside it.
    found.sort(key=lambda item: _key_line(raw_text, item[0]) or 0)
    return [_problem(settings.source, raw_text, location, text) for location, text in found]


def load_settings(path: Path | None) -> Settings:
    """Load and validate the config file; `None` means the bundled demo configuration."""
    if path is None:
        path = BUNDLED_CONFIG
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file",
            "Copy config.example.toml to config.toml, or pass --config PATH",
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})", "Check the path") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: byte {exc.start} is not UTF-8", "Save the file as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts "(at line N, column M)" in its message.
        raise ConfigError(f"{path}: not valid TOML: {exc}", "Fix the syntax at that line") from None
    return settings_from_dict(data, str(path), text)
