"""Migration 3: full-text search over papers' title, abstract and authors.

SQLite: an external-content FTS5 table `papers_fts` (rowid = papers.id) kept in step with
`papers` by triggers, so every write path (save_papers' inserts and merges, any UPDATE or
DELETE) is covered without the Python code knowing about it; existing rows are indexed by a
rebuild. PostgreSQL: a stored generated tsvector column `search_vector` (title weighted above
abstract above authors) with a GIN index; adding it computes it for the rows already stored,
and PostgreSQL keeps it current on every write. Stored rather than an index expression, so
ranking reads each match's vector instead of re-parsing its text (10x faster for a common
word). Neither backend's search structure is in tables.py: SQLAlchemy metadata cannot declare
an FTS5 table, nor a column that exists on one backend only.

Never edit these definitions: a later change is a new migration.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

PG_SEARCH_VECTOR_V3 = (
    "setweight(to_tsvector('english'::regconfig, title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, abstract), 'B') || "
    "setweight(to_tsvector('english'::regconfig, authors), 'C')"
)

# Porter stemming on top of unicode61, accents folded: "networks" finds "network", "Muller"
# finds "Müller", like PostgreSQL's english configuration (which also drops stop words).
_SQLITE_DDL = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, abstract, authors,
        content='papers', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.id, new.title, new.abstract, new.authors);
    END""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.id, old.title, old.abstract, old.authors);
    END""",
    # Only when an indexed column changes: refreshing last_seen leaves the index alone.
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.id, old.title, old.abstract, old.authors);
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.id, new.title, new.abstract, new.authors);
    END""",
    "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')",
]


def create(conn: Connection) -> None:
    """Create the search index of the backend and index the stored papers."""
    if conn.dialect.name == "sqlite":
        for statement in _SQLITE_DDL:
            conn.execute(text(statement))
        return
    conn.execute(
        text(
            "ALTER TABLE papers ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_SEARCH_VECTOR_V3}) STORED"
        )
    )
    conn.execute(text("CREATE INDEX ix_papers_search ON papers USING gin (search_vector)"))
