"""Upgrades: the scheduler (and every cycle) refuses a schema that is behind and names the fix;
`papersift migrate` brings it up to date keeping every row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from reliability_world import FIXTURES
from sqlalchemy import Column, Connection, Integer, inspect, select, text
from typer.testing import CliRunner

from jobs.cli import app
from recommender.feeds.parse import parse_feed
from recommender.store import migrations as migrations_module
from recommender.store import open_store
from recommender.store.cycles import CycleStatus, finish_cycle, start_cycle
from recommender.store.migrations import Migration, latest_version
from recommender.store.outbox import DigestItemRow, create_digest, mark_sent
from recommender.store.papers import save_papers
from recommender.store.tables import metadata
from recommender.store.urls import display_url, parse_url

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def _fill(url: str) -> None:
    """A database at today's schema holding papers, a sent digest and a cycle."""
    papers = parse_feed(
        (FIXTURES / "arxiv_rss2_stat_2024-03-26.xml").read_bytes(), "arxiv-rss", "arxiv"
    ).papers
    with open_store(url, migrate=True) as store, store.begin() as conn:
        save_papers(conn, papers, T0)
        cycle = start_cycle(conn, "vm:1", T0)
        first = conn.execute(text("SELECT id FROM papers ORDER BY id LIMIT 2")).scalars().all()
        digest = create_digest(
            conn,
            user_id="ana",
            cycle_id=cycle,
            recipient="ana@example.org",
            subject="Papersift",
            message_id="<1.digest@example.org>",
            message=b"Message-ID: <1.digest@example.org>\r\n\r\nhello\r\n",
            html="<p>hello</p>",
            items=[DigestItemRow(paper_id, rank, 0.5) for rank, paper_id in enumerate(first, 1)],
            now=T0,
        )
        mark_sent(conn, digest, T0)
        finish_cycle(conn, cycle, CycleStatus.DONE, {"summary": "one"}, T0)


def _rows(url: str) -> dict[str, list[Any]]:
    """Every row of every table, in a comparable form."""
    with open_store(url) as store, store.connect() as conn:
        return {
            name: sorted(tuple(map(repr, row)) for row in conn.execute(select(table)))
            for name, table in metadata.tables.items()
            if name != "schema_version"  # the one table an upgrade adds a row to
        }


def _add_next_migration(monkeypatch: pytest.MonkeyPatch) -> str:
    """A next migration of the usual shape (one new nullable column); returns its label."""

    def add_column(conn: Connection) -> None:
        ddl = Column("score_hint", Integer, nullable=True).type.compile(conn.dialect)
        conn.execute(text(f"ALTER TABLE papers ADD COLUMN score_hint {ddl}"))

    upcoming = Migration(latest_version() + 1, "paper_score_hint", add_column)
    monkeypatch.setattr(migrations_module, "MIGRATIONS", [*migrations_module.MIGRATIONS, upcoming])
    return upcoming.label


def test_schedule_refuses_an_old_schema_and_migrate_upgrades_it_keeping_every_row(
    blank_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(blank_url)
    before = _rows(blank_url)
    assert len(before["papers"]) > 30 and len(before["digest_papers"]) == 2
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{blank_url}"\n', encoding="utf-8")
    today = latest_version()
    label = _add_next_migration(monkeypatch)
    shown = display_url(parse_url(blank_url))
    refusal = (
        f"Error: database {shown} is at schema version {today}, this Papersift needs "
        f"{today + 1}. Run: papersift migrate\n"
    )
    runner = CliRunner()
    for command in ("schedule", "run", "status"):
        result = runner.invoke(app, [command, "--config", str(config)])
        assert (result.exit_code, result.stderr) == (2, refusal), command
    migrated = runner.invoke(app, ["migrate", "--config", str(config)])
    assert migrated.exit_code == 0
    assert migrated.stdout == f"{shown}: schema up to date (applied: {label})\n"
    with open_store(blank_url) as store:  # what the scheduler opens: now accepted
        assert "score_hint" in {c["name"] for c in inspect(store.engine).get_columns("papers")}
    assert _rows(blank_url) == before
    again = runner.invoke(app, ["migrate", "--config", str(config)])
    assert again.stdout == f"{shown}: schema up to date (nothing to apply)\n"


def test_schedule_refuses_a_blank_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{url}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["schedule", "--config", str(config)])
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: database {url} is blank (schema version 0), this Papersift needs "
        f"{latest_version()}. Run: papersift migrate\n",
    )
    assert not (tmp_path / "never-migrated.db").exists()
