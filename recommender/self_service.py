"""A user's effective settings: the config's, with the values they set themselves on top.

Pure: no store, no clock. The config stays the admin's: a self-service value replaces the
config's value of that key unless the admin fixed the key (`fixed` under the user or under
[defaults]); then the config's value holds and the stored one waits, unused.

Frequency is not a config key: it is read from the config's cron `schedule` and written back
onto it. "daily" keeps a daily config schedule as it is (every day or Mon–Fri) and otherwise
sends every day at the config's time; "weekly" keeps a config schedule of one weekday and
otherwise sends on Mondays at the config's time. "paused" is the existing pause switch
(`user_state.paused`), not a stored value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from recommender.config import SELF_SERVICE_KEYS, Settings, UserSettings

Frequency = Literal["daily", "weekly", "paused"]
FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "paused")
# Where a shown value comes from.
Source = Literal["config", "default", "self-service", "fixed by admin"]

# Weekday fields that mean "every working day or every day": a daily digest.
_DAILY_WEEKDAYS = frozenset({"*", "mon-fri", "1-5"})
WEEKLY_DAY = "mon"  # a name, not a number: numbered weekdays differ between cron and APScheduler


def frequency_of(schedule: str) -> str:
    """'daily', 'weekly' or 'custom' for a five-field cron line."""
    fields = schedule.split()
    if len(fields) != 5 or fields[2:4] != ["*", "*"]:
        return "custom"
    weekday = fields[4].lower()
    if weekday in _DAILY_WEEKDAYS:
        return "daily"
    if not any(mark in weekday for mark in ",-/*"):
        return "weekly"
    return "custom"


def schedule_for(frequency: str, schedule: str) -> str:
    """The config's cron line changed to send daily or weekly, at the config's time of day."""
    if frequency not in ("daily", "weekly") or frequency_of(schedule) == frequency:
        return schedule
    minute, hour = schedule.split()[:2]
    return f"{minute} {hour} * * {'*' if frequency == 'daily' else WEEKLY_DAY}"


def fixed_keys(settings: Settings, user: UserSettings) -> set[str]:
    """The self-service keys the admin keeps to the config's value for this user."""
    return set(settings.defaults.fixed) | set(user.fixed)


def config_value(user: UserSettings, key: str) -> Any:
    """What the config says for a self-service key (frequency: read from the schedule)."""
    if key == "frequency":
        return frequency_of(user.schedule)
    value = getattr(user, key)
    return (
        dict(value)
        if isinstance(value, dict)
        else list(value)
        if isinstance(value, list)
        else value
    )


@dataclass(frozen=True)
class SettingValue:
    """One self-service key of one user: what holds, what the config says, where it comes from."""

    key: str
    value: Any
    config: Any
    stored: Any | None  # the user's own value (None: never set)
    source: Source
    in_config: bool = False  # the config file sets `config` (else it is the built-in default)


@dataclass(frozen=True)
class EffectiveUser:
    """A user as every job and page sees them, and where each self-service value comes from."""

    user: UserSettings
    values: dict[str, SettingValue] = field(default_factory=dict)
    paused: bool = False
    invited: bool = False
    config_schedule: str = ""  # the config's cron line, before a chosen frequency changed it

    @property
    def frequency(self) -> str:
        """'paused' while paused, else the effective daily / weekly / custom."""
        return "paused" if self.paused else str(self.values["frequency"].value)


def _valid(user: UserSettings, key: str, value: Any) -> bool:
    """Whether a stored value still passes the config's own checks (limits may change)."""
    if key == "frequency":
        return value in ("daily", "weekly")
    try:
        UserSettings.model_validate({**user.model_dump(by_alias=True), key: value})
    except ValidationError:
        return False
    return True


def merge(
    user: UserSettings,
    stored: Mapping[str, Any],
    fixed: set[str],
    *,
    paused: bool = False,
    invited: bool = False,
) -> EffectiveUser:
    """The config user with the stored self-service values applied, except fixed keys."""
    updates: dict[str, Any] = {}
    values: dict[str, SettingValue] = {}
    for key in SELF_SERVICE_KEYS:
        config = config_value(user, key)
        named = "schedule" if key == "frequency" else key
        in_config = named in user.model_fields_set and not invited
        own = stored.get(key)
        if own is not None and not _valid(user, key, own):
            own = None  # written under older limits: the config's value holds
        if key in fixed:
            source: Source = "fixed by admin"
            value = config
        elif own is not None:
            source, value = "self-service", own
            if key == "frequency":
                updates["schedule"] = schedule_for(own, user.schedule)
            else:
                updates[key] = own
        else:
            value = config
            source = "config" if in_config else "default"
        values[key] = SettingValue(key, value, config, own, source, in_config)
    return EffectiveUser(user.model_copy(update=updates), values, paused, invited, user.schedule)


