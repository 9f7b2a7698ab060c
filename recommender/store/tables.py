"""The current schema as SQLAlchemy Core tables, used by every query module.

Migrations do not create tables from this module: each migration keeps its own snapshot of
the tables as they were at its version (see `schema_v1.py`), and a test checks that the
migrated schema equals this one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
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

# Deterministic constraint names on both backends, so a later migration can drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Normalised titles are cut to this many characters so the index stays within PostgreSQL's
# btree row limit (about 2,700 bytes) whatever a feed sends.
TITLE_NORM_MAX = 500

# Full-text search (migration 3, schema_v3.py) lives outside this metadata: on SQLite the FTS5
# table `papers_fts`, on PostgreSQL the generated column papers.search_vector and its GIN
# index ix_papers_search. recommender/store/search.py names them.
PG_SEARCH_COLUMN = "search_vector"

metadata = MetaData(naming_convention=NAMING_CONVENTION)

papers = Table(
    "papers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False, unique=True),
    Column("arxiv_id", String(64), nullable=True, unique=True),
    Column("version", Integer, nullable=True),
    Column("doi", String(400), nullable=True, unique=True),
    Column("title_norm", String(TITLE_NORM_MAX), nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("authors", json_type(), nullable=False),
    Column("categories", json_type(), nullable=False),
    Column("published", UTCDateTime, nullable=True),
    Column("updated", UTCDateTime, nullable=True),
    Column("links", json_type(), nullable=False),
    Column("sources", json_type(), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False, index=True),
    Column("last_seen", UTCDateTime, nullable=False),
)

feeds = Table(
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
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("papers_total", Integer, nullable=False, default=0),
)

feedback = Table(
    "feedback",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id"), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

user_state = Table(
    "user_state",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("unsubscribed", Boolean, nullable=False, default=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

cycles = Table(
    "cycles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("status", String(16), nullable=False),
    Column("holder", String(200), nullable=False),
    Column("report", json_type(), nullable=True),
)

digests = Table(
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
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("paper_count", Integer, nullable=False),
    Index(None, "status", "next_attempt_at"),
)

digest_papers = Table(
    "digest_papers",
    metadata,
    Column("digest_id", Integer, ForeignKey("digests.id"), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id"), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", json_type(), nullable=False),
    # A paper is never put in two digests of the same user: this constraint is the guarantee.
    UniqueConstraint("user_id", "paper_id"),
)

ranker_models = Table(
    "ranker_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("params", json_type(), nullable=False),
    Column("corpus_size", Integer, nullable=False),
    Column("sklearn_version", String(40), nullable=False),
    Column("blob", LargeBinary, nullable=False),
)

locks = Table(
    "locks",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

# A like or dislike given by arXiv id or DOI whose lookup failed (network, server); each refresh
# tries again, and a success turns it into a `feedback` row.
pending_feedback = Table(
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

# What a user set on their settings page, one JSON object of self-service keys (migration 4).
user_settings = Table(
    "user_settings",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("values", json_type(), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Users added with `papersift invite`, beside those of the config (migration 4).
invited_users = Table(
    "invited_users",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("email", String(400), nullable=False),
    Column("email_norm", String(400), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("invited_at", UTCDateTime, nullable=False),
)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

# Cycles shared by several workers (schema_v6.py): one row per schedule slot asked for, and one
# per piece of its work; both are the idempotency record that lets any task run twice.
cycle_slots = Table(
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

cycle_tasks = Table(
    "cycle_tasks",
    metadata,
    Column("slot", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("args", json_type(), nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    Column("outcome", json_type(), nullable=True),
)

# The crowd view fitted once per state of the likes and text model (migration 8).
crowd_models = Table(
    "crowd_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("made_from", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sklearn_version", String(40), nullable=False),
    Column("blob", LargeBinary, nullable=False),
)

# The label each `papersift worker` goes by, beside the task engine's number for it.
worker_labels = Table(
    "worker_labels",
    metadata,
    Column("worker_id", BigInteger, primary_key=True, autoincrement=False),
    Column("label", String(200), nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)
