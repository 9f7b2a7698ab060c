"""Each due user's picks: every open candidate scored, cut to the user's threshold and size.

Shared by `papersift recommend` and the run cycle, so the preview and the email agree.
"""

from __future__ import annotations

from datetime import datetime

from jobs.candidates import UserInputs, gather_inputs
from jobs.crowd_model import crowd_model
from jobs.text_model import current_text_model
from recommender.config import Settings, UserSettings
from recommender.digest.reasons import readable_reasons
from recommender.models import ScoredPaper
from recommender.ranking import Ranker
from recommender.ranking.score import score_for
from recommender.store.engine import Store
from recommender.store.papers import StoredPaper


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
    # All configured users teach the crowd view, also those not due in this cycle.
    crowd = crowd_model(settings, store, ranker, fitted)
    # k shapes the picks (interest slots take up to k/2 places, diversity works on the
    # first k), so each user is ranked with their own max_papers, never a neighbour's:
    # `recommend USER` alone then equals USER's part of a full run.
    by_size: dict[int, list[UserInputs]] = {}
    for item in inputs:
        by_size.setdefault(item.user.max_papers, []).append(item)
    ranked: dict[str, list[ScoredPaper]] = {}
    for k, group in sorted(by_size.items()):
        profiles = [i.profile for i in group]
        ranked |= ranker.rank(fitted, profiles, candidates, k, crowd=crowd)
    titles = {key: paper.title for key, paper in by_key.items()}
    results = {}
    for item in inputs:
        # `threshold` is a closeness r (0: a random new paper, 1: the typical liked paper);
        # 0 keeps every paper, as before.
        threshold = item.user.threshold
        floor = score_for(threshold) if threshold > 0 else 0.0
        picks = [s for s in ranked.get(item.user.id, []) if s.score >= floor]
        results[item.user.id] = readable_reasons(picks[: item.user.max_papers], titles)
    return inputs, results, by_key
