"""`papersift evaluate`: how well would the current settings have predicted a user's own likes?

The most recent likes are held out; the profile is built from the older ones; the held-out
papers are ranked among the other papers stored from the same period, as a digest would have
seen them. Pure measurement: nothing is stored or sent.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from jobs.crowd_model import crowd_model
from jobs.profile_inputs import liked_texts, profile_input
from jobs.text_model import current_text_model, ranker_for
from recommender.config import Settings, UserSettings
from recommender.errors import InputError
from recommender.models import FeedbackKind
from recommender.ranking import Candidate, CrowdModel, FittedText, ProfileInput, Ranker
from recommender.ranking.semantic import cosine_to_likes
from recommender.semantic_model import load_embedder, semantic_available
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for
from recommender.store.papers import StoredPaper, iter_paper_texts, list_papers, papers_by_ids

MIN_TRAINING_LIKES = 2
MAX_HELD_OUT = 5
PERIOD_MARGIN = timedelta(days=30)
MIN_POOL = 50
CUTOFFS = (5, 10, 20, 50)
# The semantic weight "all fused" is measured with when the config keeps the view off.
TRIAL_SEMANTIC_WEIGHT = 0.3
WORDS = "words only"
CROWD = "words + crowd"
SEMANTIC = "semantic alone"
FUSED = "all fused"


@dataclass
class ViewResult:
    """Where one view (alone or fused) put the held-out likes; ranks None when it cannot run."""

    name: str
    ranks: list[int] | None
    note: str = ""  # what the view used, or why it did not run

    def recall_at(self, k: int) -> float | None:
        """Share of held-out likes within the view's top k (None when it did not run)."""
        if self.ranks is None:
            return None
        return sum(r <= k for r in self.ranks) / len(self.ranks)


@dataclass
class HeldOut:
    """One held-out like and where the ranker put it."""

    key: str
    title: str
    rank: int  # 1-based among `pool_size` papers


@dataclass
class Evaluation:
    """The result for one user."""

    user_id: str
    training_likes: int
    pool_size: int
    digest_size: int
    held_out: list[HeldOut] = field(default_factory=list)
    views: list[ViewResult] = field(default_factory=list)

    def recall_at(self, k: int) -> float:
        """Share of held-out likes ranked within the top k."""
        return sum(h.rank <= k for h in self.held_out) / len(self.held_out)

    def interpretation(self) -> str:
        """One sentence a user can act on."""
        caught = sum(h.rank <= self.digest_size for h in self.held_out)
        return (
            f"your digest of {self.digest_size} would have contained {caught} of your last "
            f"{len(self.held_out)} likes (ranked among {self.pool_size} papers of that period)"
        )


def _date_of(paper: StoredPaper) -> datetime:
    return paper.published or paper.updated or paper.first_seen


