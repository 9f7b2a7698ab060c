"""From stored papers and feedback to the ranker's inputs, and the text model kept beside them.

Shared by `papersift recommend`, the run cycle and `papersift evaluate`, so the preview and the
email always agree.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sklearn

from recommender.config import Settings, UserSettings
from recommender.models import FeedbackKind, ScoredPaper
from recommender.ranking import (
    Candidate,
    CrowdModel,
    FittedText,
    LikedText,
    ProfileInput,
    Ranker,
)
from recommender.store.engine import Store
from recommender.store.feedback import Feedback, feedback_for_users
from recommender.store.outbox import last_digest_times, sent_paper_ids_for_users
from recommender.store.papers import (
    StoredPaper,
    count_papers,
    iter_paper_texts,
    papers_by_ids,
    papers_seen_since,
)
from recommender.store.ranker_models import (
    latest_ranker_model,
    prune_ranker_models,
    save_ranker_model,
)

# Papers first seen longer ago than this are old news and no longer offered.
CANDIDATE_WINDOW = timedelta(days=14)


@dataclass
class UserInputs:
    """One user's profile, the candidates open to them, and what the ranker saw."""

    user: UserSettings
    profile: ProfileInput
    candidate_keys: set[str]


def text_of(paper: StoredPaper) -> str:
    """The text the ranker reads: title and abstract."""
    return f"{paper.title}. {paper.abstract}".strip()


def current_text_model(store: Store, ranker: Ranker, now: datetime) -> FittedText:
    """The stored text model, refitted when missing, stale, or fitted with other settings."""
    with store.begin() as conn:
        stored = latest_ranker_model(conn)
        size = count_papers(conn)
    wanted = ranker.config.model_dump(mode="json")
    if stored is not None and stored.sklearn_version == sklearn.__version__:
        try:
            fitted: FittedText = pickle.loads(stored.blob)  # our own blob, from our database
        except Exception:  # an unreadable model is refitted, never trusted
            fitted = None  # type: ignore[assignment]
        if (
            fitted is not None
            and fitted.config.model_dump(mode="json") == wanted
            and not fitted.is_stale(size)
        ):
            return fitted
    with store.begin() as conn:
        texts = [f"{t.title}. {t.abstract}".strip() for t in iter_paper_texts(conn)]
    fitted = ranker.fit(texts)
    with store.begin() as conn:
        save_ranker_model(
            conn,
            fitted.params(),
            fitted.corpus_size,
            sklearn.__version__,
            pickle.dumps(fitted),
            now,
        )
        prune_ranker_models(conn)
    return fitted


def _open_to(user: UserSettings, paper: StoredPaper, feed_names: set[str]) -> bool:
    sources = set(paper.sources)
    if not sources & feed_names:
        return False  # a paper only known from someone's library or the config
    if user.feeds and not sources & set(user.feeds):
        return False
    if user.categories and paper.categories and not set(paper.categories) & set(user.categories):
        return False
    return True


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
            text_of(papers[f.paper_id]),
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


def gather_inputs(
    settings: Settings, store: Store, users: list[UserSettings], now: datetime
) -> tuple[list[UserInputs], list[Candidate], dict[str, StoredPaper]]:
    """Profiles of `users`, the shared candidate pool, and the stored papers by key."""
    feed_names = {feed.name for feed in settings.feeds}
    ids = [user.id for user in users]
    with store.begin() as conn:
        recent = papers_seen_since(conn, now - CANDIDATE_WINDOW)
        feedback = feedback_for_users(conn, ids)
        sent = sent_paper_ids_for_users(conn, ids)
        last_digest = last_digest_times(conn, ids)
        wanted = {f.paper_id for items in feedback.values() for f in items}
        liked_papers = papers_by_ids(conn, wanted)
    pool = [p for p in recent if set(p.sources) & feed_names]
    by_key = {p.key: p for p in pool} | {p.key: p for p in liked_papers.values()}
    candidates = [Candidate(p.key, text_of(p), tuple(p.authors)) for p in pool]
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


def rank_users(
    settings: Settings,
    store: Store,
    users: list[UserSettings],
    now: datetime,
    ranker: Ranker | None = None,
) -> tuple[list[UserInputs], dict[str, list[ScoredPaper]], dict[str, StoredPaper]]:
    """Score every open candidate for every user; each user's list is cut to their settings."""
    ranker = ranker or Ranker()
    inputs, candidates, by_key = gather_inputs(settings, store, users, now)
    if not candidates or not inputs:
        return inputs, {i.user.id: [] for i in inputs}, by_key
    fitted = current_text_model(store, ranker, now)
    k = max(i.user.max_papers for i in inputs)
    # All configured users teach the crowd view, also those not due in this cycle.
    crowd = crowd_model(settings, store, ranker, fitted)
    ranked = ranker.rank(fitted, [i.profile for i in inputs], candidates, k, crowd=crowd)
    results = {}
    for item in inputs:
        picks = [s for s in ranked.get(item.user.id, []) if s.score >= item.user.threshold]
        results[item.user.id] = readable_reasons(picks[: item.user.max_papers], by_key)
    return inputs, results, by_key


def readable_reasons(picks: list[ScoredPaper], papers: dict[str, StoredPaper]) -> list[ScoredPaper]:
    """Name the nearest liked paper by its title instead of its key."""
    result = []
    for scored in picks:
        reasons = []
        for reason in scored.reasons:
            liked = papers.get(reason.paper_key or "")
            if reason.kind == "nearest_liked" and liked is not None:
                title = liked.title if len(liked.title) <= 80 else liked.title[:77] + "…"
                reason = replace(reason, text=f"close to your liked paper “{title}”")
            reasons.append(reason)
        result.append(replace(scored, reasons=reasons))
    return result
