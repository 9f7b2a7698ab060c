"""The candidate pool of a cycle and, for each user, the part of it open to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

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
    """One user's profile, the candidates open to them, and why the others of the window are not."""

    user: UserSettings
    profile: ProfileInput
    candidate_keys: set[str]
    left_out: dict[str, LeftOut] = field(default_factory=dict)  # paper key -> why not offered


@dataclass(frozen=True)
class LeftOut:
    """Why a paper of the window is not offered: a kind to count by and words for a reader."""

    kind: str  # "front matter" | "title only" | "already sent" | "earlier digest" | ...
    text: str


# (conn, since) -> the papers first seen since then, oldest first: papers_seen_since, or a
# cache of it (the web pages, jobs/web_picks.py).
WindowLoader = Callable[[Connection, datetime], list[StoredPaper]]


def candidate_window(settings: Settings) -> timedelta:
    """Papers first seen longer ago than this are old news and no longer offered."""
    return timedelta(days=settings.ranking.candidate_window_days)


def _closed_because(user: UserSettings, paper: StoredPaper, feed_names: set[str]) -> LeftOut | None:
    """Why `paper` is not for `user` whatever the cycle (None: it is)."""
    sources = set(paper.sources)
    if user.feeds and not sources & set(user.feeds):
        names = ", ".join(sorted(sources & feed_names))
        return LeftOut("other feeds", f"not from your feeds (came from {names})")
    if user.categories and paper.categories and not set(paper.categories) & set(user.categories):
        return LeftOut("categories", f"outside your categories ({', '.join(paper.categories)})")
    return None


def _not_a_candidate(paper: StoredPaper, title_only: bool) -> LeftOut | None:
    """Why a paper of the window is offered to nobody (None: it is a candidate)."""
    if is_front_matter(paper.title):
        return LeftOut("front matter", "journal front matter, not a paper")
    if not title_only and not paper.abstract.strip():
        why = "title only, no abstract ([ranking] score_title_only = true offers these)"
        return LeftOut("title only", why)
    return None


def gather_inputs(
    settings: Settings,
    store: Store,
    users: list[UserSettings],
    now: datetime,
    window_papers: WindowLoader = papers_seen_since,
) -> tuple[list[UserInputs], list[Candidate], dict[str, StoredPaper]]:
    """Profiles of `users`, the shared candidate pool, and the stored papers by key."""
    feed_names = {feed.name for feed in settings.feeds}
    ids = [user.id for user in users]
    with store.begin() as conn:
        recent = window_papers(conn, now - candidate_window(settings))
        feedback = feedback_for_users(conn, ids)
        sent = sent_paper_ids_for_users(conn, ids)
        last_digest = last_digest_times(conn, ids)
        wanted = {f.paper_id for items in feedback.values() for f in items}
        liked_papers = papers_by_ids(conn, wanted)
    title_only = settings.ranking.score_title_only
    from_feeds = [p for p in recent if set(p.sources) & feed_names]
    # Not papers, or too little to score: stored, never offered (unless asked for).
    skipped = {p.key: why for p in from_feeds if (why := _not_a_candidate(p, title_only))}
    pool = [p for p in from_feeds if p.key not in skipped]
    window = {p.key for p in from_feeds}
    by_key = {p.key: p for p in from_feeds} | {p.key: p for p in liked_papers.values()}
    candidates = [Candidate(p.key, p.text, tuple(p.authors)) for p in pool]
    inputs = []
    for user in users:
        items = feedback.get(user.id, [])
        sent_ids = sent.get(user.id, set())
        # A digest covers what arrived since the previous one: papers it passed over are not
        # offered again, so re-running a cycle sends nothing new.
        since = last_digest.get(user.id)
        left_out = dict(skipped)
        for p in pool:
            if p.id in sent_ids:
                left_out[p.key] = LeftOut("already sent", "already sent in a digest")
            elif since is not None and p.first_seen <= since:
                when = f"{since:%Y-%m-%d %H:%M} UTC"
                left_out[p.key] = LeftOut(
                    "earlier digest", f"arrived before the last digest ({when})"
                )
            elif why := _closed_because(user, p, feed_names):
                left_out[p.key] = why
        open_keys = {p.key for p in pool} - left_out.keys()
        closed = {p.key for p in pool} - open_keys
        for f in items:
            if f.paper_key in window:
                rated = (
                    "you liked it" if f.kind == FeedbackKind.LIKE else "you marked it not for me"
                )
                left_out.setdefault(f.paper_key, LeftOut("rated", rated))
        profile = profile_input(
            user,
            liked_texts(items, liked_papers, FeedbackKind.LIKE),
            liked_texts(items, liked_papers, FeedbackKind.DISLIKE),
            exclude=closed | {f.paper_key for f in items},
        )
        inputs.append(UserInputs(user, profile, open_keys - left_out.keys(), left_out))
    return inputs, candidates, by_key