def evaluate_user(
    settings: Settings,
    store: Store,
    user: UserSettings,
    now: datetime,
    ranker: Ranker | None = None,
) -> Evaluation:
    """Hold out the user's most recent likes and rank them; raises InputError if too few.

    `ranker` (default: the configured one) ranks them; `views` holds each view alone and fused.
    """
    with store.begin() as conn:
        feedback = sorted(feedback_for(conn, user.id), key=lambda f: (f.created_at, f.paper_id))
        papers = papers_by_ids(conn, [f.paper_id for f in feedback])
    likes = [f for f in feedback if f.kind == FeedbackKind.LIKE and f.paper_id in papers]
    held_count = min(MAX_HELD_OUT, len(likes) // 4 or 1)
    if len(likes) - held_count < MIN_TRAINING_LIKES:
        raise InputError(
            f"{user.id} has {len(likes)} liked paper(s): too few to judge",
            f"Like at least {MIN_TRAINING_LIKES + 1} papers (papersift like {user.id} ...) and try again",
        )
    training, held = likes[:-held_count], likes[-held_count:]
    held_papers = [papers[f.paper_id] for f in held]
    start = min(_date_of(p) for p in held_papers) - PERIOD_MARGIN
    end = max(_date_of(p) for p in held_papers) + PERIOD_MARGIN
    known = {f.paper_key for f in feedback} - {p.key for p in held_papers}
    with store.begin() as conn:
        stored = list_papers(conn, search=None, since=None, limit=None)
    others = [p for p in stored if p.key not in known and p.key not in {h.key for h in held_papers}]
    period = [p for p in others if start <= _date_of(p) <= end]
    # Too few papers of that period make the test meaningless; compare with everything instead.
    pool = (period if len(period) >= MIN_POOL else others) + held_papers

    profile = profile_input(
        user,
        liked_texts(training, papers, FeedbackKind.LIKE),
        liked_texts(feedback, papers, FeedbackKind.DISLIKE),
    )
    ranker = ranker or ranker_for(settings)
    fitted = current_text_model(store, ranker, now, settings.ranking.fit_sample)
    candidates = [Candidate(p.key, p.text, tuple(p.authors)) for p in pool]
    # The crowd view may not learn from anyone's like of a held-out paper.
    crowd = crowd_model(settings, store, ranker, fitted, leave_out={p.key for p in held_papers})
    ranked = ranker.rank(fitted, [profile], candidates, k=len(candidates), crowd=crowd)[user.id]
    position = {s.paper_key: i for i, s in enumerate(ranked, start=1)}
    # A paper the ranker removed (muted) counts as ranked last.
    result = Evaluation(user.id, len(training), len(pool), user.max_papers)
    for paper in held_papers:
        result.held_out.append(HeldOut(paper.key, paper.title, position.get(paper.key, len(pool))))
    result.views = view_results(store, ranker, fitted, profile, candidates, crowd, held_papers)
    return result


def view_results(
    store: Store,
    ranker: Ranker,
    fitted: FittedText,
    profile: ProfileInput,
    candidates: list[Candidate],
    crowd: CrowdModel | None,
    held: list[StoredPaper],
) -> list[ViewResult]:
    """The held-out likes' ranks by each view alone and fused, from the configured ranker."""
    config = ranker.config
    off = {"crowd_weight": 0.0, "semantic_weight": 0.0}
    words = Ranker(config.model_copy(update=off))
    with_crowd = Ranker(config.model_copy(update={"semantic_weight": 0.0}))
    crowd_note = "" if crowd is not None else "crowd view off here: too few users with likes"
    views = [
        ViewResult(WORDS, _ranks(words, fitted, profile, candidates, None, held)),
        ViewResult(CROWD, _ranks(with_crowd, fitted, profile, candidates, crowd, held), crowd_note),
    ]
    missing = semantic_available()
    if missing:
        views.append(ViewResult(SEMANTIC, None, missing))
        views.append(ViewResult(FUSED, None, missing))
        return views
    weight = config.semantic_weight or TRIAL_SEMANTIC_WEIGHT
    fused = Ranker(config.model_copy(update={"semantic_weight": weight}), load_embedder())
    if fitted.semantic is None:  # the stored model was fitted with the view off
        with store.begin() as conn:
            texts = [t.text for t in iter_paper_texts(conn, newest=fitted.corpus_size)]
        fitted = copy.copy(fitted)
        fitted.semantic = fused.fit_semantic(texts)
    assert fitted.semantic is not None
    scores = cosine_to_likes(
        fitted.semantic,
        fused.embedder,
        [d.text for d in profile.liked],
        [c.text for c in candidates],
    )
    # Best first; ties keep the candidates' order.
    order = [candidates[i].key for i in np.argsort(-scores, kind="stable")]
    semantic_ranks = _positions(order, held, len(candidates))
    note = f"semantic_weight {weight:g}" + (
        "" if config.semantic_weight else " (a trial: off in the config)"
    )
    views.append(ViewResult(SEMANTIC, semantic_ranks))
    views.append(ViewResult(FUSED, _ranks(fused, fitted, profile, candidates, crowd, held), note))
    return views


def _ranks(
    ranker: Ranker,
    fitted: FittedText,
    profile: ProfileInput,
    candidates: list[Candidate],
    crowd: CrowdModel | None,
    held: list[StoredPaper],
) -> list[int]:
    """The held-out papers' 1-based ranks by one ranker (removed ones count as last)."""
    ranked = ranker.rank(
        fitted, [profile], candidates, k=len(candidates), explain=False, crowd=crowd
    )[profile.user_id]
    return _positions([s.paper_key for s in ranked], held, len(candidates))


def _positions(order: list[str], held: list[StoredPaper], size: int) -> list[int]:
    position = {key: i for i, key in enumerate(order, start=1)}
    return [position.get(p.key, size) for p in held]
