"""The profile page's rating set: a few recent papers for a new reader to rate.

The same selection as the digest's (recommender/ranking/cold_start.py), over the papers the
reader's feeds brought in the candidate window, leaving out what they rated. Papers a digest
already asked them to rate stay on the page until rated: the page is where they catch up.
Uses the text model the last cycle stored (never fitted here: a page view must stay fast).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from recommender.config import Settings, UserSettings
from recommender.front_matter import is_front_matter
from recommender.ranking import Candidate, FittedText, ProfileInput
from recommender.ranking.cold_start import (
    ColdStartConfig,
    RatingPool,
    basis_words,
    needs_rating_set,
)
from recommender.store.papers import StoredPaper, papers_seen_since
from recommender.web.pages import paper_view


@dataclass(frozen=True)
class RatingItem:
    """One paper to rate, with what it stands for and the two buttons' paper key."""

    key: str
    title: str
    url: str | None
    meta: str
    abstract: str
    why: str


def _offered(paper: StoredPaper, user: UserSettings, feeds: set[str], title_only: bool) -> bool:
    """A paper a digest could offer this reader: from their feeds, a paper, with an abstract."""
    sources = set(paper.sources) & feeds
    if user.feeds:
        sources &= set(user.feeds)
    if not sources or is_front_matter(paper.title):
        return False
    if user.categories and paper.categories and not set(paper.categories) & set(user.categories):
        return False
    return title_only or bool(paper.abstract.strip())


def rating_items(
    conn: Connection,
    fitted: FittedText | None,
    settings: Settings,
    user: UserSettings,
    likes: int,
    rated: set[str],
    now: datetime,
    config: ColdStartConfig | None = None,
) -> tuple[list[RatingItem], str]:
    """The papers to rate on `user`'s page and what they cover (see `basis_words`).

    None once the reader has enough likes, or before a cycle stored a text model.
    """
    config = config or ColdStartConfig()
    if fitted is None or not needs_rating_set(likes, config):
        return [], ""
    since = now - timedelta(days=settings.ranking.candidate_window_days)
    feeds = {feed.name for feed in settings.feeds}
    title_only = settings.ranking.score_title_only
    recent = [p for p in papers_seen_since(conn, since) if _offered(p, user, feeds, title_only)]
    if not recent:
        return [], ""
    by_key = {p.key: p for p in recent}
    candidates = [Candidate(p.key, p.text, tuple(p.authors)) for p in recent]
    pool = RatingPool(fitted, candidates, {p.key: p.first_seen for p in recent}, since, config)
    profile = ProfileInput(
        user_id=user.id,
        liked=[],
        keywords=dict(user.keywords),
        muted_keywords=list(user.muted_keywords),
        muted_authors=list(user.muted_authors),
        exclude=set(rated),
    )
    items = []
    chosen = pool.rating_set(profile)
    for scored in chosen:
        view = paper_view(by_key[scored.paper_key])
        why = "; ".join(reason.text for reason in scored.reasons)
        items.append(
            RatingItem(scored.paper_key, view.title, view.url, view.meta, view.abstract, why)
        )
    return items, basis_words(chosen)
