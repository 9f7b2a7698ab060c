"""Ordered, named schema migrations and the runner that applies the pending ones.

The database records each applied migration as a row of `schema_version`; a database without
that table is blank (whatever else it holds, e.g. APScheduler's job table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from recommender.errors import StoreError
from recommender.store import (
    schema_v1,
    schema_v2,
    schema_v3,
    schema_v4,
    schema_v6,
    schema_v7,
    schema_v8,
)
from recommender.store.tables import schema_version
from recommender.store.urls import display_url

# Any fixed number: migrations on PostgreSQL hold this transaction-level advisory lock, so two
# processes migrating at once run one after the other. SQLite gets the same from BEGIN IMMEDIATE.
_PG_MIGRATION_LOCK = 0x5A9E_5177
PG_MIGRATION_LOCK = _PG_MIGRATION_LOCK  # also held while procrastinate's schema is created


@dataclass(frozen=True)
class Migration:
    """One schema change: its number, a short name and the function that applies it."""

    number: int
    name: str
    apply: Callable[[Connection], None]

    @property
    def label(self) -> str:
        """How reports name it, e.g. '0001_initial'."""
        return f"{self.number:04d}_{self.name}"


MIGRATIONS: list[Migration] = [
    Migration(1, "initial", schema_v1.create),
    Migration(2, "pending_feedback", schema_v2.create),
    Migration(3, "paper_search", schema_v3.create),
    Migration(4, "user_settings_and_invites", schema_v4.create),
    Migration(6, "worker_cycles", schema_v6.create),
    Migration(7, "worker_labels", schema_v7.create),
    Migration(8, "crowd_models", schema_v8.create),
]

LATEST: int = MIGRATIONS[-1].number


def latest_version() -> int:
    """The schema version this Papersift needs (the last migration's number)."""
    return MIGRATIONS[-1].number


def version_of(conn: Connection) -> int:
    """The schema version of the database behind `conn` (0 when blank)."""
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)


def current_version(engine: Engine) -> int:
    """The schema version of the database (0 when blank)."""
    with engine.connect() as conn:
        return version_of(conn)


def migrate(engine: Engine, now: datetime | None = None) -> list[str]:
    """Apply the pending migrations in order, each in its own transaction (all of them in one
    when the database is blank); return their labels."""
    applied_at = now or datetime.now(UTC)
    applied: list[str] = []
    for migration in MIGRATIONS:
        with engine.connect() as conn:
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                schema_version.create(conn, checkfirst=True)
                version = version_of(conn)
                if version > latest_version():
                    raise StoreError(
                        f"database {display_url(engine.url)} is at schema version {version}, newer than "
                        f"this Papersift knows ({latest_version()})",
                        "Upgrade Papersift to the version that migrated this database",
                    )
                if version >= migration.number:
                    continue
                # A blank database gets its whole schema in this one transaction: a second
                # process opening it at the same moment (two runs started together) sees it
                # blank or complete, never half made (which it would refuse as out of date).
                steps = [m for m in MIGRATIONS if m.number >= migration.number]
                for step in steps if version == 0 else [migration]:
                    _apply(conn, engine, step, applied_at)
                    applied.append(step.label)
    return applied


def _apply(conn: Connection, engine: Engine, migration: Migration, applied_at: datetime) -> None:
    try:
        migration.apply(conn)
    except DBAPIError as exc:
        raise StoreError(
            f"migration {migration.label} failed on {display_url(engine.url)}: {_first_line(exc)}",
            "Nothing of it was applied; fix the cause and run papersift migrate again",
        ) from exc
    conn.execute(
        insert(schema_version).values(
            version=migration.number, name=migration.name, applied_at=applied_at
        )
    )


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
