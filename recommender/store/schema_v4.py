"""Migration 4: `user_settings` (what people set on their settings page) and `invited_users`.

Never edit these definitions: a later change is a new migration.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, Text

from recommender.store.coltypes import UTCDateTime, json_type
from recommender.store.schema_v1 import NAMING_CONVENTION_V1


def create(conn: Connection) -> None:
    """Create the two tables; nothing else changes."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION_V1)
    Table(
        "user_settings",
        metadata,
        Column("user_id", String(200), primary_key=True),
        Column("values", json_type(), nullable=False),  # self-service key -> value
        Column("updated_at", UTCDateTime, nullable=False),
    )
    Table(
        "invited_users",
        metadata,
        Column("id", String(200), primary_key=True),
        Column("email", String(400), nullable=False),
        Column("email_norm", String(400), nullable=False, unique=True),  # lower-cased
        Column("name", Text, nullable=False),
        Column("invited_at", UTCDateTime, nullable=False),
    )
    metadata.create_all(conn, checkfirst=False)
