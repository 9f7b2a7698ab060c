"""The candidate pool of a cycle and, for each user, the part of it open to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jobs.profile_inputs import liked_texts, profile_input
from recommender.config import Settings, UserSettings
from recommender.front_matter import is_front_matter
from recommender.models import FeedbackKind
from recommender.ranking import Candidate, ProfileInput
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for_users
from recommender.store.outbox import last_digest_times, sent_paper_ids_for_users
from recommender.store.papers import StoredPaper, papers_by_ids, papers_seen_since


@dataclass
class UserInputs:
    """One user's profile, the candidates open to them, and what the ranker saw."""

    user: UserSettings
    profile: ProfileInput
    candidate_keys: set[str]


def candidate_window(settings: Settings) -> timedelta:
    """Papers first seen longer ago than this are old news and no longer offered."""
    return timedelta(days=settings.ranking.candidate_window_days)


def _open_to(user: UserSettings, paper: StoredPaper, feed_names: set[str]) -> bool:
    sources = set(paper.sources)
    if not sources & feed_names:
        return False  # a paper only known from someone's library or the config
    if user.feeds and not sources & set(user.feeds):
        return False
    if user.categories and paper.categories and not set(paper.categories) & set(user.categories):
        return False
    return True


def gather_inputs(
    settings: Settings, store: Store, users: list[UserSettings], now: datetime
) -> tuple[list[UserInputs], list[Candidate], dict[str, StoredPaper]]:
    """Profiles of `users`, the shared candidate pool, and the stored papers by key."""
    feed_names = {feed.name for feed in settings.feeds}
    ids = [user.id for user in users]
    with store.begin() as conn:
        recent = papers_seen_since(conn, now - candidate_window(settings))
        feedback = feedback_for_users(conn, ids)
        sent = sent_paper_ids_for_users(conn, ids)
        last_digest = last_digest_times(conn, ids)
        wanted = {f.paper_id for items in feedback.values() for f in items}
        liked_papers = papers_by_ids(conn, wanted)
    title_only = settings.ranking.score_title_only
    pool = [
        p
        for p in recent
        if set(p.sources) & feed_names
        # Not papers, or too little to score: stored, never offered (unless asked for).
        and not is_front_matter(p.title)
        and (title_only or p.abstract.strip())
    ]
    by_key = {p.key: p for p in pool} | {p.key: p for p in liked_papers.values()}
    candidates = [Candidate(p.key, p.text, tuple(p.authors)) for p in pool]
    inputs = []
    for user in users:
        items = feedback.get(user.id, [])
        sent_ids = sent.get(user.id, set())
        # A digest covers what arrived since the previous one: papers it passed over are not
        # offered again, so re-running a cycle sends nothing new.
        since = last_digest.get(user.id)
        open_keys = {
            p.key
            for p in pool
            if p.id not in sent_ids
            and (since is None or p.first_seen > since)
            and _open_to(user, p, feed_names)
        }
        closed = {p.key for p in pool} - open_keys
        profile = profile_input(
            user,
            liked_texts(items, liked_papers, FeedbackKind.LIKE),
            liked_texts(items, liked_papers, FeedbackKind.DISLIKE),
            exclude=closed | {f.paper_key for f in items},
        )
        inputs.append(UserInputs(user, profile, open_keys))
    return inputs, candidates, by_key
