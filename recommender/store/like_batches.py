"""Likes given as one batch (a paste, an upload) and their exact undo.

A batch remembers, per paper it changed, what the user had said before (nothing, or "not
for me"), so Undo puts back exactly that and never touches a like that existed before the
batch. Undo also checks that the like is still the batch's own (same origin, same time):
a like given since, or a key the batch never added, is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.store.feedback import feedback_for, remove_feedback, set_feedback
from recommender.store.papers import StoredPaper, get_paper, save_papers
from recommender.store.pending_feedback import drop_pending, pending_for


@dataclass(frozen=True)
class BatchLike:
    """One like a batch gave, and what the user had said about the paper before it."""

    paper: StoredPaper
    previous: FeedbackKind | None = None
    previous_origin: FeedbackOrigin | None = None


@dataclass
class LikeBatch:
    """What one batch did: likes added, papers already liked, lookups left pending, problems."""

    at: datetime
    origin: FeedbackOrigin
    added: list[BatchLike] = field(default_factory=list)
    already: list[StoredPaper] = field(default_factory=list)
    # Bare arXiv ids / DOIs this batch left waiting for a lookup (not those waiting before).
    pending: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # items skipped, with the reason
    notes: list[str] = field(default_factory=list)  # items added with a warning


def like_papers(
    conn: Connection,
    user_id: str,
    papers: list[StoredPaper],
    batch: LikeBatch,
) -> None:
    """Like each paper for the user, noting in `batch` what was added and what was there."""
    # One read of the user's feedback, not one per paper: an upload may hold thousands.
    current = {item.paper_id: item for item in feedback_for(conn, user_id)}
    seen: set[int] = set()
    for paper in papers:
        if paper.id in seen:  # the same paper pasted twice, or by arXiv id and by DOI
            continue
        seen.add(paper.id)
        before = current.get(paper.id)
        if before is not None and before.kind == FeedbackKind.LIKE:
            batch.already.append(paper)
            continue
        set_feedback(conn, user_id, paper.id, FeedbackKind.LIKE, batch.origin, batch.at)
        if before is None:
            batch.added.append(BatchLike(paper))
        else:
            batch.added.append(BatchLike(paper, before.kind, before.origin))


def save_and_like(conn: Connection, user_id: str, papers: list[Paper], batch: LikeBatch) -> None:
    """Store papers read from a file (merged into the rows they duplicate) and like them."""
    if not papers:
        return
    saved = save_papers(conn, papers, batch.at)
    stored = [get_paper(conn, key) for key in dict.fromkeys(saved.keys)]
    like_papers(conn, user_id, [paper for paper in stored if paper is not None], batch)


def pending_identifiers(conn: Connection, user_id: str) -> set[str]:
    """The identifiers already waiting for a lookup for the user."""
    return {item.identifier for item in pending_for(conn, user_id)}


@dataclass(frozen=True)
class UndoItem:
    """One like to take back: the paper key and what to put back (None: forget the like)."""

    key: str
    previous: FeedbackKind | None = None
    previous_origin: FeedbackOrigin | None = None


@dataclass
class UndoReport:
    """What an undo took back, and what it left because it had changed since."""

    removed: list[str] = field(default_factory=list)  # paper keys
    restored: list[str] = field(default_factory=list)  # paper keys marked "not for me" again
    withdrawn: list[str] = field(default_factory=list)  # pending identifiers
    left: int = 0  # likes no longer the batch's own (changed since, or never added by it)


def undo_batch(
    conn: Connection,
    user_id: str,
    origin: FeedbackOrigin,
    at: datetime,
    items: list[UndoItem],
    pending: list[str],
    now: datetime,
) -> UndoReport:
    """Take back a batch's likes and pending lookups; only those that are still its own."""
    report = UndoReport()
    feedback = {entry.paper_key: entry for entry in feedback_for(conn, user_id)}
    for item in dict.fromkeys(items):
        current = feedback.get(item.key)
        own = (
            current is not None
            and current.kind == FeedbackKind.LIKE
            and current.origin == origin
            and current.created_at == at
        )
        if current is None or not own:
            report.left += 1
            continue
        if item.previous is None:
            remove_feedback(conn, user_id, current.paper_id)
            report.removed.append(item.key)
        else:
            previous_origin = item.previous_origin or origin
            set_feedback(conn, user_id, current.paper_id, item.previous, previous_origin, now)
            report.restored.append(item.key)
    waiting = {p.identifier: p for p in pending_for(conn, user_id)}
    for identifier in pending:
        entry = waiting.get(identifier)
        # Pending since this batch, not renewed by it: an older wait is not the batch's to drop.
        if entry is not None and entry.created_at == at and drop_pending(conn, user_id, identifier):
            report.withdrawn.append(identifier)
    return report
