"""Open the database: SQLite set up for several processes, PostgreSQL through psycopg 3.

`open_store` refuses a database whose schema is behind unless asked to migrate it, so a
daemon never runs against tables it does not know.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from recommender.errors import SchemaOutOfDate, StoreError
from recommender.store import migrations
from recommender.store.urls import display_url, parse_url

BUSY_TIMEOUT_SECONDS = 30
MIGRATE_HINT = "Run: papersift migrate"

Dialect = Literal["sqlite", "postgresql"]


class Store:
    """An open database: an engine plus the transaction helpers every job uses."""

    def __init__(self, engine: Engine, url: str, dialect: Dialect) -> None:
        self.engine = engine
        self.url = url  # password masked: safe to show
        self.dialect: Dialect = dialect
        self.migrations_applied: list[str] = []  # what open_store(migrate=True) applied

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction: committed on success, rolled back on an exception.

        On SQLite the transaction takes the write lock at once (BEGIN IMMEDIATE), so two
        processes writing the same file wait for each other instead of failing.
        """
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def connect(self) -> Connection:
        """A connection for the caller to manage; on SQLite its transactions start as reads."""
        return self.engine.connect()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def make_engine(url: str) -> Engine:
    """An engine for `url`, set up as Papersift needs, without any schema check.

    For SQLite the parent folder is created. Most callers want `open_store` instead.
    """
    return _engine(parse_url(url))


def _engine(parsed: URL) -> Engine:
    if parsed.get_backend_name() == "postgresql":
        return _postgresql_engine(parsed)
    path = _sqlite_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _sqlite_engine(parsed)


def open_store(url: str, *, migrate: bool = False) -> Store:
    """Open the database at `url`; migrate it first when `migrate`, else require it current."""
    parsed = parse_url(url)
    shown = display_url(parsed)
    dialect: Dialect = "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql"
    path = _sqlite_path(parsed) if dialect == "sqlite" else None
    if path is not None and not migrate and not path.exists():
        raise _blank(shown)  # and leave no empty file behind
    engine = _engine(parsed)
    applied: list[str] = []
    try:
        if migrate:
            applied = migrations.migrate(engine)
        version = migrations.current_version(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise StoreError(
            f"cannot open database {shown}: {reason}",
            "Check storage.url and that the database server is running and reachable",
        ) from None
    except BaseException:
        engine.dispose()
        raise
    needed = migrations.latest_version()
    if version != needed:
        engine.dispose()
        if version == 0:
            raise _blank(shown)
        if version > needed:
            raise StoreError(
                f"database {shown} is at schema version {version}, newer than this "
                f"Papersift knows ({needed})",
                "Upgrade Papersift to the version that migrated this database",
            )
        raise SchemaOutOfDate(
            f"database {shown} is at schema version {version}, this Papersift needs {needed}",
            MIGRATE_HINT,
        )
    store = Store(engine, shown, dialect)
    store.migrations_applied = applied
    return store


def _blank(shown: str) -> SchemaOutOfDate:
    return SchemaOutOfDate(
        f"database {shown} is blank (schema version 0), this Papersift needs "
        f"{migrations.latest_version()}",
        MIGRATE_HINT,
    )


def _json_dumps(value: Any) -> str:
    # Non-ASCII kept as is, so a substring search on the JSON text finds "Müller".
    return json.dumps(value, ensure_ascii=False)


def _sqlite_path(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(
        url,
        json_serializer=_json_dumps,
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below); the driver's own BEGIN handling is switched off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()
        # SQLite's lower() folds ASCII only; searches use this instead.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite transaction mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _switch_to_wal(cursor: Any) -> None:
    """Put the database file in WAL mode (it stays so), waiting out a concurrent switch.

    Switching the journal mode does not go through SQLite's busy handler: while another
    connection switches a fresh file, this one gets "database is locked" at once. Two
    processes opening a new database together (say `papersift web` and `papersift run`)
    must both succeed, so the switch is retried for as long as a busy lock would be waited on.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _postgresql_engine(url: URL) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # psycopg prepares a statement after 5 runs, and PostgreSQL may then reuse a generic
        # plan that scans a table without statistics comparing each row with every value of
        # a 500-item batch (measured: a 10,000-paper re-save went from 0.6 s to 3-6 s).
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.autocommit = autocommit

    return engine


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value
