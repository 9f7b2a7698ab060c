"""Each new reader's rating set: a few recent papers to rate, next to their ranked picks.

Shared by the run cycle and `papersift recommend`, so the preview shows what the digest will.
How it mixes with a normal digest: the ranked picks come first (same ranker, threshold and
max_papers as ever), then the rating set, up to ColdStartConfig.size papers that are not among
the picks. Only readers with fewer than `likes_needed` likes get one; from then on, none.
"""

from __future__ import annotations

from datetime import datetime

from jobs.candidates import UserInputs, candidate_window
from jobs.picks import Ranking, rank
from jobs.text_model import ranker_for
from recommender.config import Settings, UserSettings
from recommender.models import ScoredPaper
from recommender.ranking import Ranker
from recommender.ranking.cold_start import ColdStartConfig, RatingPool, needs_rating_set
from recommender.store.engine import Store


def like_count(item: UserInputs) -> int:
    """Distinct papers the reader liked (dislikes teach less and do not count)."""
    return len({doc.key for doc in item.profile.liked})


def rating_sets(
    settings: Settings,
    ranking: Ranking,
    now: datetime,
    config: ColdStartConfig | None = None,
) -> dict[str, list[ScoredPaper]]:
    """The rating set of each ranked reader who needs one (absent: they need none)."""
    config = config or ColdStartConfig()
    cold = [item for item in ranking.inputs if needs_rating_set(like_count(item), config)]
    if not cold or ranking.fitted is None:
        return {}
    seen_at = {key: paper.first_seen for key, paper in ranking.papers.items()}
    since = now - candidate_window(settings)
    pool = RatingPool(ranking.fitted, ranking.candidates, seen_at, since, config)
    sets = {}
    for item in cold:
        picked = {s.paper_key for s in ranking.picks.get(item.user.id, [])}
        chosen = pool.rating_set(item.profile, item.candidate_keys - picked)
        if chosen:
            sets[item.user.id] = chosen
    return sets


def rank_and_rate(
    settings: Settings,
    store: Store,
    users: list[UserSettings],
    now: datetime,
    ranker: Ranker | None = None,
) -> tuple[Ranking, dict[str, list[ScoredPaper]]]:
    """The picks of `users` and the rating sets of the new readers among them.

    What a digest holds; the run cycle and `papersift recommend` both call this.
    """
    ranking = rank(settings, store, users, now, ranker or ranker_for(settings))
    return ranking, rating_sets(settings, ranking, now)
