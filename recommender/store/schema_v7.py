"""Migration 7: `worker_labels`, the name each running `papersift worker` goes by.

The task engine knows its workers by a number only; a worker writes its label (host:pid or
its --name) beside that number so `papersift status` can say which machine runs what.
Never edit this definition: a later change is a new migration.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, MetaData, String, Table

from recommender.store.coltypes import UTCDateTime
from recommender.store.schema_v1 import NAMING_CONVENTION_V1


def create(conn: Connection) -> None:
    """Create the table; nothing else changes."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION_V1)
    Table(
        "worker_labels",
        metadata,
        Column("worker_id", BigInteger, primary_key=True, autoincrement=False),
        Column("label", String(200), nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
    )
    metadata.create_all(conn, checkfirst=False)
