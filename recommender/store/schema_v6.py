"""Migration 6: `cycle_slots` and `cycle_tasks`, the state of cycles shared by several workers.

A slot row is the record that a cycle was asked for (one per schedule slot, whoever asks);
a task row is one piece of its work (a feed, a batch of users, a digest) and when it was done.
Never edit these definitions: a later change is a new migration.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, Index, Integer, MetaData, String, Table

from recommender.store.coltypes import UTCDateTime, json_type
from recommender.store.schema_v1 import NAMING_CONVENTION_V1


def create(conn: Connection) -> None:
    """Create both tables; nothing else changes."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION_V1)
    Table(
        "cycle_slots",
        metadata,
        Column("slot", String(64), primary_key=True),
        Column("users", json_type(), nullable=True),  # user ids; null: every user
        Column("due_only", Boolean, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("stage", String(16), nullable=False),
        Column("cycle_id", Integer, nullable=True),
        Index(None, "stage"),
    )
    Table(
        "cycle_tasks",
        metadata,
        Column("slot", String(64), primary_key=True),
        Column("kind", String(16), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("args", json_type(), nullable=False),
        Column("done_at", UTCDateTime, nullable=True),
        Column("outcome", json_type(), nullable=True),
    )
    metadata.create_all(conn, checkfirst=False)
