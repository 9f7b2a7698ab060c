"""Batched lookups: split long lists of values and test membership fast on both backends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

# Values per statement: well below SQLite's and psycopg's limits on bound parameters.
CHUNK = 500

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`values` in consecutive slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def one_of(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(:array)`, a single parameter.

    The array is cast to plain VARCHAR[], never VARCHAR(n)[], whose per-element length check
    keeps PostgreSQL from hashing the array for the lookup.
    """
    if conn.dialect.name == "postgresql":
        element = String() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, list(values), type_=ARRAY(element)))
    return column.in_(list(values))
