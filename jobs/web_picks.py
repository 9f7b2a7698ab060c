"""The picks the web pages show: `papersift recommend USER`'s ranking, with the stored model.

A page view never refits the text model (that is a digest run's work, minutes on a large
corpus): it ranks with the newest stored one and says so when none is stored yet. The
unpickled model is kept between requests while it stays the newest stored one.
"""

from __future__ import annotations

import threading
from datetime import datetime

from jobs.picks import rank
from recommender.config import Settings, UserSettings
from recommender.models import ScoredPaper
from recommender.ranking import FittedText, Ranker
from recommender.store.engine import Store
from recommender.store.outbox import last_digest_times
from recommender.store.papers import StoredPaper
from recommender.store.ranker_models import latest_ranker_model_id, stored_text_model
from recommender.web.picks_page import UserPicks


def newest_first_among_equals(
    picks: list[ScoredPaper], papers: dict[str, StoredPaper]
) -> list[ScoredPaper]:
    """The picks best first, as ranked; papers with equal scores newest first."""

    def newest(scored: ScoredPaper) -> float:
        paper = papers[scored.paper_key]
        return (paper.published or paper.first_seen).timestamp()

    # A stable sort: only exact ties move, so the order is the digest's everywhere else.
    return sorted(picks, key=lambda s: (-s.score, -newest(s)))


class StoredModelPicks:
    """A `PicksSource` for create_app: each call ranks one user as `recommend USER` does."""

    def __init__(self, settings: Settings, store: Store, ranker: Ranker | None = None) -> None:
        self.settings = settings
        self.store = store
        self.ranker = ranker or Ranker()
        self._lock = threading.Lock()
        self._model: tuple[int, FittedText] | None = None

    def text_model(self) -> FittedText | None:
        """The newest stored text model (unpickled once per stored model), or None."""
        with self.store.begin() as conn:
            newest = latest_ranker_model_id(conn)
        if newest is None:
            return None
        with self._lock:
            if self._model is not None and self._model[0] == newest:
                return self._model[1]
            with self.store.begin() as conn:
                fitted = stored_text_model(conn)
            # A newer model stored meanwhile is picked up (by its own id) at the next call.
            self._model = None if fitted is None else (newest, fitted)
            return fitted

    def __call__(self, user: UserSettings, now: datetime) -> UserPicks:
        with self.store.begin() as conn:
            last_digest = last_digest_times(conn, [user.id]).get(user.id)
        fitted = self.text_model()
        if fitted is None:
            return UserPicks([], {}, False, bool(user.keywords), last_digest)
        ranking = rank(self.settings, self.store, [user], now, self.ranker, text_model=fitted)
        item = ranking.inputs[0] if ranking.inputs else None
        has_profile = item is not None and bool(item.profile.liked or item.profile.keywords)
        picks = newest_first_among_equals(ranking.picks.get(user.id, []), ranking.papers)
        return UserPicks(picks, ranking.papers, True, has_profile, last_digest)
