"""Ranker: fit the text model once, then score every candidate for every user in batches."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from recommender.models import ScoredPaper
from recommender.ranking.candidates import CandidateSet
from recommender.ranking.config import RankerConfig
from recommender.ranking.crowd import CrowdModel, CrowdVectors, fit_crowd
from recommender.ranking.explain import (
    ChunkPicks,
    bare_chunk,
    explain_chunk,
    liked_support,
    presence,
)
from recommender.ranking.inputs import Candidate, LikedText, ProfileInput
from recommender.ranking.interests import interest_labels, interest_picks, reserve_slots
from recommender.ranking.profile import DocumentTable, Profiles, build_profiles, document_table
from recommender.ranking.score import (
    PaperVectors,
    closeness_for,
    crowd_view,
    fuse_views,
    relative_closeness,
    to_score,
    z_view,
)
from recommender.ranking.select import diverse_top_k
from recommender.ranking.semantic import (
    Embedder,
    SemanticModel,
    fit_semantic,
    library_weights,
    own_closeness,
    standardised,
    user_vectors,
)
from recommender.ranking.vectorize import FittedText, fit_text, reference_sample

Progress = Callable[[int, int], None]


@dataclass
class ScoredChunk:
    """A chunk's picks and the evidence explain_chunk needs (its trailing arguments)."""

    picks: ChunkPicks
    evidence: tuple[
        sp.csr_matrix, sp.csr_matrix, list[np.ndarray], list[dict[str, np.ndarray]], int
    ]


@dataclass
class SemanticVectors:
    """The semantic view's unit centred vectors for one rank call."""

    papers: np.ndarray  # candidates, in the pool's order
    liked: np.ndarray  # the document table's rows
    reference: np.ndarray  # the corpus sample


def nearest_in_meaning(
    semantic: SemanticVectors, liked_rows: list[np.ndarray], columns: np.ndarray
) -> np.ndarray:
    """users x picks: the index in the user's liked list of the pick's semantically closest
    liked paper (-1 for no pick or no likes)."""
    out = np.full(columns.shape, -1, dtype=np.int64)
    for i, rows in enumerate(liked_rows):
        picked = columns[i] >= 0
        if len(rows) and picked.any():
            sims = semantic.liked[rows] @ semantic.papers[columns[i, picked]].T
            out[i, picked] = np.argmax(sims, axis=0)
    return out


@dataclass
class RankSetting:
    """What every chunk of one rank call shares."""

    pool: CandidateSet
    reference: PaperVectors
    table: DocumentTable
    labels: np.ndarray | None  # interest label of each liked paper
    crowd: CrowdVectors | None
    present: sp.csr_matrix  # which liked paper holds which term (for reasons)
    semantic: SemanticVectors | None = None


@dataclass(frozen=True)
class CandidateScore:
    """One candidate's score for one user before filtering, and the mute that removes it."""

    score: float | None
    followed: bool
    muted_by: str | None  # "author Jane Doe" or "term 'crypto'"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while results are built.

    A rank call creates millions of small objects (results and their reasons) and no
    reference cycles; left on, the collector rescans the growing result again and again,
    which cost about a third of the time for 100,000 users.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _chunk_runner(chunks: int) -> Iterator[Callable]:
    """map() over chunks: two threads when there are several chunks, else in line.

    Most of a chunk's work (sparse and dense products, sorting) releases the GIL, so two
    chunks in flight use both cores; each keeps BLAS to one thread so they do not fight.
    Results come back in chunk order.
    """
    if chunks < 2:
        yield map
        return
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=2) as executor:
        yield executor.map


