"""Papers: save a batch with dedupe and merging, and the queries that read them back.

`save_papers` looks up every candidate match with a few batched IN queries and writes with
executemany, so its cost grows with the batch, not with one round trip per paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ConfigDict
from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from recommender.errors import InputError
from recommender.identifiers import classify_identifier
from recommender.models import Paper
from recommender.store.batching import chunks, one_of
from recommender.store.paper_merge import (
    CONTENT_COLUMNS,
    PaperIndex,
    PaperRecord,
    incoming_values,
    record_from_row,
    title_norm,
)
from recommender.store.tables import papers


class StoredPaper(Paper):
    """A paper as stored: every Paper field plus its row id and when it was first/last seen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    first_seen: datetime
    last_seen: datetime

    def to_paper(self) -> Paper:
        """The plain Paper, without the storage fields."""
        return Paper.model_validate(self.model_dump(exclude={"id", "first_seen", "last_seen"}))


@dataclass(frozen=True)
class SaveResult:
    """What save_papers did; `keys[i]` is the stored key of the i-th paper given."""

    new: int
    updated: int
    unchanged: int
    keys: list[str]


class PaperText(NamedTuple):
    """What a vectorizer reads of one paper."""

    id: int
    key: str
    title: str
    abstract: str

    @property
    def text(self) -> str:
        """Title and abstract, as `Paper.text`: the text the ranker reads."""
        return f"{self.title}. {self.abstract}".strip()


def _load_candidates(conn: Connection, batch: list[tuple[str, dict[str, Any]]]) -> PaperIndex:
    """Index every stored row that any paper of the batch could be."""
    found: dict[int, Any] = {}
    # Only what merging compares: no first_seen/last_seen to convert for every candidate.
    columns = [papers.c.id, papers.c.key, *(papers.c[name] for name in CONTENT_COLUMNS)]

    def fetch(column: Any, wanted: set[str]) -> None:
        for chunk in chunks(sorted(wanted)):
            for row in conn.execute(select(*columns).where(one_of(conn, column, chunk))):
                found.setdefault(row[0], row)

    fetch(papers.c.key, {key for key, _ in batch})
    found_keys = {row[1] for row in found.values()}
    # A paper found by its key is settled; only the others need the slower lookups.
    rest = [values for key, values in batch if key not in found_keys]
    fetch(papers.c.arxiv_id, {v["arxiv_id"] for v in rest if v["arxiv_id"]})
    fetch(papers.c.doi, {v["doi"] for v in rest if v["doi"]})
    fetch(papers.c.title_norm, {norm for v in rest if (norm := title_norm(v))})
    index = PaperIndex()
    for paper_id in sorted(found):
        index.add(record_from_row(found[paper_id]))
    return index


def save_papers(conn: Connection, papers_in: list[Paper], now: datetime) -> SaveResult:
    """Insert new papers and merge the others into the rows they duplicate.

    The same paper from two feeds, a cross-list or a new version is one row updated in place:
    sources united, the highest version's title/abstract/updated kept, missing DOI, arXiv id,
    abstract, authors and categories filled; the original key and first_seen never change.
    Counts are of rows: two inputs merged into one new row count as one new paper.
    """
    batch = [(paper.key, incoming_values(paper)) for paper in papers_in]
    index = _load_candidates(conn, batch)
    touched: dict[int, PaperRecord] = {}
    keys: list[str] = []
    for key, values in batch:
        record = index.match(key, values)
        if record is None:
            record = index.insert(key, values)
        else:
            index.merge(record, values)
        touched[id(record)] = record
        keys.append(record.key)

    new = [r for r in touched.values() if r.id is None]
    changed = [r for r in touched.values() if r.changed]
    unchanged = [r for r in touched.values() if r.id is not None and not r.changed]
    if new:
        conn.execute(
            insert(papers),
            [{"key": r.key, **r.values, "first_seen": now, "last_seen": now} for r in new],
        )
    if changed:
        assignments: dict[str, Any] = {
            column: bindparam(f"b_{column}") for column in CONTENT_COLUMNS
        }
        statement = (
            update(papers)
            .where(papers.c.id == bindparam("b_id"))
            .values(**assignments, last_seen=bindparam("b_last_seen"))
        )
        rows = [
            {"b_id": r.id, "b_last_seen": now, **{f"b_{c}": r.values[c] for c in CONTENT_COLUMNS}}
            for r in changed
        ]
        conn.execute(statement, rows)
    for chunk in chunks([r.id for r in unchanged]):
        conn.execute(update(papers).where(one_of(conn, papers.c.id, chunk)).values(last_seen=now))
    return SaveResult(new=len(new), updated=len(changed), unchanged=len(unchanged), keys=keys)


def _stored(row: Any) -> StoredPaper:
    return StoredPaper(
        id=row.id,
        key=row.key,
        arxiv_id=row.arxiv_id,
        version=row.version,
        doi=row.doi,
        title=row.title,
        abstract=row.abstract,
        authors=row.authors or [],
        categories=row.categories or [],
        published=row.published,
        updated=row.updated,
        links=row.links or {},
        sources=row.sources or [],
        first_seen=row.first_seen,
        last_seen=row.last_seen,
    )


