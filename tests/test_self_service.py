"""Effective settings: the config's values, a user's own on top, the admin's fixed keys first."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.config import UserSettings, load_settings
from recommender.errors import ConfigError
from recommender.self_service import (
    frequency_of,
    merge,
    parse_keywords,
    read_form,
    schedule_for,
)


def alice(**extra: object) -> UserSettings:
    return UserSettings.model_validate(
        {
            "id": "alice",
            "email": "alice@example.org",
            "keywords": {"reward model": 1.5},
            "max_papers": 8,
            "schedule": "30 6 * * mon-fri",
            **extra,
        }
    )


def test_a_stored_value_replaces_the_configs_unless_the_admin_fixed_the_key() -> None:
    stored = {"max_papers": 3, "muted_authors": ["Jane Doe"], "keywords": {"bandits": 2.0}}
    person = merge(alice(), stored, fixed={"max_papers"})
    assert person.user.max_papers == 8  # fixed: the config wins
    assert person.values["max_papers"].source == "fixed by admin"
    assert person.values["max_papers"].stored == 3  # kept, unused
    assert person.user.muted_authors == ["Jane Doe"]
    assert person.values["muted_authors"].source == "self-service"
    assert person.user.keywords == {"bandits": 2.0}
    assert person.values["keywords"].config == {"reward model": 1.5}
    # Never set anywhere: the built-in default; set in the config: the config.
    assert person.values["followed_authors"].source == "default"
    assert merge(alice(), {}, set()).values["max_papers"].source == "config"


def test_a_stored_value_out_of_the_models_limits_is_not_used() -> None:
    person = merge(alice(), {"max_papers": 5000}, set())
    assert person.user.max_papers == 8
    assert person.values["max_papers"].source == "config"


@pytest.mark.parametrize(
    ("schedule", "frequency", "daily", "weekly"),
    [
        ("30 6 * * mon-fri", "daily", "30 6 * * mon-fri", "30 6 * * mon"),
        ("0 7 * * *", "daily", "0 7 * * *", "0 7 * * mon"),
        ("0 8 * * thu", "weekly", "0 8 * * *", "0 8 * * thu"),
        ("0 9 1 * *", "custom", "0 9 * * *", "0 9 * * mon"),
    ],
)
def test_frequency_is_read_from_and_written_onto_the_cron_schedule(
    schedule: str, frequency: str, daily: str, weekly: str
) -> None:
    assert frequency_of(schedule) == frequency
    assert schedule_for("daily", schedule) == daily
    assert schedule_for("weekly", schedule) == weekly


def test_a_chosen_frequency_changes_the_schedule_the_scheduler_uses() -> None:
    person = merge(alice(), {"frequency": "weekly"}, set())
    assert person.user.schedule == "30 6 * * mon"
    assert person.values["frequency"].source == "self-service"
    assert merge(alice(), {"frequency": "weekly"}, {"frequency"}).user.schedule == (
        "30 6 * * mon-fri"
    )
    assert merge(alice(), {}, set(), paused=True).frequency == "paused"


def test_keywords_are_read_one_per_line_with_an_optional_weight() -> None:
    errors: dict[str, str] = {}
    assert parse_keywords("reward model = 2\n\n  bandits  \nspam = -1", errors) == {
        "reward model": 2.0,
        "bandits": 1.0,
        "spam": -1.0,
    }
    assert errors == {}
    parse_keywords("good\nbad = lots", errors)
    assert errors == {"keywords": "line 2: “lots” is not a number. Write e.g. bad = 1.5"}


def test_the_form_is_checked_with_the_configs_limits_and_equal_values_store_nothing() -> None:
    person = merge(alice(), {}, set())
    form = {
        "keywords": "reward model = 1.5",  # the config's value: nothing of the user's own
        "muted_keywords": "crypto\ncrypto",
        "muted_authors": "",
        "followed_authors": "Ada Lovelace",
        "frequency": "weekly",
        "max_papers": "4",
    }
    result = read_form(person, form, fixed=set())
    assert result.errors == {}
    assert result.changes == {
        "keywords": None,
        "muted_keywords": ["crypto"],
        "muted_authors": None,
        "followed_authors": ["Ada Lovelace"],
        "frequency": "weekly",
        "max_papers": 4,
    }
    assert result.pause is False
    bad = read_form(person, {**form, "max_papers": "500", "frequency": "hourly"}, fixed=set())
    assert bad.changes == {}
    assert bad.errors == {
        "frequency": "“hourly” is not one of daily, weekly, paused",
        "max_papers": "“500” should be less than or equal to 200",
    }
    # A fixed key is ignored whatever the form says.
    fixed = read_form(person, {"max_papers": "500"}, fixed={"max_papers"})
    assert fixed.errors == {} and fixed.changes == {}


def test_fixed_names_only_self_service_keys_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[defaults]\nfixed = ["max_papers"]\n\n[[users]]\nid = "a"\nemail = "a@example.org"\n'
        'fixed = ["frequency", "threshold"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.problems == [
        f"Error: {path}:7: users[0].fixed: 'threshold' cannot be fixed: only self-service "
        "settings can. Use some of keywords, muted_keywords, muted_authors, followed_authors, "
        "frequency, max_papers."
    ]
