"""Migration 8: `crowd_models`, the crowd view fitted once and shared.

A crowd model is learnt from every reader's likes over one text model; it is stored with
what it was made from (the text model's fit id, a digest of the likes and the ranker
settings), so every compose batch, worker, preview and page view of the same state loads it
instead of fitting it again. Never edit this definition: a later change is a new migration.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Integer, LargeBinary, MetaData, String, Table

from recommender.store.coltypes import UTCDateTime
from recommender.store.schema_v1 import NAMING_CONVENTION_V1


def create(conn: Connection) -> None:
    """Create the table; nothing else changes."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION_V1)
    Table(
        "crowd_models",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("made_from", String(64), nullable=False, unique=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("sklearn_version", String(40), nullable=False),
        Column("blob", LargeBinary, nullable=False),
    )
    metadata.create_all(conn, checkfirst=False)
