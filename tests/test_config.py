"""The config file: the example stays in step with the code, and every mistake is explained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from recommender.config import (
    BUNDLED_CONFIG,
    BUNDLED_FEEDS,
    AdminSettings,
    ArxivSettings,
    DefaultsSettings,
    FeedSettings,
    InlinePaper,
    MailSettings,
    RankingSettings,
    StorageSettings,
    UserSettings,
    WebSettings,
    load_settings,
)
from recommender.errors import ConfigError

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "config.example.toml"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return [p.replace(str(path), "config.toml") for p in caught.value.problems]


def test_example_config_loads_and_is_the_bundled_demo() -> None:
    settings = load_settings(EXAMPLE)
    assert [u.id for u in settings.users] == ["alice", "bob"]
    assert all(u.liked_papers for u in settings.users)
    assert EXAMPLE.read_bytes() == BUNDLED_CONFIG.read_bytes()
    for feed in settings.feeds:
        assert settings.resolve(feed.path).is_file(), feed.path


@pytest.mark.parametrize(
    "model",
    [
        StorageSettings,
        ArxivSettings,
        MailSettings,
        WebSettings,
        RankingSettings,
        AdminSettings,
        DefaultsSettings,
        FeedSettings,
        UserSettings,
        InlinePaper,
    ],
)
def test_example_config_documents_every_key(model: type[BaseModel]) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for name, field in model.model_fields.items():
        key = field.alias or name
        pattern = rf"^[#\s]*({re.escape(key)}\s*=|\[\[users\.{re.escape(key)}\]\])"
        assert re.search(pattern, text, re.MULTILINE), (
            f"{model.__name__}.{key} is not in config.example.toml"
        )


def test_bundled_config_keeps_its_data_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None)
    assert settings.data_dir == tmp_path / "papersift-data"
    assert settings.database_url == f"sqlite:///{tmp_path}/papersift-data/papersift.db"
    assert settings.resolve("bundled:hf_daily_papers_2024-05-27.json").parent == BUNDLED_FEEDS


def test_every_problem_is_reported_at_once_with_file_line_and_fix(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
[storage]
urll = "x"

[[feeds]]
name = "a"
kind = "rss"
url = "htp://example.org/feed"

[[feeds]]
name = "a"
kind = "arxiv-rss"
categories = ["cs.LG"]

[[users]]
id = "alice"
email = "alice-at-example"
timezone = "Mars/Olympus"
feeds = ["nope"]
""",
    )
    assert problems == [
        "Error: config.toml:11: feeds[1].name: 'a' is used by two feeds. Rename one.",
        "Error: config.toml:19: users[0].feeds: 'nope' is not a configured feed. Known feeds: a.",
        "Error: config.toml:3: storage.urll: unknown key. Check its spelling against config.example.toml.",
        "Error: config.toml:8: feeds[0].url: 'htp://example.org/feed' is not an http(s) URL. Fix the scheme.",
        "Error: config.toml:17: users[0].email: 'alice-at-example' is not an email address. Write it as name@host.",
        "Error: config.toml:18: users[0].timezone: 'Mars/Olympus' is not a known time zone. Use an IANA name like 'Europe/Berlin'.",
    ]


def test_line_numbers_follow_the_right_table(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
[[users]]
id = "alice"
email = "alice@example.org"

[[users]]
id = "bob"
email = "bob@example.org"
max_papers = 0
""",
    )
    assert problems == [
        "Error: config.toml:9: users[1].max_papers: 0 is out of range: it should be greater "
        "than or equal to 1. Fix the value (config.example.toml says what it means)."
    ]


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[mail]\nhost = "x\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
    assert "line 2" in str(caught.value)


def test_plaintext_smtp_only_to_loopback(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[mail]\nhost = "smtp.example.org"\nsecurity = "none"\n')
    assert problems == [
        "Error: config.toml:1: mail: security = 'none' sends mail in plain text; it is only "
        "allowed to a loopback host, not 'smtp.example.org'. Use 'starttls' or 'tls'."
    ]
    path = tmp_path / "ok.toml"
    path.write_text('[mail]\nhost = "127.0.0.1"\nsecurity = "none"\n', encoding="utf-8")
    assert load_settings(path).mail.effective_port == 25


def test_password_comes_from_environment_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[mail]\nhost = "smtp.example.org"\npassword_env = "PS_PW"\n')
    settings = load_settings(path)
    monkeypatch.delenv("PS_PW", raising=False)
    with pytest.raises(ConfigError, match="environment variable PS_PW is not set"):
        settings.mail_password()
    monkeypatch.setenv("PS_PW", "s3cret")
    secret = settings.mail_password()
    assert secret is not None and secret.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(secret)
    (tmp_path / "pw").write_text("from-file\n")
    path.write_text('[mail]\nhost = "smtp.example.org"\npassword_file = "pw"\n')
    secret = load_settings(path).mail_password()
    assert secret is not None and secret.get_secret_value() == "from-file"


def test_a_password_key_in_the_file_is_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, '[mail]\npassword = "hunter2"\n')
    assert problems == [
        "Error: config.toml:2: mail.password: unknown key. Check its spelling against config.example.toml."
    ]


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nope.toml")
    assert str(caught.value) == (
        f"{tmp_path}/nope.toml: no such config file. "
        "Copy config.example.toml to config.toml, or pass --config PATH"
    )


def test_checks_across_a_tables_keys_name_its_header_line_and_ranges_the_value(
    tmp_path: Path,
) -> None:
    problems = problems_of(
        tmp_path,
        """
[[feeds]]
name = "ok"
kind = "rss"
url = "https://example.org/feed"

[[feeds]]
name = "journal"
kind = "rss"

[[users]]
id = "rosa"
email = "rosa@example.org"
threshold = 1.5
""",
    )
    assert problems == [
        "Error: config.toml:7: feeds[1]: a feed of kind 'rss' needs `url`. Give the feed's URL.",
        "Error: config.toml:14: users[0].threshold: 1.5 is out of range: it should be less than "
        "or equal to 1. Fix the value (config.example.toml says what it means).",
    ]
