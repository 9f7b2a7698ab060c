"""Per-feed state on the feed row: validators, next check, consecutive errors, last error.

The refresh job records it in the same transaction as the papers the fetch produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from recommender.store.tables import feeds
from recommender.store.upsert import insert_or_update


@dataclass(frozen=True)
class FeedState:
    """One row of `feeds`."""

    name: str
    kind: str
    url: str
    etag: str | None
    last_modified: str | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime | None
    error_count: int  # consecutive failures; 0 after a success or a 304
    last_error: str | None
    last_status: int | None
    papers_total: int


def _state(row: Any) -> FeedState:
    return FeedState(**{column.name: getattr(row, column.name) for column in feeds.columns})


def get_feed_state(conn: Connection, name: str) -> FeedState | None:
    """The state of the feed called `name`, or None if it was never fetched."""
    row = conn.execute(select(feeds).where(feeds.c.name == name)).first()
    return _state(row) if row is not None else None


def all_feed_states(conn: Connection) -> list[FeedState]:
    """Every feed's state, by name."""
    return [_state(row) for row in conn.execute(select(feeds).order_by(feeds.c.name))]


def record_feed_success(
    conn: Connection,
    name: str,
    kind: str,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    now: datetime,
    next_check_at: datetime | None,
    papers_total: int,
    status: int | None = 200,
) -> None:
    """A fetch that returned a body: new validators, errors reset, `papers_total` stored as given."""
    updates = {
        "kind": kind,
        "url": url,
        "etag": etag,
        "last_modified": last_modified,
        "last_fetch_at": now,
        "last_success_at": now,
        "next_check_at": next_check_at,
        "error_count": 0,
        "last_error": None,
        "last_status": status,
        "papers_total": papers_total,
    }
    insert_or_update(conn, feeds, {"name": name, **updates}, ["name"], updates)


def record_feed_not_modified(
    conn: Connection,
    name: str,
    kind: str,
    url: str,
    *,
    now: datetime,
    next_check_at: datetime | None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """A 304 answer: a success that keeps the stored validators unless new ones are given."""
    updates: dict[str, Any] = {
        "kind": kind,
        "url": url,
        "last_fetch_at": now,
        "last_success_at": now,
        "next_check_at": next_check_at,
        "error_count": 0,
        "last_error": None,
        "last_status": 304,
    }
    # RFC 9110 15.4.5: a 304 carries the validators the full answer would have had.
    if etag is not None:
        updates["etag"] = etag
    if last_modified is not None:
        updates["last_modified"] = last_modified
    values = {"name": name, "etag": etag, "last_modified": last_modified, **updates}
    insert_or_update(conn, feeds, {**values, "papers_total": 0}, ["name"], updates)


def record_feed_failure(
    conn: Connection,
    name: str,
    kind: str,
    url: str,
    *,
    error: str,
    status: int | None,
    now: datetime,
    next_check_at: datetime | None,
) -> None:
    """A failed fetch: one more consecutive error, its text kept; validators left alone."""
    updates = {
        "kind": kind,
        "url": url,
        "last_fetch_at": now,
        "next_check_at": next_check_at,
        "error_count": feeds.c.error_count + 1,
        "last_error": error,
        "last_status": status,
    }
    values = {**updates, "name": name, "error_count": 1, "papers_total": 0}
    insert_or_update(conn, feeds, values, ["name"], updates)
