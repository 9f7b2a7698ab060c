"""The outbox: rendered digests waiting to be sent, and which papers each user was sent.

A digest and its papers are recorded in one transaction; the unique (user_id, paper_id) on
`digest_papers` is what guarantees a paper is never put in two digests of the same user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from recommender.errors import StoreError
from recommender.store.batching import chunks, one_of
from recommender.store.tables import digest_papers as claims
from recommender.store.tables import digests, papers


class DigestStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class DigestConflict(StoreError):
    """A digest would hold a paper already in another digest of the same user."""


@dataclass(frozen=True)
class DigestItemRow:
    """One paper of a digest about to be recorded."""

    paper_id: int
    rank: int
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DigestRow:
    """One row of the outbox, with the exact message bytes to send."""

    id: int
    user_id: str
    cycle_id: int | None
    created_at: datetime
    message_id: str
    subject: str
    recipient: str
    message: bytes
    html: str
    status: DigestStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    paper_count: int


@dataclass(frozen=True)
class DigestPaperRow:
    """A paper as it was placed in a digest."""

    paper_id: int
    paper_key: str
    rank: int
    score: float
    reasons: list[dict[str, Any]]


def _digest(row: Any) -> DigestRow:
    values = {column.name: getattr(row, column.name) for column in digests.columns}
    values["message"] = bytes(values["message"])
    values["status"] = DigestStatus(values["status"])
    return DigestRow(**values)


def sent_paper_ids(conn: Connection, user_id: str) -> set[int]:
    """Every paper in any digest of the user, whatever its status: those are claimed."""
    statement = select(claims.c.paper_id).where(claims.c.user_id == user_id)
    return set(conn.execute(statement).scalars())


def sent_paper_ids_for_users(conn: Connection, user_ids: Iterable[str]) -> dict[str, set[int]]:
    """sent_paper_ids for several users at once (an empty set for a user without digests)."""
    result: dict[str, set[int]] = {user_id: set() for user_id in user_ids}
    for chunk in chunks(sorted(result)):
        statement = select(claims.c.user_id, claims.c.paper_id).where(
            one_of(conn, claims.c.user_id, chunk)
        )
        for user_id, paper_id in conn.execute(statement):
            result[user_id].add(paper_id)
    return result


def create_digest(
    conn: Connection,
    *,
    user_id: str,
    cycle_id: int | None,
    recipient: str,
    subject: str,
    message_id: str,
    message: bytes,
    html: str,
    items: list[DigestItemRow],
    now: datetime,
) -> int:
    """Record a pending digest and claim its papers for the user; returns the digest id.

    Raises DigestConflict when a paper is already claimed; the caller's transaction must then
    be rolled back (on PostgreSQL it can do nothing else).
    """
    paper_ids = [item.paper_id for item in items]
    if len(set(paper_ids)) != len(paper_ids):
        raise DigestConflict(f"digest for {user_id!r} lists a paper twice", "Deduplicate the items")
    already = sent_paper_ids(conn, user_id) & set(paper_ids)
    if already:
        raise DigestConflict(
            f"papers {sorted(already)} are already in a digest of {user_id!r}",
            "Leave claimed papers out (sent_paper_ids)",
        )
    try:
        result = conn.execute(
            insert(digests)
            .values(
                user_id=user_id,
                cycle_id=cycle_id,
                created_at=now,
                message_id=message_id,
                subject=subject,
                recipient=recipient,
                message=message,
                html=html,
                status=DigestStatus.PENDING.value,
                attempts=0,
                next_attempt_at=None,
                paper_count=len(items),
            )
            .returning(digests.c.id)
        )
        digest_id = int(result.scalar_one())
        if items:
            rows = [
                {
                    "digest_id": digest_id,
                    "paper_id": item.paper_id,
                    "user_id": user_id,
                    "rank": item.rank,
                    "score": item.score,
                    "reasons": item.reasons,
                }
                for item in items
            ]
            conn.execute(insert(claims), rows)
    except IntegrityError as exc:
        # Another process claimed a paper, or reused the Message-ID, since the check above.
        raise DigestConflict(
            f"digest for {user_id!r} could not be recorded: {str(exc.orig).splitlines()[0]}",
            "Roll back and pick the user's papers again",
        ) from exc
    return digest_id


def pending_digests(conn: Connection, now: datetime | None) -> list[DigestRow]:
    """Digests waiting to be sent whose next attempt is due (all of them for None), oldest first."""
    statement = select(digests).where(digests.c.status == DigestStatus.PENDING.value)
    if now is not None:
        statement = statement.where(
            (digests.c.next_attempt_at.is_(None)) | (digests.c.next_attempt_at <= now)
        )
    statement = statement.order_by(digests.c.created_at, digests.c.id)
    return [_digest(row) for row in conn.execute(statement)]


def get_digest(conn: Connection, digest_id: int) -> DigestRow | None:
    """One digest by id, or None."""
    row = conn.execute(select(digests).where(digests.c.id == digest_id)).first()
    return _digest(row) if row is not None else None


def _require(conn: Connection, digest_id: int) -> DigestRow:
    row = conn.execute(select(digests).where(digests.c.id == digest_id)).first()
    if row is None:
        raise StoreError(f"there is no digest with id {digest_id}", "Check the id")
    return _digest(row)


def mark_sent(conn: Connection, digest_id: int, now: datetime) -> None:
    """The digest was accepted by the mail server (or written to the outbox folder)."""
    result = conn.execute(
        update(digests)
        .where(digests.c.id == digest_id)
        .values(
            status=DigestStatus.SENT.value,
            sent_at=now,
            attempts=digests.c.attempts + 1,
            next_attempt_at=None,
        )
    )
    if result.rowcount == 0:
        _require(conn, digest_id)


def mark_temporary_failure(
    conn: Connection,
    digest_id: int,
    error: str,
    now: datetime,
    next_attempt_at: datetime,
    max_attempts: int,
) -> DigestStatus:
    """One more failed attempt: retried at `next_attempt_at`, or 'failed' after `max_attempts`.

    A digest that is no longer pending is left as it is; its status is returned.
    """
    gives_up = digests.c.attempts + 1 >= max_attempts
    result = conn.execute(
        update(digests)
        .where(digests.c.id == digest_id, digests.c.status == DigestStatus.PENDING.value)
        .values(
            attempts=digests.c.attempts + 1,
            last_error=error,
            status=case((gives_up, DigestStatus.FAILED.value), else_=DigestStatus.PENDING.value),
            next_attempt_at=case((gives_up, None), else_=next_attempt_at),
        )
        .returning(digests.c.status)
    )
    status = result.scalar()
    if status is None:
        return _require(conn, digest_id).status
    return DigestStatus(status)


def mark_permanent_failure(conn: Connection, digest_id: int, error: str, now: datetime) -> None:
    """The mail server refused the digest for good: it is never retried."""
    result = conn.execute(
        update(digests)
        .where(digests.c.id == digest_id)
        .values(
            status=DigestStatus.FAILED.value,
            attempts=digests.c.attempts + 1,
            last_error=error,
            next_attempt_at=None,
        )
    )
    if result.rowcount == 0:
        _require(conn, digest_id)


def outbox_counts(conn: Connection) -> dict[DigestStatus, int]:
    """How many digests are pending, sent and failed."""
    counts = dict.fromkeys(DigestStatus, 0)
    statement = select(digests.c.status, func.count()).group_by(digests.c.status)
    for status, count in conn.execute(statement):
        counts[DigestStatus(status)] = int(count)
    return counts


def recent_digests(conn: Connection, user_id: str | None, limit: int) -> list[DigestRow]:
    """The latest digests, newest first; of one user, or of everyone when `user_id` is None."""
    statement = select(digests).order_by(digests.c.created_at.desc(), digests.c.id.desc())
    if user_id is not None:
        statement = statement.where(digests.c.user_id == user_id)
    return [_digest(row) for row in conn.execute(statement.limit(limit))]


def digest_papers(conn: Connection, digest_id: int) -> list[DigestPaperRow]:
    """The papers of a digest, by rank."""
    statement = (
        select(
            claims.c.paper_id,
            papers.c.key,
            claims.c.rank,
            claims.c.score,
            claims.c.reasons,
        )
        .join(papers, papers.c.id == claims.c.paper_id)
        .where(claims.c.digest_id == digest_id)
        .order_by(claims.c.rank, claims.c.paper_id)
    )
    return [
        DigestPaperRow(row.paper_id, row.key, row.rank, float(row.score), list(row.reasons or []))
        for row in conn.execute(statement)
    ]


def last_digest_times(conn: Connection, user_ids: Iterable[str]) -> dict[str, datetime]:
    """When each user's latest digest was composed (users without one are absent)."""
    result: dict[str, datetime] = {}
    for batch in chunks(list(user_ids)):
        statement = (
            select(digests.c.user_id, func.max(digests.c.created_at))
            .where(one_of(conn, digests.c.user_id, batch))
            .group_by(digests.c.user_id)
        )
        for user_id, created_at in conn.execute(statement):
            # max() keeps the column's type, so the value comes back as an aware UTC datetime.
            result[user_id] = created_at
    return result
