"""Likes and dislikes: one row per user and paper, the latest word replacing the earlier one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from recommender.errors import StoreError
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.batching import chunks, one_of
from recommender.store.tables import feedback, papers
from recommender.store.upsert import insert_or_update


@dataclass(frozen=True)
class Feedback:
    """A user's like or dislike of one paper."""

    paper_id: int
    paper_key: str
    kind: FeedbackKind
    origin: FeedbackOrigin
    created_at: datetime


def set_feedback(
    conn: Connection,
    user_id: str,
    paper_id: int,
    kind: FeedbackKind,
    origin: FeedbackOrigin,
    now: datetime,
) -> bool:
    """Record a like or dislike; False when the user already said exactly that (kept as it was)."""
    kind, origin = FeedbackKind(kind), FeedbackOrigin(origin)
    values = {
        "user_id": user_id,
        "paper_id": paper_id,
        "kind": kind.value,
        "origin": origin.value,
        "created_at": now,
    }
    updates = {"kind": kind.value, "origin": origin.value, "created_at": now}
    try:
        written = insert_or_update(
            conn,
            feedback,
            values,
            ["user_id", "paper_id"],
            updates,
            where=feedback.c.kind != kind.value,
        )
    except IntegrityError:
        raise StoreError(
            f"cannot record {kind.value} of paper id {paper_id} for {user_id!r}: no such paper",
            "Add the paper first (papersift add)",
        ) from None
    return written == 1


def remove_feedback(conn: Connection, user_id: str, paper_id: int) -> bool:
    """Forget the user's like or dislike of the paper; whether there was one."""
    result = conn.execute(
        delete(feedback).where(feedback.c.user_id == user_id, feedback.c.paper_id == paper_id)
    )
    return int(result.rowcount) > 0


def _feedback(row: Any) -> Feedback:
    return Feedback(
        paper_id=row.paper_id,
        paper_key=row.key,
        kind=FeedbackKind(row.kind),
        origin=FeedbackOrigin(row.origin),
        created_at=row.created_at,
    )


_SELECT = select(
    feedback.c.user_id,
    feedback.c.paper_id,
    papers.c.key,
    feedback.c.kind,
    feedback.c.origin,
    feedback.c.created_at,
).join(papers, papers.c.id == feedback.c.paper_id)


def feedback_on(conn: Connection, user_id: str, paper_id: int) -> Feedback | None:
    """The user's like or dislike of one paper, or None."""
    statement = _SELECT.where(feedback.c.user_id == user_id, feedback.c.paper_id == paper_id)
    row = conn.execute(statement).first()
    return None if row is None else _feedback(row)


def feedback_for(conn: Connection, user_id: str) -> list[Feedback]:
    """The user's likes and dislikes, oldest first."""
    statement = _SELECT.where(feedback.c.user_id == user_id).order_by(
        feedback.c.created_at, feedback.c.paper_id
    )
    return [_feedback(row) for row in conn.execute(statement)]


def feedback_for_users(conn: Connection, user_ids: Iterable[str]) -> dict[str, list[Feedback]]:
    """Each given user's likes and dislikes, oldest first (an empty list for a user without)."""
    result: dict[str, list[Feedback]] = {user_id: [] for user_id in user_ids}
    for chunk in chunks(sorted(result)):
        statement = _SELECT.where(one_of(conn, feedback.c.user_id, chunk)).order_by(
            feedback.c.created_at, feedback.c.paper_id
        )
        for row in conn.execute(statement):
            result[row.user_id].append(_feedback(row))
    return result
