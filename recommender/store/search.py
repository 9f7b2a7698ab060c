"""Full-text search over stored papers: SQLite FTS5 or PostgreSQL text search, ranked, paged.

The user's words never become query syntax: `parse_query` keeps words and "quoted phrases"
(a trailing * on a word asks for a prefix) and drops everything else, then each backend gets
every term as a bound parameter: a double-quoted FTS5 string (quotes doubled) on SQLite,
phraseto_tsquery() on PostgreSQL. So quotes, `*`, `NEAR`, `-`, parentheses or any unicode
search for words and never raise a syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)

from recommender.store.papers import StoredPaper, stored_paper
from recommender.store.tables import PG_SEARCH_COLUMN, papers

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
# bm25 weights of title, abstract, authors: a word in the title counts most.
SQLITE_WEIGHTS = (5.0, 1.0, 3.0)
# Rows ranked past the page on SQLite, so papers of equal score can be put newest first.
TIE_MARGIN = 50

_CHUNK = re.compile(r'"([^"]*)"|(\S+)')
_PREFIX = re.compile(r"(\w+)\*+")
_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_fts = table("papers_fts", column("rowid", Integer))
_fts_table: ColumnClause[Any] = literal_column("papers_fts")
_pg_vector: ColumnClause[Any] = literal_column(f"papers.{PG_SEARCH_COLUMN}")


@dataclass(frozen=True)
class Term:
    """One word or phrase to find; `prefix` also finds words that start with it."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class SearchHit:
    """One found paper and its relevance (higher is better; comparable within one search)."""

    paper: StoredPaper
    score: float


@dataclass(frozen=True)
class SearchPage:
    """One page of results, best first; `has_next` when a later page holds more."""

    terms: list[Term]
    hits: list[SearchHit]
    page: int
    per_page: int
    has_next: bool


def parse_query(query: str) -> list[Term]:
    """The words and "quoted phrases" of what a user typed (at most MAX_TERMS, in order).

    Every paper found contains all of them. Chunks without a letter or digit are dropped, and
    an unbalanced quote is just a character, so any input gives a list, maybe empty.
    """
    cleaned = _CONTROL.sub(" ", query[:MAX_QUERY_CHARS])
    terms: list[Term] = []
    for match in _CHUNK.finditer(cleaned):
        phrase, chunk = match.group(1), match.group(2)
        if phrase is not None:
            term = Term(" ".join(phrase.split()))
        elif prefixed := _PREFIX.fullmatch(chunk):
            term = Term(prefixed.group(1), prefix=True)
        else:
            term = Term(chunk.replace('"', " ").strip())
        if _WORD.search(term.text) and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def fts5_query(terms: list[Term], any_term: bool = False) -> str:
    """The FTS5 MATCH string of the terms: each one a quoted string, so never an operator."""
    quoted = [
        '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "") for term in terms
    ]
    return (" OR " if any_term else " ").join(quoted)


def _pg_query(terms: list[Term], names: list[str]) -> tuple[Any, dict[str, str]]:
    """A tsquery expression of bound parameters, and their values."""
    parts: list[Any] = []
    values: dict[str, str] = {}
    for index, term in enumerate(terms):
        name = f"{names[0]}_{index}"
        if term.prefix:
            # A prefix term is \w+ only (see _PREFIX): quoting it makes it one lexeme.
            values[name] = f"'{term.text}':*"
            parts.append(func.to_tsquery(literal_column("'english'::regconfig"), bindparam(name)))
        else:
            values[name] = term.text
            parts.append(
                func.phraseto_tsquery(literal_column("'english'::regconfig"), bindparam(name))
            )
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op(names[1])(part)
    return combined, values


