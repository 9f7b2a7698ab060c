"""The crowd view of an install, learnt from every configured user's stored likes.

Fitted once per state of the likes and the text model, stored, and loaded by every compose
batch, worker, preview and page view of that state: fitting it reads every reader's library,
which at institute scale costs seconds. Made from the same inputs, the model is the same, so
a preview still equals the digest it previews. On PostgreSQL one process fits it under an
advisory lock; the others wait for the lock and load what it stored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from jobs.profile_inputs import liked_texts
from recommender.config import Settings
from recommender.models import FeedbackKind
from recommender.ranking import CrowdModel, FittedText, Ranker
from recommender.store.crowd_models import find_crowd_model, save_crowd_model
from recommender.store.engine import Store
from recommender.store.feedback import Feedback, feedback_for_users
from recommender.store.papers import papers_by_ids

# Any fixed number, held for the length of one crowd fit (transaction-level advisory lock).
_PG_CROWD_LOCK = 0x5A9E_C20D
# The last crowd model this process used, by what it was made from: a web server's page
# views and a worker's batches of one cycle skip even the load.
_last: dict[str, CrowdModel] = {}


def crowd_model(
    settings: Settings,
    store: Store,
    ranker: Ranker,
    fitted: FittedText,
    leave_out: set[str] | None = None,
) -> CrowdModel | None:
    """The crowd view learnt from every configured user's likes (papers in `leave_out` left
    out: never stored); None below the ranker's crowd_min_users users with likes."""
    ids = [user.id for user in settings.users]
    # fit_crowd applies the same rule to users with likes; checked here first so that a small
    # install does not load every library for nothing.
    if len(ids) < ranker.config.crowd_min_users or not ranker.config.crowd_on:
        return None
    with store.begin() as conn:
        feedback = feedback_for_users(conn, ids)
    with_likes = sum(1 for items in feedback.values() if _likes(items))
    if with_likes < ranker.config.crowd_min_users:
        return None
    if leave_out or not fitted.fit_id:  # an evaluation's leave-out, or an old stored model
        with store.begin() as conn:
            return _fit(conn, ranker, fitted, feedback, leave_out or set())
    made_from = _made_from(ranker, fitted, feedback)
    if made_from in _last:
        return _last[made_from]
    with store.begin() as conn:
        model = find_crowd_model(conn, made_from)
    if model is None:
        model = _fit_and_store(store, ranker, fitted, feedback, made_from)
    if model is not None:
        _last.clear()
        _last[made_from] = model
    return model


def _likes(items: list[Feedback]) -> list[int]:
    return [f.paper_id for f in items if f.kind == FeedbackKind.LIKE]


def _made_from(ranker: Ranker, fitted: FittedText, feedback: dict[str, list[Feedback]]) -> str:
    """A digest of everything the fit reads: ranker settings, text model, each library."""
    libraries = [[user, _likes(items)] for user, items in feedback.items()]
    state = [ranker.config.model_dump(mode="json"), fitted.fit_id, libraries]
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def _fit(
    conn: Connection,
    ranker: Ranker,
    fitted: FittedText,
    feedback: dict[str, list[Feedback]],
    leave_out: set[str],
) -> CrowdModel | None:
    papers = papers_by_ids(conn, {f.paper_id for items in feedback.values() for f in items})
    libraries = [
        [doc for doc in liked_texts(items, papers, FeedbackKind.LIKE) if doc.key not in leave_out]
        for items in feedback.values()
    ]
    return ranker.fit_crowd(fitted, libraries)


def _fit_and_store(
    store: Store,
    ranker: Ranker,
    fitted: FittedText,
    feedback: dict[str, list[Feedback]],
    made_from: str,
) -> CrowdModel | None:
    now = datetime.now(UTC)
    if store.dialect == "postgresql":
        with store.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CROWD_LOCK})
            # Whoever held the lock before us may have stored this very model meanwhile.
            model = find_crowd_model(conn, made_from)
            if model is None:
                model = _fit(conn, ranker, fitted, feedback, set())
                if model is not None:
                    save_crowd_model(conn, made_from, model, now)
            return model
    with store.begin() as conn:
        model = _fit(conn, ranker, fitted, feedback, set())
    if model is not None:  # stored apart: SQLite's writers are not held up by the fit
        with store.begin() as conn:
            save_crowd_model(conn, made_from, model, now)
    return model
