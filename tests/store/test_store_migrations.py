"""Migrations: from a blank database, idempotent, serialised, and blind to foreign tables."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, Engine, inspect, select, text
from store_support import T0

from recommender.errors import StoreError
from recommender.store import migrations as migrations_module
from recommender.store import open_store
from recommender.store.engine import make_engine
from recommender.store.migrations import (
    LATEST,
    MIGRATIONS,
    Migration,
    current_version,
    migrate,
)
from recommender.store.tables import metadata, schema_version


def _tables(engine: Engine) -> list[str]:
    """The tables, without SQLite's full-text index (an FTS5 virtual table and its shadow
    tables, which SQLAlchemy metadata cannot declare; tests/store/test_store_search.py checks it).
    """
    return sorted(t for t in inspect(engine).get_table_names() if not t.startswith("papers_fts"))


# PostgreSQL's full-text search: a column and an index of one backend only, outside tables.py.
_SEARCH_COLUMN, _SEARCH_INDEX = "search_vector", "ix_papers_search"


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything reflection tells about the tables, in a comparable form."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in _tables(engine):
        pk = inspector.get_pk_constraint(table)
        schema[table] = {
            "columns": [
                (c["name"], repr(c["type"]), c["nullable"])
                for c in inspector.get_columns(table)
                if c["name"] != _SEARCH_COLUMN
            ],
            "pk": (pk["name"], tuple(pk["constrained_columns"])),
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
                if i["name"] != _SEARCH_INDEX
            ),
            "foreign_keys": sorted(
                (f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return schema


def test_migrate_from_blank_is_idempotent(blank_url: str) -> None:
    engine = make_engine(blank_url)
    try:
        assert current_version(engine) == 0
        assert migrate(engine, now=T0) == [m.label for m in MIGRATIONS]
        assert current_version(engine) == LATEST == MIGRATIONS[-1].number
        assert migrate(engine) == []
        with engine.connect() as conn:
            rows = conn.execute(select(schema_version)).all()
        assert [(r.version, r.name, r.applied_at) for r in rows] == [
            (m.number, m.name, T0) for m in MIGRATIONS
        ]
        assert set(_tables(engine)) == set(metadata.tables)
    finally:
        engine.dispose()


def test_migrated_schema_is_the_schema_of_tables_py(make_blank_url: Callable[[], str]) -> None:
    migrated, declared = make_engine(make_blank_url()), make_engine(make_blank_url())
    try:
        migrate(migrated)
        metadata.create_all(declared)
        assert _schema(migrated) == _schema(declared)
    finally:
        migrated.dispose()
        declared.dispose()


def _start_apscheduler(engine: Engine) -> None:
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine)})
    scheduler.start(paused=True)
    scheduler.add_job(
        "builtins:print", "interval", hours=1, id="digest-alice", replace_existing=True
    )
    scheduler.shutdown(wait=True)


def test_apscheduler_job_table_does_not_confuse_migrations(blank_url: str) -> None:
    engine = make_engine(blank_url)
    try:
        _start_apscheduler(engine)  # APScheduler first: the database is still blank for us
        assert current_version(engine) == 0
        assert migrate(engine) == [m.label for m in MIGRATIONS]
        _start_apscheduler(engine)  # and after: nothing changes
        assert current_version(engine) == LATEST
        assert migrate(engine) == []
        with engine.connect() as conn:
            jobs = conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert jobs == ["digest-alice"]
    finally:
        engine.dispose()
    with open_store(blank_url) as store:
        assert store.migrations_applied == []


def test_concurrent_migrations_apply_each_migration_once(blank_url: str) -> None:
    engines = [make_engine(blank_url) for _ in range(3)]
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(engines))

    def run(engine: Engine) -> None:
        try:
            barrier.wait()
            results.append(migrate(engine))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        # From blank, one of them applies every migration in one transaction; what matters
        # is that every migration ran exactly once.
        assert sorted(label for labels in results for label in labels) == [
            m.label for m in MIGRATIONS
        ]
        with engines[0].connect() as conn:
            assert conn.execute(select(schema_version.c.version)).scalars().all() == [
                m.number for m in MIGRATIONS
            ]
    finally:
        for engine in engines:
            engine.dispose()


def test_a_failing_migration_leaves_nothing_behind(
    blank_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (id INTEGER PRIMARY KEY)"))
        conn.execute(text("ALTER TABLE no_such_table ADD COLUMN x INTEGER"))

    patched = [*migrations_module.MIGRATIONS, Migration(LATEST + 1, "broken", half_done)]
    engine = make_engine(blank_url)
    try:
        migrate(engine)  # an install at the latest schema, then an upgrade that fails
        monkeypatch.setattr(migrations_module, "MIGRATIONS", patched)
        with pytest.raises(StoreError) as caught:
            migrate(engine)
        assert str(caught.value).startswith(f"migration {LATEST + 1:04d}_broken failed on ")
        assert caught.value.hint == (
            "Nothing of it was applied; fix the cause and run papersift migrate again"
        )
        assert current_version(engine) == LATEST  # the earlier ones were committed on their own
        assert "half_done" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_blank_database_gets_its_schema_whole_or_not_at_all(
    blank_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created from blank in one transaction: a process looking meanwhile (a second run
    started at the same moment) sees no schema, then all of it; never a part, which it would
    refuse as out of date."""
    inside = threading.Event()
    go_on = threading.Event()

    def slow(conn: Connection) -> None:
        inside.set()  # every migration before this one is applied, not committed
        assert go_on.wait(30)

    slow_step = Migration(LATEST + 1, "slow", slow)
    monkeypatch.setattr(migrations_module, "MIGRATIONS", [*MIGRATIONS, slow_step])
    creating, looking = make_engine(blank_url), make_engine(blank_url)
    worker = threading.Thread(target=migrate, args=(creating,))
    try:
        worker.start()
        assert inside.wait(30)
        assert current_version(looking) == 0  # not LATEST's predecessors: nothing yet
        go_on.set()
        worker.join(30)
        assert current_version(looking) == LATEST + 1
    finally:
        go_on.set()
        worker.join(30)
        creating.dispose()
        looking.dispose()


def test_a_broken_migration_leaves_a_blank_database_blank(
    blank_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: Connection) -> None:
        conn.execute(text("ALTER TABLE no_such_table ADD COLUMN x INTEGER"))

    patched = [*MIGRATIONS, Migration(LATEST + 1, "broken", broken)]
    monkeypatch.setattr(migrations_module, "MIGRATIONS", patched)
    engine = make_engine(blank_url)
    try:
        with pytest.raises(StoreError):
            migrate(engine)
        assert current_version(engine) == 0
        assert "papers" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
