"""The settings page: what a reader may change themselves, beside what the config says.

GET shows the form; POST checks it against the config's own model (same limits), then stores
the values in one transaction, or stores nothing and shows each error next to its field.
Keys the admin fixed are shown read-only and ignored in a POST whatever it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from recommender.config import Settings
from recommender.effective import find_user
from recommender.self_service import (
    EffectiveUser,
    FormResult,
    fixed_keys,
    keywords_text,
    read_form,
    schedule_for,
)
from recommender.store.engine import Store
from recommender.store.self_service import save_settings
from recommender.store.users import set_paused
from recommender.web.pages import PageError
from recommender.web.profile_page import describe_schedule

LABELS = {
    "keywords": "Keywords",
    "muted_keywords": "Muted terms",
    "muted_authors": "Muted authors",
    "followed_authors": "Followed authors",
    "frequency": "Digest frequency",
    "max_papers": "Papers per digest",
}
HELP = {
    "keywords": "One per line: a term, or term = weight (1 when left out; a negative weight "
    "pushes papers down).",
    "muted_keywords": "One per line. Papers that contain them are never sent.",
    "muted_authors": "One per line. Papers by them are never sent.",
    "followed_authors": "One per line. Papers by them rank higher.",
    "frequency": "",
    "max_papers": "At most this many papers in one digest (1 to 200).",
}
SOURCE_WORDS = {
    "config": "as the config sets it",
    "default": "the default",
    "self-service": "your choice",
    "fixed by admin": "set by your admin",
}


@dataclass(frozen=True)
class Choice:
    """One radio button of the frequency field."""

    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class FieldView:
    """One row of the form."""

    key: str
    label: str
    help: str
    kind: str  # "lines" | "number" | "choice"
    text: str  # the value as the input holds it
    config_text: str  # what the config says, in words
    config_label: str  # "Config", or "Default" where the config file does not set the key
    source: str
    fixed: bool
    error: str = ""
    choices: list[Choice] = field(default_factory=list)


def _text(key: str, value: object) -> str:
    if key == "keywords" and isinstance(value, dict):
        return keywords_text(value)
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _config_words(person: EffectiveUser, key: str) -> str:
    value = person.values[key].config
    if key == "frequency":
        return describe_schedule(person.config_schedule, person.user.timezone)
    if key == "keywords" and isinstance(value, dict):
        return ", ".join(f"{t} ×{w:g}" for t, w in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def field_views(
    person: EffectiveUser,
    fixed: set[str],
    submitted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FieldView]:
    """The form's rows: a rejected form shows what was typed, else the values in use."""
    errors = errors or {}
    views = []
    for key, value in person.values.items():
        shown = _text(key, value.value)
        if submitted is not None and key in submitted and key not in fixed:
            shown = submitted[key]
        kind = "choice" if key == "frequency" else "number" if key == "max_papers" else "lines"
        choices = []
        if key == "frequency":
            current = shown if submitted is not None else person.frequency
            zone, base = person.user.timezone, person.config_schedule
            options = [
                (f, f"{f.capitalize()}: {describe_schedule(schedule_for(f, base), zone)}")
                for f in ("daily", "weekly")
            ]
            if value.config == "custom":
                options.insert(
                    0, ("custom", f"As the config sets it: {_config_words(person, key)}")
                )
            options.append(("paused", "Paused: no digests until you choose again"))
            choices = [Choice(v, label, v == current) for v, label in options]
            shown = "paused" if person.paused else str(value.value)
        views.append(
            FieldView(
                key=key,
                label=LABELS[key],
                help=HELP[key],
                kind=kind,
                text=shown,
                config_text=_config_words(person, key),
                config_label="Config" if value.in_config else "Default",
                source=SOURCE_WORDS[value.source],
                fixed=key in fixed,
                error=errors.get(key, ""),
                choices=choices,
            )
        )
    return views


def load_person(settings: Settings, store: Store, user_id: str) -> EffectiveUser:
    """The reader a valid token names; 404 when the config and invites no longer have them."""
    person = find_user(settings, store, user_id)
    if person is None:
        raise PageError(
            404, "Unknown reader", "this link is for a reader this server does not have"
        )
    return person


def save_form(
    settings: Settings, store: Store, user_id: str, form: Mapping[str, str], now: datetime
) -> FormResult:
    """Check the form; when it has no error, store its values (and the pause) together."""
    person = load_person(settings, store, user_id)
    result = read_form(person, form, fixed_keys(settings, person.user))
    if result.errors:
        return result
    with store.begin() as conn:
        save_settings(conn, user_id, result.changes, now)
        if result.pause is not None:
            set_paused(conn, user_id, result.pause, now)
    return result
