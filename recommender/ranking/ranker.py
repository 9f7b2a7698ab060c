"""Ranker: fit the text model once, then score every candidate for every user in batches."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from recommender.models import ScoredPaper
from recommender.ranking.config import RankerConfig
from recommender.ranking.explain import ChunkPicks, PaperView, explain_chunk
from recommender.ranking.inputs import Candidate, ProfileInput, normalise_author
from recommender.ranking.interests import interest_picks, reserve_slots
from recommender.ranking.profile import build_profiles, document_table
from recommender.ranking.score import PaperVectors, relative_closeness, to_score
from recommender.ranking.select import diverse_top_k
from recommender.ranking.vectorize import FittedText, fit_text


class PhraseIndex:
    """Which candidates contain a phrase as whole words (case-insensitive), cached per phrase."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = [t.casefold() for t in texts]
        self._cache: dict[str, np.ndarray] = {}

    def mask(self, phrase: str) -> np.ndarray:
        """Boolean mask of the candidates containing `phrase`."""
        key = " ".join(phrase.casefold().split())
        if key not in self._cache:
            pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, key.split())) + r"(?!\w)")
            hits = [bool(key) and pattern.search(t) is not None for t in self._texts]
            self._cache[key] = np.array(hits, dtype=bool)
        return self._cache[key]


class Ranker:
    """Content-based ranker; see RankerConfig for the knobs and score.py for the score."""

    def __init__(self, config: RankerConfig | None = None) -> None:
        self.config = config or RankerConfig()

    def fit(self, texts: Sequence[str]) -> FittedText:
        """Fit the text model on a corpus (liked papers and recent candidates)."""
        return fit_text(texts, self.config)

    def rank(
        self,
        fitted: FittedText,
        profiles: Sequence[ProfileInput],
        candidates: Sequence[Candidate],
        k: int,
        threshold: float = 0.0,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, list[ScoredPaper]]:
        """Each user's best k candidates with score > threshold, best first, with reasons."""
        if len({p.user_id for p in profiles}) != len(profiles):
            raise ValueError("profiles must have distinct user ids")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must lie in [0, 1]")
        # Canonical order (by key) makes the result independent of the candidates' order.
        unique = {c.key: c for c in sorted(candidates, key=lambda c: (c.key, c.text))[::-1]}
        ordered = [unique[key] for key in sorted(unique)]
        results: dict[str, list[ScoredPaper]] = {p.user_id: [] for p in profiles}
        if not ordered or not profiles or k <= 0:
            return results
        config = self.config
        keys = [c.key for c in ordered]
        papers = PaperVectors.of(fitted, fitted.terms([c.text for c in ordered]))
        reference = PaperVectors.of(fitted, fitted.reference_terms)
        table = document_table(fitted, profiles)
        labels = (
            np.argmax(table.topics @ fitted.centroids.T, axis=1)
            if len(table.topics)
            else np.zeros(0, dtype=int)
        )
        column = {key: i for i, key in enumerate(keys)}
        by_author: dict[str, list[int]] = {}
        for i, c in enumerate(ordered):
            for name in {normalise_author(a) for a in c.authors}:
                by_author.setdefault(name, []).append(i)
        phrases = PhraseIndex([c.text for c in ordered])
        view = PaperView(
            keys=keys,
            terms=papers.terms,
            topics=papers.topics,
            authors=[c.authors for c in ordered],
            vocabulary=fitted.feature_names(),
        )
        for start in range(0, len(profiles), config.user_chunk):
            chunk = profiles[start : start + config.user_chunk]
            built = build_profiles(fitted, table, chunk, config)
            closeness = relative_closeness(fitted, built, papers, reference, config.topic_weight)
            followed = np.zeros(closeness.shape, dtype=bool)
            removed = np.zeros(closeness.shape, dtype=bool)
            removed[~built.active] = True
            for i, p in enumerate(chunk):
                for name in p.followed_authors:
                    followed[i, by_author.get(normalise_author(name), [])] = True
                for name in p.muted_authors:
                    removed[i, by_author.get(normalise_author(name), [])] = True
                for phrase in p.muted_keywords:
                    removed[i] |= phrases.mask(phrase)
                seen = p.exclude | {d.key for d in (*p.liked, *p.disliked)}
                removed[i, [column[key] for key in seen if key in column]] = True
            closeness += config.followed_author_boost * followed
            scores = to_score(closeness)
            scores[removed | (scores <= threshold)] = -np.inf
            columns, shown = diverse_top_k(
                scores,
                papers.topics,
                k,
                config.diversity,
                config.diversity_depth,
                config.diversity_pool,
            )
            columns[shown <= threshold] = -1  # the redundancy discount may cross the threshold
            shown[columns < 0] = -np.inf
            liked_rows = [np.array([table.row[d.key] for d in p.liked], dtype=int) for p in chunk]
            wanted = interest_picks(
                liked_rows,
                labels,
                table.topics,
                papers.topics,
                np.isfinite(scores),
                config.interest_min_share,
            )
            columns, shown = reserve_slots(columns, shown, wanted, scores, config.interest_slots)
            picks = ChunkPicks(
                columns=columns,
                scores=shown,
                followed=np.take_along_axis(followed, np.maximum(columns, 0), axis=1),
            )
            liked_topics = [
                table.topics[[table.row[d.key] for d in p.liked]] for p in chunk
            ]
            keyword_hits = [
                {word: phrases.mask(word) for word, w in p.keywords.items() if w > 0}
                for p in chunk
            ]
            explained = explain_chunk(
                chunk, picks, view, built.terms, liked_topics, keyword_hits, config.reason_terms
            )
            for p, ranked in zip(chunk, explained, strict=True):
                results[p.user_id] = ranked
            if progress is not None:
                progress(start + len(chunk), len(profiles))
        return results
