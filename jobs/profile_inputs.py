"""A user's settings and stored feedback as the ranker's ProfileInput."""

from __future__ import annotations

from collections.abc import Iterable

from recommender.config import UserSettings
from recommender.models import FeedbackKind
from recommender.ranking import LikedText, ProfileInput
from recommender.store.feedback import Feedback
from recommender.store.papers import StoredPaper


def liked_texts(
    feedback: Iterable[Feedback], papers: dict[int, StoredPaper], kind: FeedbackKind
) -> list[LikedText]:
    """The ranker's view of a user's liked (or disliked) papers, oldest first."""
    chosen = sorted(
        (f for f in feedback if f.kind == kind), key=lambda f: (f.created_at, f.paper_id)
    )
    return [
        LikedText(
            f.paper_key,
            papers[f.paper_id].text,
            tuple(papers[f.paper_id].authors),
            f.created_at,
        )
        for f in chosen
        if f.paper_id in papers
    ]


def profile_input(
    user: UserSettings,
    liked: list[LikedText],
    disliked: list[LikedText],
    exclude: set[str] | None = None,
) -> ProfileInput:
    """The ranker's view of a user: their likes and dislikes plus the config's signals."""
    return ProfileInput(
        user_id=user.id,
        liked=liked,
        disliked=disliked,
        keywords=dict(user.keywords),
        muted_keywords=list(user.muted_keywords),
        muted_authors=list(user.muted_authors),
        followed_authors=list(user.followed_authors),
        exclude=exclude or set(),
    )