def _ranked(
    conn: Connection, terms: list[Term], any_term: bool, window: int | None = None
) -> tuple[Select[Any], dict[str, str]]:
    """Papers matching the terms with their relevance `score` (higher is better), ordered.

    On SQLite, `window` ranks inside the FTS5 table first and joins only its best `window`
    rows to `papers`: a common word matches tens of thousands of papers, and joining them all
    to sort by date among equals costs most of the time (see _page_rows for exactness).
    """
    if conn.dialect.name == "sqlite":
        weights: list[ColumnClause[Any]] = [literal_column(repr(w)) for w in SQLITE_WEIGHTS]
        # bm25() is lower for better matches; negated so both backends sort the same way.
        score: ColumnElement[Any] = (-func.bm25(_fts_table, *weights)).label("score")
        match = _fts_table.op("MATCH")(bindparam("fts_query"))
        values = {"fts_query": fts5_query(terms, any_term)}
        if window is None:
            statement = (
                select(papers, score)
                .select_from(_fts.join(papers, papers.c.id == _fts.c.rowid))
                .where(match)
            )
        else:
            best = (
                select(_fts.c.rowid.label("id"), score)
                .where(match)
                .order_by(score.desc())
                .limit(window)
                .subquery("best")
            )
            score = best.c.score
            statement = select(papers, score).join_from(best, papers, papers.c.id == best.c.id)
    else:
        query, values = _pg_query(terms, ["term", "||" if any_term else "&&"])
        score = func.ts_rank(_pg_vector, query, type_=Float).label("score")
        statement = select(papers, score).where(_pg_vector.op("@@")(query))
    statement = statement.order_by(
        score.desc(),
        papers.c.published.desc().nulls_last(),
        papers.c.first_seen.desc(),
        papers.c.id.desc(),
    )
    return statement, values


def _page_rows(
    conn: Connection, terms: list[Term], any_term: bool, offset: int, count: int
) -> list[Any]:
    """Rows offset..offset+count of the ranking, exactly as the unwindowed query gives them."""
    if conn.dialect.name == "sqlite":
        window = offset + count + TIE_MARGIN
        statement, values = _ranked(conn, terms, any_term, window)
        rows = conn.execute(statement, values).all()
        # Every paper outside the window scores at most the window's lowest score. When the
        # last row wanted scores higher, the window holds all of its equals: the page is exact.
        # Otherwise (many equal scores at the edge) the full ranking decides.
        wanted = min(offset + count, len(rows))
        if len(rows) < window or (wanted and rows[wanted - 1].score > rows[-1].score):
            return list(rows[offset : offset + count])
    statement, values = _ranked(conn, terms, any_term)
    return list(conn.execute(statement.limit(count).offset(offset), values).all())


def search_papers(conn: Connection, query: str, page: int = 1, per_page: int = 20) -> SearchPage:
    """One page of the papers whose title, abstract or authors hold every term of `query`.

    Ranked by relevance (bm25 on SQLite, ts_rank on PostgreSQL), newest first among equals.
    """
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page start at 1")
    terms = parse_query(query)
    if not terms:
        return SearchPage(terms, [], page, per_page, has_next=False)
    rows = _page_rows(conn, terms, False, (page - 1) * per_page, per_page + 1)
    hits = [SearchHit(stored_paper(row), float(row.score)) for row in rows[:per_page]]
    return SearchPage(terms, hits, page, per_page, has_next=len(rows) > per_page)


def papers_sharing_terms(conn: Connection, phrases: list[str], limit: int) -> list[int]:
    """Ids of the `limit` papers that best match any of `phrases` (best first).

    What "similar to this" starts from: the papers that share a paper's heaviest words.
    """
    terms = parse_query(" ".join(f'"{p}"' for p in phrases if '"' not in p))
    if not terms or limit < 1:
        return []
    return [int(row.id) for row in _page_rows(conn, terms, True, 0, limit)]


def newest_paper_ids(conn: Connection, limit: int) -> list[int]:
    """Ids of the `limit` papers stored last (uses the first_seen index)."""
    statement = (
        select(papers.c.id)
        .order_by(papers.c.first_seen.desc(), papers.c.id.desc())
        .limit(max(limit, 0))
    )
    return [int(paper_id) for paper_id in conn.execute(statement).scalars()]