def stored_paper(row: Any) -> StoredPaper:
    """A StoredPaper from a row holding every column of `papers` (for queries elsewhere)."""
    return _stored(row)


def get_paper(conn: Connection, key: str) -> StoredPaper | None:
    """The paper with this key, or None."""
    row = conn.execute(select(papers).where(papers.c.key == key)).first()
    return _stored(row) if row is not None else None


def find_paper(conn: Connection, identifier: str) -> StoredPaper | None:
    """The paper named by a key, an arXiv id (any form, any version) or a DOI, or None."""
    identifier = identifier.strip()
    by_key = get_paper(conn, identifier)
    if by_key is not None:
        return by_key
    try:
        kind, value = classify_identifier(identifier)
    except InputError:
        return None
    column = papers.c.arxiv_id if kind == "arxiv" else papers.c.doi
    row = conn.execute(select(papers).where(column == value)).first()
    return _stored(row) if row is not None else None


def _contains_folded(conn: Connection, expression: ColumnElement[Any], needle: str) -> Any:
    """Case-insensitive substring test that folds non-ASCII letters on both backends."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if conn.dialect.name == "sqlite":
        # casefold() is registered on every SQLite connection by engine.py.
        return func.casefold(expression).like(f"%{escaped.casefold()}%", escape="\\")
    return func.lower(expression).like(func.lower(literal(f"%{escaped}%")), escape="\\")


def list_papers(
    conn: Connection,
    *,
    search: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[StoredPaper]:
    """Papers first seen at or after `since` whose title, abstract or authors contain `search`.

    Newest first by publication date, undated papers last; ties by when they were stored.
    """
    statement = select(papers).order_by(
        papers.c.published.desc().nulls_last(), papers.c.first_seen.desc(), papers.c.id.desc()
    )
    if since is not None:
        statement = statement.where(papers.c.first_seen >= since)
    if search:
        statement = statement.where(
            or_(
                _contains_folded(conn, papers.c.title, search),
                _contains_folded(conn, papers.c.abstract, search),
                _contains_folded(conn, cast(papers.c.authors, Text), search),
            )
        )
    if limit is not None:
        statement = statement.limit(limit)
    return [_stored(row) for row in conn.execute(statement)]


def papers_seen_since(conn: Connection, since: datetime) -> list[StoredPaper]:
    """Papers first seen at or after `since`, oldest first."""
    statement = (
        select(papers)
        .where(papers.c.first_seen >= since)
        .order_by(papers.c.first_seen, papers.c.id)
    )
    return [_stored(row) for row in conn.execute(statement)]


def window_stamps(conn: Connection, since: datetime) -> list[tuple[int, datetime]]:
    """(id, last_seen) of the papers papers_seen_since(conn, since) returns, in its order.

    Every change to a row sets its last_seen (save_papers), so a cache of those papers can
    tell from this cheap query which of its rows are still as stored.
    """
    statement = (
        select(papers.c.id, papers.c.last_seen)
        .where(papers.c.first_seen >= since)
        .order_by(papers.c.first_seen, papers.c.id)
    )
    return [(int(row.id), row.last_seen) for row in conn.execute(statement)]


def papers_by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, StoredPaper]:
    """The papers with these row ids, by id (unknown ids are left out)."""
    result: dict[int, StoredPaper] = {}
    for chunk in chunks(sorted(set(ids))):
        for row in conn.execute(select(papers).where(one_of(conn, papers.c.id, chunk))):
            result[row.id] = _stored(row)
    return result


def count_papers(conn: Connection) -> int:
    """How many papers are stored."""
    return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())


def iter_paper_texts(
    conn: Connection, batch_size: int = 1000, newest: int | None = None
) -> Iterator[PaperText]:
    """Every paper's id, key, title and abstract, by id, streamed in batches.

    With `newest`, only the `newest` most recently stored papers (still by id).
    """
    statement = select(papers.c.id, papers.c.key, papers.c.title, papers.c.abstract)
    if newest is not None:
        recent = select(papers.c.id).order_by(papers.c.id.desc()).limit(newest).subquery()
        statement = statement.where(papers.c.id.in_(select(recent.c.id)))
    statement = statement.order_by(papers.c.id).execution_options(yield_per=batch_size)
    for row in conn.execute(statement):
        yield PaperText(row.id, row.key, row.title, row.abstract)


def newest_paper_id(conn: Connection) -> int | None:
    """The id of the most recently stored paper (None: no paper yet)."""
    found = conn.execute(select(func.max(papers.c.id))).scalar()
    return None if found is None else int(found)


def count_papers_after(conn: Connection, paper_id: int) -> int:
    """How many papers were stored after the paper `paper_id`."""
    statement = select(func.count()).select_from(papers).where(papers.c.id > paper_id)
    return int(conn.execute(statement).scalar_one())
