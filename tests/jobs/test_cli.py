"""Every `papersift` command from the outside: output, exit status and the exact error texts."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from feed_server import FeedServer
from jobs_support import ALICE_LIKES, write_config
from typer.main import get_command

from jobs.cli import app
from recommender.config import settings_from_dict
from recommender.text import short_title

Cli = Callable[..., Any]
FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feeds = [
        {
            "name": "arxiv-stat",
            "kind": "arxiv-rss",
            "url": feed_server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml"),
        },
        {
            "name": "hf-2024",
            "kind": "hf-daily",
            "url": feed_server.url("/feeds/hf_daily_papers_2024-05-27.json"),
        },
        {"name": "broken", "kind": "rss", "url": feed_server.url("/status/500")},
    ]
    users = [
        {"id": "alice", "email": "alice@example.org", "likes": ALICE_LIKES[:3]},
        {"id": "bob", "email": "bob@example.org"},
    ]
    extra = f'\n[arxiv]\napi_url = "{feed_server.url("/api/query")}"\n'
    extra += f'\n[crossref]\napi_url = "{feed_server.url("")}"\n'
    return write_config(tmp_path, feeds=feeds, users=users, extra=extra)


def all_commands() -> list[tuple[str, Any]]:
    root: Any = get_command(app)
    found = []
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return found


@pytest.mark.parametrize(
    ("name", "command"), all_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_has_help_with_an_example(cli: Cli, name: str, command: Any) -> None:
    result = cli(*name.split(), "--help")
    assert result.exit_code == 0
    assert "Example: papersift " + name.split()[0] in " ".join(result.stdout.split())
    if name not in ("rank-offline",):
        assert "--config" in result.stdout


def test_config_check_summarises_and_masks_secrets(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PW", "from-the-environment")
    path = tmp_path / "config.toml"
    path.write_text(
        '[storage]\nurl = "postgresql://papersift:hunter2@db.example.org/papersift"\n'
        '[mail]\nhost = "smtp.example.org"\nusername = "digest"\npassword_env = "SMTP_PW"\n'
        '[[users]]\nid = "alice"\nemail = "alice@example.org"\n'
    )
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert f"{path}: OK" in text
    assert "postgresql://papersift:***@db.example.org/papersift" in text
    assert "SMTP smtp.example.org:587 (starttls, user digest, password ***)" in text
    assert "hunter2" not in result.stdout
    shown = cli("config", "show", "--json", "--config", str(path))
    assert shown.exit_code == 0 and "hunter2" not in shown.stdout
    assert json.loads(shown.stdout)["mail"]["password_env"] == "SMTP_PW"
    # TOML by default, the config's own language: it reads back as a valid config.
    as_toml = cli("config", "show", "--config", str(path))
    assert as_toml.exit_code == 0 and "hunter2" not in as_toml.stdout
    data = tomllib.loads(as_toml.stdout)
    assert data["mail"]["password_env"] == "SMTP_PW"
    assert data["storage"]["url"] == "postgresql://papersift:***@db.example.org/papersift"
    again = settings_from_dict(data, "shown.toml")
    assert again.users[0].id == "alice" and again.mail.host == "smtp.example.org"


def test_config_check_warns_but_passes_when_base_url_is_not_https(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    users = '[[users]]\nid = "alice"\nemail = "alice@example.org"\n'
    path.write_text('[web]\nbase_url = "http://papers.example.org"\n' + users)
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 0
    warning = " ".join(result.stderr.split())
    assert warning.startswith(
        f"Warning: {path}: web.base_url is http://papers.example.org, not https: digests go out "
        "without the List-Unsubscribe-Post header, so mail clients show no one-click "
        "unsubscribe button"
    )
    path.write_text('[web]\nbase_url = "https://papers.example.org"\n' + users)
    quiet = cli("config", "check", "--config", str(path))
    assert quiet.exit_code == 0 and "Warning" not in quiet.stderr


def test_config_check_reports_every_problem_with_exit_2(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[mail]\nhots = "x"\n\n[[users]]\nid = "a b"\nemail = "x@y"\n')
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}:2: mail.hots: unknown key. Check its spelling against config.example.toml.",
        f"Error: {path}:5: users[0].id: 'a b' is not a valid user id. Use letters, digits, '.', '_', '-'.",
    ]


def test_refresh_stores_papers_once_uses_conditional_get_and_reports_the_broken_feed(
    cli: Cli, config: Path, feed_server: FeedServer
) -> None:
    first = cli("refresh", "--config", str(config))
    assert first.exit_code == 1
    assert "Error: feed broken: " in first.stderr and "500" in first.stderr
    rows = {
        line.split()[1]: line.split() for line in first.stdout.splitlines() if line.startswith("│")
    }
    assert rows["arxiv-stat"][2:6] == ["│", "ok", "│", "40"]
    second = cli("refresh", "--config", str(config))
    assert "not-modified" in second.stdout
    conditional = [r for r in feed_server.requests if r.headers.get("If-None-Match")]
    assert len(conditional) >= 2
    papers = cli("papers", "--config", str(config), "--json", "--limit", "0")
    records = [json.loads(line) for line in papers.stdout.splitlines()]
    assert len(records) == 40 + 13  # refresh stores feed papers only; config likes come with run
    assert len({r["key"] for r in records}) == len(records)
    feeds = cli("feeds", "--config", str(config))
    broken = next(line for line in feeds.stdout.splitlines() if "broken" in line)
    assert "│ 2 " in broken  # two consecutive failures counted on the feed row


def test_papers_json_fields_search_and_since(cli: Cli, config: Path) -> None:
    cli("refresh", "--config", str(config))
    result = cli("papers", "--config", str(config), "--search", "conformal", "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["arxiv_id"] for r in records] == ["2403.15527"]
    record = records[0]
    for field in (
        "key",
        "arxiv_id",
        "version",
        "doi",
        "title",
        "authors",
        "abstract",
        "published",
        "sources",
    ):
        assert field in record
    assert record["title"] == "Conformal online model aggregation"
    assert record["sources"] == ["arxiv-stat"]
    bad = cli("papers", "--config", str(config), "--since", "yesterday")
    assert bad.exit_code == 2
    assert (
        bad.stderr.strip()
        == "Error: --since 'yesterday' is not a date. Write it as YYYY-MM-DD, e.g. 2024-03-26"
    )


def test_search_ranks_stored_papers_and_takes_any_input(cli: Cli, config: Path) -> None:
    cli("refresh", "--config", str(config))
    found = cli("search", "conformal aggregation", "--config", str(config))
    assert found.exit_code == 0
    assert "1 results, page 1" in found.stdout
    assert "Conformal online model aggregation" in found.stdout and "2403.15527" in found.stdout
    odd = cli("search", '*** (( "', "--config", str(config))
    assert odd.exit_code == 0 and "Nothing to search for" in odd.stdout


def test_like_dislike_unlike_and_lookup_on_arxiv(cli: Cli, config: Path) -> None:
    cli("refresh", "--config", str(config))
    liked = cli("like", "alice", "2403.15527", "astro-ph/0601001", "--config", str(config))
    assert liked.exit_code == 0, liked.output
    assert "liked: 2403.15527, astro-ph/0601001" in liked.stdout
    assert "looked up (arXiv, Crossref): 1" in liked.stdout
    again = cli("like", "alice", "2403.15527", "--config", str(config))
    assert "already so: 2403.15527" in again.stdout
    disliked = cli("dislike", "alice", "2405.15738", "--config", str(config))
    assert disliked.exit_code == 0
    profile = cli("profile", "alice", "--config", str(config))
    text = profile.stdout
    assert "Conformal online model aggregation" in text and "dislike" in text
    assert "The Trickle-down Impact of Reward" in text  # a config-declared like
    unliked = cli("unlike", "alice", "2403.15527", "--config", str(config))
    assert "forgotten: 2403.15527" in unliked.stdout
    assert "Conformal online" not in cli("profile", "alice", "--config", str(config)).stdout


def test_like_reports_each_bad_identifier_and_keeps_the_good_ones(cli: Cli, config: Path) -> None:
    cli("refresh", "--config", str(config))
    result = cli(
        "like",
        "alice",
        "10.1038",
        "0808.05394",
        "10.9999/not-stored",
        "2403.15527",
        "--config",
        str(config),
    )
    assert result.exit_code == 1
    assert "liked: 2403.15527" in result.stdout
    assert result.stderr.splitlines() == [
        "Error: '10.1038' is not an arXiv id or a DOI. Give e.g. 2401.01234 or "
        "10.1038/s41586-024-07000-0",
        "Error: 0808.05394: arXiv has no paper with this id. Check the id",
        "Error: 10.9999/not-stored: Crossref has no work with this DOI. Check the DOI, or add the "
        "paper with `papersift import USER FILE.bib` (an entry with this DOI and its abstract)",
    ]


def test_unknown_user_is_a_usage_error(cli: Cli, config: Path) -> None:
    result = cli("recommend", "carol", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: {config}: no user 'carol'. Known users: alice, bob. "
        "Add a [[users]] entry with id = 'carol'"
    )


def test_import_bibtex_imports_the_good_entries_and_names_the_bad(cli: Cli, config: Path) -> None:
    result = cli("import", "bob", str(FIXTURES / "library.bib"), "--config", str(config))
    assert result.exit_code == 1
    assert "liked" in result.stdout
    assert "cdc_surveillance_2023" in result.stderr and "'10.1038' is not a DOI" in result.stderr
    profile = cli("profile", "bob", "--config", str(config))
    assert "Bias-Free Estimation of Signals" in profile.stdout
    missing = cli("import", "bob", "/nonexistent.bib", "--config", str(config))
    assert missing.exit_code == 2
    assert (
        missing.stderr.strip()
        == "Error: /nonexistent.bib: cannot read (No such file or directory). Check the path"
    )


def test_recommend_shows_rank_score_title_and_why(cli: Cli, config: Path) -> None:
    cli("refresh", "--config", str(config))
    result = cli("recommend", "alice", "--config", str(config))
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("│ 1 ")]
    # The digest's own words for the score, with r on the threshold's scale.
    assert lines and re.search(r"(Loosely related|Related|Close|Very close) \(\d\.\d\d\)", lines[0])
    assert "%" not in lines[0]
    assert "close to your liked paper" in result.stdout or "shares" in result.stdout


def test_unlike_of_a_like_from_the_config_says_so_and_changes_nothing(
    tmp_path: Path, feed_server: FeedServer, cli: Cli
) -> None:
    feeds = [
        {
            "name": "arxiv-stat",
            "kind": "arxiv-rss",
            "url": feed_server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml"),
        }
    ]
    users = [{"id": "rosa", "email": "rosa@example.org", "liked": ["2403.15527"]}]
    config = write_config(tmp_path, feeds=feeds, users=users)
    cli("refresh", "--config", str(config))
    assert "Conformal online" in cli("profile", "rosa", "--config", str(config)).stdout
    result = cli("unlike", "rosa", "2403.15527", "--config", str(config))
    assert result.exit_code == 1
    assert "forgotten" not in result.stdout
    assert result.stderr.strip() == (
        "Error: 2403.15527: is in the config file (users.rosa.liked, liked_papers or bibtex); "
        "nothing changed. Remove it there"
    )
    assert "Conformal online" in cli("profile", "rosa", "--config", str(config)).stdout


def test_import_of_a_file_that_is_not_bibtex_is_a_usage_error(cli: Cli, config: Path) -> None:
    result = cli("import", "bob", str(config), "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: {config}: not a BibTeX file (no @article{{…}}, @inproceedings{{…}} or other "
        "entry). Export your library as BibTeX (.bib) from Zotero or Mendeley and import that file"
    )
    assert "0 liked" not in result.stdout


def test_version_prints_the_installed_version(cli: Cli) -> None:
    from importlib.metadata import version

    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"papersift {version('papersift')}"


def test_a_missing_file_feed_is_named_once(tmp_path: Path, cli: Cli) -> None:
    feeds = [{"name": "c", "kind": "file", "path": "does-not-exist.xml"}]
    users = [{"id": "rosa", "email": "rosa@example.org"}]
    config = write_config(tmp_path, feeds=feeds, users=users)
    result = cli("refresh", "--config", str(config))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: feed c: cannot read {tmp_path / 'does-not-exist.xml'} (No such file or "
        "directory). Fix `path` in the feed's config"
    ]


def test_config_check_reports_missing_files_and_an_unset_password_variable_at_once(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERSIFT_NO_SUCH_PASSWORD", raising=False)
    feeds = [{"name": "c", "kind": "file", "path": "does-not-exist.xml"}]
    users = [{"id": "gene", "email": "gene@example.org", "bibtex": "gene-zotero.bib"}]
    mail = {
        "host": "127.0.0.1",
        "security": "starttls",
        "username": "papersift",
        "password_env": "PAPERSIFT_NO_SUCH_PASSWORD",
    }
    config = write_config(tmp_path, feeds=feeds, users=users, mail=mail)
    lines = config.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if line.startswith(text))

    result = cli("config", "check", "--config", str(config))
    assert result.exit_code == 2
    assert "OK" not in result.stdout and "password ***" not in result.stdout
    assert result.stderr.splitlines() == [
        f"Error: {config}:{line_of('password_env =')}: mail.password_env: environment variable "
        "PAPERSIFT_NO_SUCH_PASSWORD is not set. Export it before running papersift (e.g. in the "
        "systemd unit's Environment=).",
        f"Error: {config}:{line_of('path =')}: feeds[0].path: {tmp_path / 'does-not-exist.xml'} "
        "does not exist. Fix the path.",
        f"Error: {config}:{line_of('bibtex =')}: users[0].bibtex: {tmp_path / 'gene-zotero.bib'} "
        "does not exist. Fix the path or remove the key.",
    ]
    (tmp_path / "does-not-exist.xml").write_text("<rss/>", encoding="utf-8")
    (tmp_path / "gene-zotero.bib").write_text("", encoding="utf-8")
    monkeypatch.setenv("PAPERSIFT_NO_SUCH_PASSWORD", "secret")
    fixed = cli("config", "check", "--config", str(config))
    assert fixed.exit_code == 0, fixed.output
    assert f"{config}: OK" in fixed.stdout


def test_config_check_reports_a_missing_password_file(tmp_path: Path, cli: Cli) -> None:
    mail = {"host": "127.0.0.1", "username": "papersift", "password_file": "smtp-password"}
    (tmp_path / "feed.xml").write_text("<rss/>", encoding="utf-8")
    feeds = [{"name": "c", "kind": "file", "path": "feed.xml"}]
    users = [{"id": "gene", "email": "gene@example.org"}]
    config = write_config(tmp_path, feeds=feeds, users=users, mail=mail)
    line = next(
        i
        for i, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1)
        if text.startswith("password_file =")
    )
    result = cli("config", "check", "--config", str(config))
    assert result.exit_code == 2
    assert "password ***" not in result.stdout
    assert (
        f"Error: {config}:{line}: mail.password_file: {tmp_path / 'smtp-password'} does not "
        "exist. Create it or fix the path"
    ) in result.stderr
    (tmp_path / "smtp-password").write_text("secret\n", encoding="utf-8")
    fixed = cli("config", "check", "--config", str(config))
    assert fixed.exit_code == 0, fixed.output


def test_one_users_bibtex_problems_stay_with_that_user(
    tmp_path: Path, feed_server: FeedServer, cli: Cli
) -> None:
    shutil.copy(FIXTURES / "library.bib", tmp_path / "gene-zotero.bib")
    feeds = [
        {
            "name": "arxiv-stat",
            "kind": "arxiv-rss",
            "url": feed_server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml"),
        }
    ]
    users = [
        {"id": "gene", "email": "gene@example.org", "bibtex": "gene-zotero.bib"},
        {"id": "rosa", "email": "rosa@example.org", "likes": ALICE_LIKES[:2]},
    ]
    config = write_config(tmp_path, feeds=feeds, users=users)
    cli("refresh", "--config", str(config))
    for command in ("profile", "recommend"):
        rosa = cli(command, "rosa", "--config", str(config))
        assert rosa.exit_code == 0, rosa.output
        assert "gene" not in rosa.stderr and "Error" not in rosa.stderr
    gene = cli("profile", "gene", "--config", str(config))
    assert gene.exit_code == 0  # skipped entries are warnings: the rest was imported
    warnings = [line for line in gene.stderr.splitlines() if line.startswith("Warning: gene: ")]
    assert any("untitled_note_2024" in line for line in warnings)
    assert len(warnings) == len(set(warnings))  # each said once
    assert "Error" not in gene.stderr
    recommend = cli("recommend", "gene", "--config", str(config))
    said = [line for line in recommend.stderr.splitlines() if "untitled_note_2024" in line]
    assert len(said) == 1
    # `status` shows each user's library problems under that user, and exits 0.
    status = cli("status", "--config", str(config))
    assert status.exit_code == 0
    assert "Library of gene: " in status.stdout and "Library of rosa" not in status.stdout
    assert "untitled_note_2024" in status.stdout
    as_json = json.loads(cli("status", "--json", "--config", str(config)).stdout)
    assert list(as_json["library_warnings"]) == ["gene"]
    assert any("untitled_note_2024" in w for w in as_json["library_warnings"]["gene"])


def test_tables_cut_long_titles_at_a_word_with_an_ellipsis(cli: Cli, config: Path) -> None:
    cli("refresh", "--config", str(config))
    lines = cli("papers", "--json", "--config", str(config)).stdout.splitlines()
    stored = [json.loads(line) for line in lines]
    long_titles = [p["title"] for p in stored if len(p["title"]) > 80]
    assert len(long_titles) >= 3
    listing = cli("papers", "--config", str(config)).stdout
    shown_titles = table_column(listing, 1)
    for title in long_titles:
        shown = short_title(title)
        assert shown.endswith("…") and title.startswith(shown[:-1])
        assert title[len(shown) - 1] in " ,;:.-"  # the cut falls between words
        assert shown in shown_titles


def table_column(listing: str, index: int) -> list[str]:
    """Column `index` of a rich table, cells that rich folded over several lines joined."""
    cells: list[list[str]] = []
    for line in listing.splitlines():
        if not line.startswith("│"):
            continue
        fields = [f.strip() for f in line.strip("│").split("│")]
        if fields[0]:
            cells.append([])
        cells[-1].append(fields[index])
    return [" ".join(part for part in cell if part) for cell in cells]
