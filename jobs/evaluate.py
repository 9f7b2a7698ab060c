"""`papersift evaluate`: how well would the current settings have predicted a user's own likes?

The most recent likes are held out; the profile is built from the older ones; the held-out
papers are ranked among the other papers stored from the same period, as a digest would have
seen them. Pure measurement: nothing is stored or sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jobs.crowd_model import crowd_model
from jobs.profile_inputs import liked_texts, profile_input
from jobs.text_model import current_text_model
from recommender.config import Settings, UserSettings
from recommender.errors import InputError
from recommender.models import FeedbackKind
from recommender.ranking import Candidate, Ranker
from recommender.store.engine import Store
from recommender.store.feedback import feedback_for
from recommender.store.papers import StoredPaper, list_papers, papers_by_ids

MIN_TRAINING_LIKES = 2
MAX_HELD_OUT = 5
PERIOD_MARGIN = timedelta(days=30)
MIN_POOL = 50
CUTOFFS = (5, 10, 20, 50)


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
    settings: Settings, store: Store, user: UserSettings, now: datetime
) -> Evaluation:
    """Hold out the user's most recent likes and rank them; raises InputError if too few."""
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
    ranker = Ranker()
    fitted = current_text_model(store, ranker, now)
    candidates = [Candidate(p.key, p.text, tuple(p.authors)) for p in pool]
    # The crowd view may not learn from anyone's like of a held-out paper.
    crowd = crowd_model(settings, store, ranker, fitted, leave_out={p.key for p in held_papers})
    ranked = ranker.rank(fitted, [profile], candidates, k=len(candidates), crowd=crowd)[user.id]
    position = {s.paper_key: i for i, s in enumerate(ranked, start=1)}
    # A paper the ranker removed (muted) counts as ranked last.
    result = Evaluation(user.id, len(training), len(pool), user.max_papers)
    for paper in held_papers:
        result.held_out.append(HeldOut(paper.key, paper.title, position.get(paper.key, len(pool))))
    return result
