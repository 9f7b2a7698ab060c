"""Migration 1: the initial schema, frozen as it was at version 1.

Never edit these definitions: a later change to a table is a new migration (e.g. one that
runs `ALTER TABLE ... ADD COLUMN` through `Column.compile`), and `tables.py` shows the sum.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from recommender.store.coltypes import UTCDateTime, json_type

# Frozen copies: changing tables.py must never change what migration 1 creates.
NAMING_CONVENTION_V1 = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def create(conn: Connection) -> None:
    """Create the version-1 tables (everything but `schema_version`, which the runner owns)."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION_V1)

    Table(
        "papers",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("key", String(400), nullable=False, unique=True),
        Column("arxiv_id", String(64), nullable=True, unique=True),
        Column("version", Integer, nullable=True),
        Column("doi", String(400), nullable=True, unique=True),
        Column("title_norm", String(500), nullable=False, index=True),
        Column("title", Text, nullable=False),
        Column("abstract", Text, nullable=False),
        Column("authors", json_type(), nullable=False),
        Column("categories", json_type(), nullable=False),
        Column("published", UTCDateTime, nullable=True),
        Column("updated", UTCDateTime, nullable=True),
        Column("links", json_type(), nullable=False),
        Column("sources", json_type(), nullable=False),
        Column("first_seen", UTCDateTime, nullable=False, index=True),
        Column("last_seen", UTCDateTime, nullable=False),
    )

    Table(
        "feeds",
        metadata,
        Column("name", String(200), primary_key=True),
        Column("kind", String(40), nullable=False),
        Column("url", Text, nullable=False),
        Column("etag", Text, nullable=True),
        Column("last_modified", Text, nullable=True),
        Column("last_fetch_at", UTCDateTime, nullable=True),
        Column("last_success_at", UTCDateTime, nullable=True),
        Column("next_check_at", UTCDateTime, nullable=True),
        Column("error_count", Integer, nullable=False),
        Column("last_error", Text, nullable=True),
        Column("last_status", Integer, nullable=True),
        Column("papers_total", Integer, nullable=False),
    )

    Table(
        "feedback",
        metadata,
        Column("user_id", String(200), primary_key=True),
        Column("paper_id", Integer, ForeignKey("papers.id"), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("origin", String(16), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
    )

    Table(
        "user_state",
        metadata,
        Column("user_id", String(200), primary_key=True),
        Column("paused", Boolean, nullable=False),
        Column("unsubscribed", Boolean, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    )

    Table(
        "cycles",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("started_at", UTCDateTime, nullable=False),
        Column("finished_at", UTCDateTime, nullable=True),
        Column("status", String(16), nullable=False),
        Column("holder", String(200), nullable=False),
        Column("report", json_type(), nullable=True),
    )

    Table(
        "digests",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", String(200), nullable=False, index=True),
        Column("cycle_id", Integer, ForeignKey("cycles.id"), nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("message_id", String(400), nullable=False, unique=True),
        Column("subject", Text, nullable=False),
        Column("recipient", Text, nullable=False),
        Column("message", LargeBinary, nullable=False),
        Column("html", Text, nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", UTCDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("sent_at", UTCDateTime, nullable=True),
        Column("paper_count", Integer, nullable=False),
        Index(None, "status", "next_attempt_at"),
    )

    Table(
        "digest_papers",
        metadata,
        Column("digest_id", Integer, ForeignKey("digests.id"), primary_key=True),
        Column("paper_id", Integer, ForeignKey("papers.id"), primary_key=True),
        Column("user_id", String(200), nullable=False),
        Column("rank", Integer, nullable=False),
        Column("score", Float, nullable=False),
        Column("reasons", json_type(), nullable=False),
        UniqueConstraint("user_id", "paper_id"),
    )

    Table(
        "ranker_models",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("params", json_type(), nullable=False),
        Column("corpus_size", Integer, nullable=False),
        Column("sklearn_version", String(40), nullable=False),
        Column("blob", LargeBinary, nullable=False),
    )

    Table(
        "locks",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(200), nullable=False),
        Column("acquired_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
    )

    metadata.create_all(conn, checkfirst=False)
