"""The crowd view of an install, learnt from every configured user's stored likes."""

from __future__ import annotations

from jobs.profile_inputs import liked_texts
from recommender.config import Settings
from recommender.models import FeedbackKind
from recommender.ranking import CrowdModel, FittedText, Ranker
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for_users
from recommender.store.papers import papers_by_ids


def crowd_model(
    settings: Settings,
    store: Store,
    ranker: Ranker,
    fitted: FittedText,
    leave_out: set[str] | None = None,
) -> CrowdModel | None:
    """The crowd view learnt from every configured user's likes (papers in `leave_out` left
    out); None below the ranker's crowd_min_users users with likes."""
    ids = [user.id for user in settings.users]
    # fit_crowd applies the same rule to users with likes; checked here first so that a small
    # install does not load every library for nothing.
    if len(ids) < ranker.config.crowd_min_users or ranker.config.crowd_weight == 0:
        return None
    with store.begin() as conn:
        feedback = feedback_for_users(conn, ids)
        wanted = {f.paper_id for items in feedback.values() for f in items}
        papers = papers_by_ids(conn, wanted)
    leave_out = leave_out or set()
    libraries = [
        [doc for doc in liked_texts(items, papers, FeedbackKind.LIKE) if doc.key not in leave_out]
        for items in feedback.values()
    ]
    return ranker.fit_crowd(fitted, libraries)
