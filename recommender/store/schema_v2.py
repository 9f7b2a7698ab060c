"""Migration 2: `pending_feedback`, likes and dislikes waiting for their paper's lookup.

Never edit these definitions: a later change is a new migration.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text

from recommender.store.coltypes import UTCDateTime
from recommender.store.schema_v1 import NAMING_CONVENTION_V1


def create(conn: Connection) -> None:
    """Create the table; nothing else changes."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION_V1)
    Table(
        "pending_feedback",
        metadata,
        Column("user_id", String(200), primary_key=True),
        Column("identifier", String(400), primary_key=True),  # normalised: bare arXiv id or DOI
        Column("kind", String(16), nullable=False),
        Column("origin", String(16), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_tried_at", UTCDateTime, nullable=False),
        Column("last_error", Text, nullable=False),
    )
    metadata.create_all(conn, checkfirst=False)
