"""Each due user's picks: every open candidate scored, cut to the user's threshold and size.

Shared by `papersift recommend` and the run cycle, so the preview and the email agree;
`recommend --all` explains the rest of the window from the same ranking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from jobs.candidates import UserInputs, WindowLoader, gather_inputs
from jobs.crowd_model import crowd_model
from jobs.text_model import current_text_model, ranker_for
from recommender.config import Settings, UserSettings
from recommender.digest.reasons import readable_reasons
from recommender.digest.view import closeness
from recommender.models import ScoredPaper
from recommender.ranking import Candidate, Ranker
from recommender.ranking.crowd import CrowdModel
from recommender.ranking.ranker import CandidateScore
from recommender.ranking.score import score_for
from recommender.ranking.vectorize import FittedText
from recommender.store.engine import Store
from recommender.store.papers import StoredPaper, papers_seen_since


@dataclass
class Ranking:
    """One rank of some users, with what it was ranked with (for explaining it after)."""

    inputs: list[UserInputs]
    picks: dict[str, list[ScoredPaper]]
    papers: dict[str, StoredPaper]
    candidates: list[Candidate]
    fitted: FittedText | None
    crowd: CrowdModel | None


def rank_users(
    settings: Settings,
    store: Store,
    users: list[UserSettings],
    now: datetime,
    ranker: Ranker | None = None,
) -> tuple[list[UserInputs], dict[str, list[ScoredPaper]], dict[str, StoredPaper]]:
    """Score every open candidate for every user; each user's list is cut to their settings."""
    ranking = rank(settings, store, users, now, ranker or ranker_for(settings))
    return ranking.inputs, ranking.picks, ranking.papers


def rank(
    settings: Settings,
    store: Store,
    users: list[UserSettings],
    now: datetime,
    ranker: Ranker,
    text_model: FittedText | None = None,
    window_papers: WindowLoader | None = None,
) -> Ranking:
    """rank_users, keeping the text model and crowd it ranked with.

    `text_model`: rank with this one instead of the current one (which may refit);
    `window_papers`: read the candidate window with this loader. The web pages pass the
    stored model and a cache of the window, so a page view never refits nor re-reads it all."""
    loader = window_papers or papers_seen_since
    inputs, candidates, by_key = gather_inputs(settings, store, users, now, loader)
    if not candidates or not inputs:
        return Ranking(inputs, {i.user.id: [] for i in inputs}, by_key, candidates, None, None)
    fitted = text_model or current_text_model(store, ranker, now, settings.ranking.fit_sample)
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
    results = {}
    for item in inputs:
        floor = threshold_score(item.user)
        picks = [s for s in ranked.get(item.user.id, []) if s.score >= floor]
        results[item.user.id] = readable_reasons(picks[: item.user.max_papers], by_key)
    return Ranking(inputs, results, by_key, candidates, fitted, crowd)


def threshold_score(user: UserSettings) -> float:
    """The lowest score a pick may have."""
    # `threshold` is a closeness r (0: a random new paper, 1: the typical liked paper);
    # 0 keeps every paper, as before.
    return score_for(user.threshold) if user.threshold > 0 else 0.0


@dataclass
class Verdict:
    """One paper of the window for one user: picked (its rank) or why it was left out."""

    paper: StoredPaper
    score: float | None  # the pick's shown score, else the score before any cut
    rank: int | None
    kind: str  # "picked" or a LeftOut kind, "muted", "below threshold", "diversity", ...
    why: str


def judge_window(
    settings: Settings,
    store: Store,
    user: UserSettings,
    now: datetime,
    ranker: Ranker | None = None,
) -> list[Verdict]:
    """Every paper of the candidate window for `user`: the picks first, then the rest, best
    first, each with why it was left out. The picks are exactly rank_users' picks."""
    ranker = ranker or ranker_for(settings)
    ranking = rank(settings, store, [user], now, ranker)
    if not ranking.inputs:
        return []
    item = ranking.inputs[0]
    picks = ranking.picks.get(user.id, [])
    verdicts = [
        Verdict(
            ranking.papers[s.paper_key],
            s.score,
            number,
            "picked",
            "; ".join(r.text for r in s.reasons),
        )
        for number, s in enumerate(picks, start=1)
    ]
    picked = {s.paper_key for s in picks}
    window = sorted(item.candidate_keys | item.left_out.keys())
    scores = {}
    if ranking.fitted is not None:
        papers = [ranking.papers[key] for key in window]
        everything = [Candidate(p.key, p.text, tuple(p.authors)) for p in papers]
        scores = ranker.score_each(ranking.fitted, item.profile, everything, ranking.crowd)
    floor = threshold_score(user)
    lowest_pick = min((s.score for s in picks), default=math.inf)
    rest = []
    for key in window:
        if key in picked:
            continue
        scored = scores.get(key)
        score = scored.score if scored else None
        kind, why = _why_left_out(item, key, scored, floor, lowest_pick, len(picks))
        rest.append(Verdict(ranking.papers[key], score, None, kind, why))
    rest.sort(key=lambda v: (v.score is None, -(v.score or 0.0), v.paper.title))
    return verdicts + rest


def _why_left_out(
    item: UserInputs,
    key: str,
    scored: CandidateScore | None,
    floor: float,
    lowest_pick: float,
    picked: int,
) -> tuple[str, str]:
    if key in item.left_out:
        return item.left_out[key].kind, item.left_out[key].text
    if scored is None or scored.score is None:
        return "no profile", "nothing to compare with yet: no liked papers or keywords"
    if scored.muted_by:
        return "muted", f"muted {scored.muted_by}"
    if scored.score < floor:
        r, threshold = closeness(scored.score), item.user.threshold
        return "below threshold", f"below your threshold ({r:.2f} < {threshold:.2f})"
    if picked < item.user.max_papers or scored.score > lowest_pick:
        return "diversity", "too like a paper ranked above it (diversity)"
    return "beyond max_papers", f"beyond max_papers ({item.user.max_papers})"
