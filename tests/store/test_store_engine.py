"""open_store: SQLite set-up, psycopg 3 for PostgreSQL, schema checks, masked URLs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, inspect, text
from sqlalchemy.exc import OperationalError
from store_support import T0, make_paper, reopen

from recommender.errors import SchemaOutOfDate, StoreError
from recommender.store import Store, open_store
from recommender.store import migrations as migrations_module
from recommender.store.engine import make_engine
from recommender.store.migrations import LATEST, MIGRATIONS, Migration, current_version
from recommender.store.papers import count_papers, save_papers
from recommender.store.tables import schema_version


def test_sqlite_folder_is_created_and_pragmas_are_set(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'papersift.db'}"
    with open_store(url, migrate=True) as store, store.connect() as conn:
        assert (tmp_path / "a" / "b" / "papersift.db").is_file()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert store.dialect == "sqlite"
        assert store.migrations_applied == [m.label for m in MIGRATIONS]


def test_relative_sqlite_url_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///data/papersift.db", migrate=True) as store:
        assert store.url == "sqlite:///data/papersift.db"
    assert (tmp_path / "data" / "papersift.db").is_file()


def test_blank_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "papersift.db"
    with pytest.raises(SchemaOutOfDate) as caught:
        open_store(f"sqlite:///{path}")
    assert str(caught.value) == (
        f"database sqlite:///{path} is blank (schema version 0), this Papersift needs {LATEST}. "
        "Run: papersift migrate"
    )
    assert not path.exists() and not path.parent.exists()


@pytest.mark.postgres
def test_postgresql_uses_psycopg_3(pg_url: str) -> None:
    with open_store(pg_url, migrate=True) as store:
        assert store.dialect == "postgresql"
        assert store.engine.dialect.driver == "psycopg"
        with store.connect() as conn:
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


@pytest.mark.postgres
def test_blank_postgresql_is_refused_with_the_password_masked(
    make_pg_database: Callable[[], str], postgres_server: Any
) -> None:
    name = make_pg_database()
    url = postgres_server.url(name, password="s3cret-pw")
    with pytest.raises(SchemaOutOfDate) as caught:
        open_store(url)
    user = postgres_server.user
    assert str(caught.value) == (
        f"database postgresql://{user}:***@127.0.0.1:5432/{name} is blank (schema version 0), "
        f"this Papersift needs {LATEST}. Run: papersift migrate"
    )
    assert caught.value.hint == "Run: papersift migrate"


def test_unreachable_server_names_the_url_without_its_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://alice:hunter2@127.0.0.1:1/papers")
    message = str(caught.value)
    assert message.startswith("cannot open database postgresql://alice:***@127.0.0.1:1/papers: ")
    assert message.endswith(
        "Check storage.url and that the database server is running and reachable"
    )
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "mysql://bob:pw@db/papers",
            "mysql://bob:***@db/papers: 'mysql' databases are not supported. "
            "Use a sqlite:// or postgresql:// URL",
        ),
        (
            "postgresql+psycopg2://bob:pw@db/papers",
            "postgresql://bob:***@db/papers: driver 'psycopg2' is not supported. "
            "Use postgresql:// (Papersift uses psycopg)",
        ),
        (
            "not a url with bob:pw@host",
            "'not a url with bob:pw@host' is not a database URL. "
            "Use e.g. sqlite:///papersift.db or postgresql://user@host/db",
        ),
    ],
)
def test_unsupported_urls_are_refused(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert str(caught.value) == expected


def _add_migration_2(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shape a real migration 2 takes: DDL for one new column, nothing else touched.
    def add_column(conn: Connection) -> None:
        column = Column("score_hint", Integer, nullable=True)
        ddl = column.type.compile(conn.dialect)
        conn.execute(text(f"ALTER TABLE papers ADD COLUMN score_hint {ddl}"))

    patched = [*migrations_module.MIGRATIONS, Migration(LATEST + 1, "paper_score_hint", add_column)]
    monkeypatch.setattr(migrations_module, "MIGRATIONS", patched)


def test_schema_behind_is_refused_until_migrated(
    blank_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(blank_url, migrate=True).close()
    _add_migration_2(monkeypatch)
    with pytest.raises(SchemaOutOfDate) as caught:
        open_store(blank_url)
    assert str(caught.value) == (
        f"database {blank_url} is at schema version {LATEST}, this Papersift needs {LATEST + 1}. "
        "Run: papersift migrate"
    )
    with open_store(blank_url, migrate=True) as store:
        assert store.migrations_applied == [f"{LATEST + 1:04d}_paper_score_hint"]
        assert current_version(store.engine) == LATEST + 1
        columns = {c["name"] for c in inspect(store.engine).get_columns("papers")}
        assert "score_hint" in columns


def test_database_newer_than_this_papersift_is_refused(blank_url: str) -> None:
    with open_store(blank_url, migrate=True) as store, store.begin() as conn:
        future = LATEST + 1
        conn.execute(schema_version.insert().values(version=future, name="future", applied_at=T0))
    for migrate in (False, True):
        with pytest.raises(StoreError) as caught:
            open_store(blank_url, migrate=migrate)
        assert not isinstance(caught.value, SchemaOutOfDate)
        newer = f"is at schema version {LATEST + 1}, newer than this Papersift knows ({LATEST})"
        assert newer in str(caught.value)


def test_begin_commits_or_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        save_papers(conn, [make_paper("Kept only on commit", arxiv_id="2401.00001")], T0)
        raise RuntimeError("midway")
    with store.begin() as conn:
        assert count_papers(conn) == 0
        save_papers(conn, [make_paper("Kept only on commit", arxiv_id="2401.00001")], T0)
    with store.connect() as conn:
        assert count_papers(conn) == 1


def test_two_processes_worth_of_writers_share_one_sqlite_file(sqlite_store: Store) -> None:
    # Each transaction reads, then writes. With SQLite's default deferred BEGIN two such
    # transactions fail with "database is locked" instead of waiting; BEGIN IMMEDIATE waits.
    stores = [sqlite_store, reopen(sqlite_store)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for batch in range(15):
                papers = [
                    make_paper(f"Worker {worker} batch {batch} paper {i}", arxiv_id=None)
                    for i in range(20)
                ]
                with stores[worker].begin() as conn:
                    count_papers(conn)
                    save_papers(conn, papers, T0)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stores[1].close()
    assert not [e for e in errors if isinstance(e, OperationalError)], errors
    assert not errors
    with sqlite_store.connect() as conn:
        assert count_papers(conn) == 2 * 15 * 20


def test_connections_opening_a_new_sqlite_file_together_all_get_wal(tmp_path: Path) -> None:
    # Switching a fresh file to WAL skips SQLite's busy handler; about one round in 25 used
    # to fail with "database is locked" before the switch was retried.
    failures: list[BaseException] = []
    for round_number in range(120):
        engines = [make_engine(f"sqlite:///{tmp_path}/fresh-{round_number}.db") for _ in range(3)]
        barrier = threading.Barrier(len(engines))

        def open_one(engine: Engine, barrier: threading.Barrier) -> None:
            try:
                barrier.wait()
                with engine.connect() as conn:
                    assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=open_one, args=(engine, barrier)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for engine in engines:
            engine.dispose()
    assert failures == []