@dataclass
class FormResult:
    """A settings form read against the model: the values to store, or errors by field."""

    changes: dict[str, Any] = field(default_factory=dict)  # key -> value (None: back to config)
    errors: dict[str, str] = field(default_factory=dict)
    pause: bool | None = None  # True: pause, False: resume, None: leave as it is


MAX_ENTRIES = 200  # per list field: a form, not an import
MAX_ENTRY_CHARS = 200


def _lines(text: str, key: str, errors: dict[str, str]) -> list[str]:
    entries = []
    for line in text.replace("\r", "").split("\n"):
        entry = " ".join(line.split())
        if entry and entry not in entries:
            entries.append(entry)
    long = next((e for e in entries if len(e) > MAX_ENTRY_CHARS), None)
    if long is not None:
        errors[key] = f"“{long[:40]}…” is longer than {MAX_ENTRY_CHARS} characters. Shorten it"
    elif len(entries) > MAX_ENTRIES:
        errors[key] = f"{len(entries)} lines: at most {MAX_ENTRIES}. Keep the ones that matter"
    return entries


def parse_keywords(text: str, errors: dict[str, str]) -> dict[str, float]:
    """`term` or `term = weight` per line (weight 1 when left out; negative pushes down)."""
    keywords: dict[str, float] = {}
    for number, line in enumerate(_lines(text, "keywords", errors), start=1):
        term, sep, weight_text = line.rpartition("=") if "=" in line else (line, "", "")
        term = term.strip()
        if not term:
            errors["keywords"] = f"line {number} (“{line}”) has no term. Write term = weight"
            break
        try:
            weight = float(weight_text) if sep else 1.0
        except ValueError:
            errors["keywords"] = (
                f"line {number}: “{weight_text.strip()}” is not a number. Write e.g. {term} = 1.5"
            )
            break
        if weight != weight or abs(weight) == float("inf"):
            errors["keywords"] = f"line {number}: the weight must be a finite number"
            break
        keywords[term] = weight
    return keywords


def keywords_text(keywords: Mapping[str, float]) -> str:
    """The keywords as the form shows them, one `term = weight` per line."""
    return "\n".join(f"{term} = {weight:g}" for term, weight in keywords.items())


def _pydantic_problem(error: Mapping[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return f"“{error.get('input')}” should be {message.removeprefix('Input should be ')}"
    return message


def read_form(effective: EffectiveUser, form: Mapping[str, str], fixed: set[str]) -> FormResult:
    """Check a submitted settings form with the config's own model and limits.

    Keys the admin fixed are ignored whatever the form says. A value equal to the config's is
    stored as "no value of my own", so a later change of the config reaches the user.
    """
    result = FormResult()
    errors = result.errors
    wanted: dict[str, Any] = {}
    for key in ("muted_keywords", "muted_authors", "followed_authors"):
        if key in form:
            wanted[key] = _lines(form[key], key, errors)
    if "keywords" in form:
        wanted["keywords"] = parse_keywords(form["keywords"], errors)
    if "max_papers" in form:
        wanted["max_papers"] = form["max_papers"].strip()
    if "frequency" in form:
        frequency = form["frequency"]
        config_frequency = effective.values["frequency"].config
        if frequency not in (*FREQUENCIES, config_frequency):
            errors["frequency"] = f"“{frequency}” is not one of daily, weekly, paused"
        elif "frequency" not in fixed:
            result.pause = frequency == "paused"
            if frequency != "paused":
                wanted["frequency"] = frequency
    wanted = {k: v for k, v in wanted.items() if k not in fixed and k not in errors}
    model_fields = {k: v for k, v in wanted.items() if k != "frequency"}
    try:
        checked = UserSettings.model_validate(
            {**effective.user.model_dump(by_alias=True), **model_fields}
        )
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(key if key in SELF_SERVICE_KEYS else "form", _pydantic_problem(error))
        return result
    if errors:
        return result
    for key in wanted:
        value = wanted[key] if key == "frequency" else config_value(checked, key)
        same = value == effective.values[key].config
        result.changes[key] = None if same else value
    return result
