"""Atomic insert-or-update and insert-or-ignore, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table) -> Any:
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def insert_or_update(
    conn: Connection,
    table: Table,
    values: Mapping[str, Any],
    keys: list[str],
    updates: Mapping[str, Any],
    where: ColumnElement[bool] | None = None,
) -> int:
    """Insert `values`, or apply `updates` to the row with the same `keys` (if `where` holds).

    Returns the number of rows written: 0 when the row existed and `where` was false.
    """
    statement = _insert(conn, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_=dict(updates), where=where
    )
    return _rowcount(conn, statement)


def _rowcount(conn: Connection, statement: Any) -> int:
    # SQLAlchemy only keeps an INSERT's rowcount when asked to (psycopg would report -1).
    return int(conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount)


def insert_or_ignore(
    conn: Connection, table: Table, values: Mapping[str, Any], keys: list[str]
) -> bool:
    """Insert `values` unless a row with the same `keys` exists; whether it was inserted."""
    statement = _insert(conn, table).values(**values).on_conflict_do_nothing(index_elements=keys)
    return _rowcount(conn, statement) == 1
