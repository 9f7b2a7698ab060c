"""The picks the web pages show: `papersift recommend USER`'s ranking, with the stored model.

A page view never refits the text model (that is a digest run's work, minutes on a large
corpus): it ranks with the newest stored one and says so when none is stored yet. The
unpickled model is kept between requests while it stays the newest stored one, and so are the
window's papers (re-read only when their row changed) and their term vectors: each view still
ranks anew, on the current store.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Connection

from jobs.picks import rank
from recommender.config import Settings, UserSettings
from recommender.models import ScoredPaper
from recommender.ranking import FittedText, Ranker
from recommender.store.engine import Store
from recommender.store.outbox import last_digest_times
from recommender.store.papers import StoredPaper, papers_by_ids, window_stamps
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


class WindowPapers:
    """papers_seen_since with the rows of the previous call kept: only new or changed rows
    (by last_seen) are read again, the rest come from memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, tuple[datetime, StoredPaper]] = {}

    def __call__(self, conn: Connection, since: datetime) -> list[StoredPaper]:
        stamps = window_stamps(conn, since)
        with self._lock:
            kept = self._rows
            stale = [i for i, seen in stamps if i not in kept or kept[i][0] != seen]
            fresh = papers_by_ids(conn, stale)
            # Papers gone from the window (or deleted meanwhile) leave the cache here.
            rows: dict[int, tuple[datetime, StoredPaper]] = {}
            for i, seen in stamps:
                if i in fresh:
                    rows[i] = (seen, fresh[i])
                elif i in kept and kept[i][0] == seen:
                    rows[i] = kept[i]
            self._rows = rows
        return [rows[i][1] for i, _ in stamps if i in rows]


class StoredModelPicks:
    """A `PicksSource` for create_app: each call ranks one user as `recommend USER` does."""

    def __init__(self, settings: Settings, store: Store, ranker: Ranker | None = None) -> None:
        self.settings = settings
        self.store = store
        self.ranker = ranker or Ranker()
        self._lock = threading.Lock()
        self._model: tuple[int, FittedText] | None = None
        self._window = WindowPapers()

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
        ranking = rank(
            self.settings,
            self.store,
            [user],
            now,
            self.ranker,
            text_model=fitted,
            window_papers=self._window,
        )
        item = ranking.inputs[0] if ranking.inputs else None
        # The next page view ranks the same window: keep its vectors (the newest papers'
        # are computed then, the rest reused).
        rated = [*item.profile.liked, *item.profile.disliked] if item is not None else []
        fitted.remember([c.text for c in ranking.candidates] + [doc.text for doc in rated])
        has_profile = item is not None and bool(item.profile.liked or item.profile.keywords)
        picks = newest_first_among_equals(ranking.picks.get(user.id, []), ranking.papers)
        return UserPicks(picks, ranking.papers, True, has_profile, last_digest)
