"""Likes and dislikes waiting for their paper: the lookup failed, each refresh tries again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.tables import pending_feedback
from recommender.store.upsert import insert_or_update


@dataclass(frozen=True)
class PendingFeedback:
    """One like or dislike by identifier, not yet resolved to a stored paper."""

    user_id: str
    identifier: str  # bare arXiv id or normalised DOI
    kind: FeedbackKind
    origin: FeedbackOrigin
    created_at: datetime
    attempts: int
    last_tried_at: datetime
    last_error: str


def keep_pending(
    conn: Connection,
    user_id: str,
    identifier: str,
    kind: FeedbackKind,
    origin: FeedbackOrigin,
    error: str,
    now: datetime,
) -> None:
    """Record (or renew, with the latest word and error) a like waiting for its lookup."""
    values = {
        "user_id": user_id,
        "identifier": identifier,
        "kind": FeedbackKind(kind).value,
        "origin": FeedbackOrigin(origin).value,
        "created_at": now,
        "attempts": 1,
        "last_tried_at": now,
        "last_error": error,
    }
    updates = {
        "kind": values["kind"],
        "origin": values["origin"],
        "attempts": pending_feedback.c.attempts + 1,
        "last_tried_at": now,
        "last_error": error,
    }
    insert_or_update(conn, pending_feedback, values, ["user_id", "identifier"], updates)


def record_failed_attempt(
    conn: Connection, user_id: str, identifier: str, error: str, now: datetime
) -> None:
    """A refresh tried again and the lookup still failed."""
    conn.execute(
        update(pending_feedback)
        .where(pending_feedback.c.user_id == user_id)
        .where(pending_feedback.c.identifier == identifier)
        .values(attempts=pending_feedback.c.attempts + 1, last_tried_at=now, last_error=error)
    )


def pending_for(conn: Connection, user_id: str | None = None) -> list[PendingFeedback]:
    """Pending likes and dislikes, oldest first; every user's when `user_id` is None."""
    query = select(pending_feedback).order_by(
        pending_feedback.c.created_at, pending_feedback.c.user_id, pending_feedback.c.identifier
    )
    if user_id is not None:
        query = query.where(pending_feedback.c.user_id == user_id)
    return [
        PendingFeedback(
            user_id=row.user_id,
            identifier=row.identifier,
            kind=FeedbackKind(row.kind),
            origin=FeedbackOrigin(row.origin),
            created_at=row.created_at,
            attempts=row.attempts,
            last_tried_at=row.last_tried_at,
            last_error=row.last_error,
        )
        for row in conn.execute(query)
    ]


def drop_pending(conn: Connection, user_id: str, identifier: str) -> bool:
    """Forget a pending like (resolved, or withdrawn by `unlike`); False if there was none."""
    result = conn.execute(
        delete(pending_feedback)
        .where(pending_feedback.c.user_id == user_id)
        .where(pending_feedback.c.identifier == identifier)
    )
    return bool(result.rowcount)