class Ranker:
    """Content-based ranker; see RankerConfig for the knobs and score.py for the score."""

    def __init__(self, config: RankerConfig | None = None, embedder: Embedder | None = None):
        self.config = config or RankerConfig()
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        """The semantic view's model, given to the ranker (recommender/semantic_model.py loads
        WordLlama; the ranking package never imports it)."""
        if self._embedder is None:
            raise ValueError(
                "semantic_weight > 0 needs an embedder: Ranker(config, load_embedder())"
            )
        return self._embedder

    def fit(self, texts: Sequence[str]) -> FittedText:
        """Fit the text model on a corpus (liked papers and recent candidates).

        With the semantic view on, the corpus is embedded too (its mean, its reference sample).
        """
        # One BLAS thread: the fit's dense steps are small (n x 138), and on a shared machine
        # OpenBLAS threads spin against other work; one thread fitted 2-5x faster there.
        with threadpool_limits(limits=1):
            fitted = fit_text(texts, self.config)
        if self.config.semantic_weight > 0:
            fitted.semantic = self.fit_semantic(texts)
        return fitted

    def fit_semantic(self, texts: Sequence[str]) -> SemanticModel:
        """The semantic view's corpus mean and reference sample, from the corpus `texts`."""
        return fit_semantic(self.embedder, texts, reference_sample(len(texts), self.config))

    def fit_crowd(
        self, fitted: FittedText, libraries: Sequence[Sequence[LikedText]]
    ) -> CrowdModel | None:
        """The crowd model of every user's liked papers (None with too few users)."""
        with threadpool_limits(limits=1):  # as in fit: small dense steps, a shared machine
            return fit_crowd(fitted, libraries, self.config)

    def rank(
        self,
        fitted: FittedText,
        profiles: Sequence[ProfileInput],
        candidates: Sequence[Candidate],
        k: int,
        threshold: float = 0.0,
        progress: Progress | None = None,
        explain: bool = True,
        crowd: CrowdModel | None = None,
    ) -> dict[str, list[ScoredPaper]]:
        """Each user's best k candidates with score > threshold, best first, with reasons.

        Text-model settings come from `fitted` (as it was fitted); scoring settings from
        this ranker's config. Users are scored `user_chunk` at a time to bound memory.
        `explain=False` leaves `reasons` empty, for callers that only need the order
        (rank-offline): the same scores and picks, without building the reasons. `crowd`
        (from `fit_crowd`, over every user's likes, not only these users') adds the crowd view.
        """
        if len({p.user_id for p in profiles}) != len(profiles):
            raise ValueError("profiles must have distinct user ids")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must lie in [0, 1]")
        results: dict[str, list[ScoredPaper]] = {p.user_id: [] for p in profiles}
        if not candidates or not profiles or k <= 0:
            return results
        setting = self._setting(fitted, profiles, candidates, crowd)
        step = self.config.user_chunk
        chunks = [profiles[i : i + step] for i in range(0, len(profiles), step)]

        def rank_chunk(chunk: Sequence[ProfileInput]) -> list[list[ScoredPaper]]:
            scored = self._score_chunk(fitted, chunk, setting, k, threshold)
            if explain:
                return explain_chunk(chunk, scored.picks, setting.pool.view, *scored.evidence)
            return bare_chunk(scored.picks, setting.pool.keys)

        done = 0
        with _collector_paused(), _chunk_runner(len(chunks)) as run:
            for chunk, ranked in zip(chunks, run(rank_chunk, chunks), strict=True):
                for profile, items in zip(chunk, ranked, strict=True):
                    results[profile.user_id] = items
                done += len(chunk)
                if progress is not None:
                    progress(done, len(profiles))
        return results

    def score_each(
        self,
        fitted: FittedText,
        profile: ProfileInput,
        candidates: Sequence[Candidate],
        crowd: CrowdModel | None = None,
    ) -> dict[str, CandidateScore]:
        """Every candidate's score for one user before any filtering, and what mutes it.

        The score rank() starts from (crowd view and followed-author boost included), ahead
        of the threshold, the diversity discount and the cut to k: what `recommend --all`
        shows for the papers that were left out. None when the profile has nothing to score
        with (no likes, no keywords).
        """
        if not candidates:
            return {}
        setting = self._setting(fitted, [profile], candidates, crowd)
        built, closeness, _, followed, _ = self._closeness(fitted, [profile], setting)
        scores = to_score(closeness[0]) if built.active[0] else None
        muted = setting.pool.muted_by(profile)
        return {
            key: CandidateScore(
                score=None if scores is None else float(scores[column]),
                followed=bool(followed[0, column]),
                muted_by=muted.get(column),
            )
            for column, key in enumerate(setting.pool.keys)
        }

    def score_matrix(
        self,
        fitted: FittedText,
        profiles: Sequence[ProfileInput],
        candidates: Sequence[Candidate],
        crowd: CrowdModel | None = None,
    ) -> tuple[list[str], np.ndarray]:
        """(candidate keys, users x candidates scores) before rank()'s picks.

        The same score score_each() gives one user, for many users in rank()'s chunks:
        what an offline study fuses with another view. Muted candidates and users with
        nothing to score with get -inf.
        """
        setting = self._setting(fitted, profiles, candidates, crowd)
        rows = []
        step = self.config.user_chunk
        for start in range(0, len(profiles), step):
            chunk = profiles[start : start + step]
            built, closeness, _, _, _ = self._closeness(fitted, chunk, setting)
            shown = to_score(closeness)
            shown[setting.pool.removed(chunk)] = -np.inf
            shown[~built.active] = -np.inf
            rows.append(shown)
        width = len(setting.pool.keys)
        return setting.pool.keys, np.vstack(rows) if rows else np.empty((0, width))

    def _setting(
        self,
        fitted: FittedText,
        profiles: Sequence[ProfileInput],
        candidates: Sequence[Candidate],
        crowd: CrowdModel | None,
    ) -> RankSetting:
        """What every chunk of one rank call shares: candidates, reference, liked papers."""
        pool = CandidateSet(fitted, candidates)
        reference = PaperVectors.of(fitted, fitted.reference_terms)
        table = document_table(fitted, profiles)
        labels = interest_labels(fitted, table.topics) if len(table.row) else None
        crowd_vectors = None
        if crowd is not None and self.config.crowd_on:
            liked_keys = sorted(table.row, key=table.row.__getitem__)
            crowd_vectors = CrowdVectors.of(
                crowd, pool.vectors.terms, reference.terms, liked_keys, table.terms
            )
        semantic = None
        if self.config.semantic_weight > 0:
            semantic = self._semantic(fitted, profiles, pool)
        return RankSetting(
            pool, reference, table, labels, crowd_vectors, presence(table.terms), semantic
        )

    def _semantic(
        self, fitted: FittedText, profiles: Sequence[ProfileInput], pool: CandidateSet
    ) -> SemanticVectors:
        """Embed the candidates and the liked/disliked papers (in the document table's order)."""
        model = fitted.semantic
        embedder = self.embedder
        if model is None or model.name != embedder.name:
            raise ValueError(
                "the text model was fitted without this semantic view: fit it with a ranker "
                "whose semantic_weight > 0"
            )
        texts: dict[str, str] = {}
        for profile in profiles:
            for doc in (*profile.liked, *profile.disliked):
                texts.setdefault(doc.key, doc.text)
        return SemanticVectors(
            papers=model.vectors(embedder, [c.text for c in pool.ordered]),
            liked=model.vectors(embedder, [texts[key] for key in sorted(texts)]),
            reference=model.reference,
        )

    def _closeness(
        self, fitted: FittedText, chunk: Sequence[ProfileInput], setting: RankSetting
    ) -> tuple[Profiles, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
        """(profiles, closeness with the extra views and followed boost, crowd part, followed
        mask, semantic part)."""
        config = self.config
        built = build_profiles(fitted, setting.table, chunk, config)
        closeness, spread = relative_closeness(
            fitted, built, setting.pool.vectors, setting.reference, config.topic_weight
        )
        views = []  # (part, own) of each extra view, fused once below
        semantic = setting.semantic
        if semantic is not None:
            users = user_vectors(semantic.liked, built.liked_rows)
            own = own_closeness(semantic.liked, built.liked_rows)
            z, own_z = standardised(users, semantic.papers, semantic.reference, own)
            sizes = np.array([len(np.unique(rows)) for rows in built.liked_rows])
            weights = library_weights(config.semantic_weight, config.semantic_pivot, sizes)
            views.append(z_view(spread, z, own_z, weights))
        crowd, crowd_at = setting.crowd, None
        if crowd is not None and config.crowd_weight > 0:
            users, own_crowd = crowd.users(built.liked_rows)
            crowd_at = len(views)
            views.append(
                crowd_view(
                    spread, users, own_crowd, crowd.papers, crowd.reference, config.crowd_weight
                )
            )
        if crowd is not None and crowd.appeal is not None and config.appeal_weight > 0:
            # Like the crowd view, appeal is for users with likes only.
            liked = np.array([len(rows) > 0 for rows in built.liked_rows])
            own_z = crowd.own_appeal(built.liked_rows)
            views.append(z_view(spread, crowd.appeal, own_z, config.appeal_weight * liked))
        crowd_part = semantic_part = None
        if views:
            # One fusion of every extra view: r' = (r + parts) / (1 + owns) (score.py).
            parts = fuse_views(closeness, views)
            # The crowd's own view gives a reason; appeal, the same for everyone, does not.
            crowd_part = parts[crowd_at] if crowd_at is not None else None
            semantic_part = parts[0] if semantic is not None else None
        followed = setting.pool.followed(chunk)
        closeness += config.followed_author_boost * followed
        return built, closeness, crowd_part, followed, semantic_part

    def _score_chunk(
        self,
        fitted: FittedText,
        chunk: Sequence[ProfileInput],
        setting: RankSetting,
        k: int,
        threshold: float,
    ) -> ScoredChunk:
        """Score, filter and pick for one chunk of users; gather what explaining needs."""
        config = self.config
        pool, table, labels = setting.pool, setting.table, setting.labels
        built, closeness, crowd_part, followed, semantic_part = self._closeness(
            fitted, chunk, setting
        )
        removed = pool.removed(chunk)
        removed[~built.active] = True
        closeness[removed | (closeness <= closeness_for(threshold))] = -np.inf
        columns, shown = diverse_top_k(
            closeness,
            to_score,
            pool.vectors.topics,
            k,
            config.diversity,
            config.diversity_depth,
            config.diversity_pool,
        )
        columns[shown <= threshold] = -1  # the redundancy discount may cross the threshold
        shown[columns < 0] = -np.inf
        if labels is not None and config.interest_slots:
            wanted = interest_picks(
                built.liked_rows,
                labels,
                table.topics,
                pool.vectors.topics,
                np.isfinite(closeness),
                config.interest_min_share,
            )
            columns, shown = reserve_slots(
                columns, shown, wanted, closeness, to_score, config.interest_slots
            )
        picks = ChunkPicks(
            columns=columns,
            scores=shown,
            followed=np.take_along_axis(followed, np.maximum(columns, 0), axis=1),
            crowd=None
            if crowd_part is None
            else np.take_along_axis(crowd_part, np.maximum(columns, 0), axis=1),
        )
        if semantic_part is not None and setting.semantic is not None:
            picks.semantic = np.take_along_axis(semantic_part, np.maximum(columns, 0), axis=1)
            picks.semantic_liked = nearest_in_meaning(setting.semantic, built.liked_rows, columns)
        liked_topics = [table.topics[rows] for rows in built.liked_rows]
        evidence = (
            built.terms,
            liked_support(setting.present, built.liked_rows),
            liked_topics,
            pool.keyword_hits(chunk),
            config.reason_terms,
        )
        return ScoredChunk(picks, evidence)
