"""Reasons as data for each picked paper: shared terms, nearest liked paper, keywords, authors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.models import Reason, ScoredPaper
from recommender.ranking.inputs import ProfileInput, normalise_author


@dataclass
class ChunkPicks:
    """One chunk's picks: candidate columns (users x k, -1 = none) and their scores."""

    columns: np.ndarray
    scores: np.ndarray
    followed: np.ndarray  # bool, the pick is by a followed author
    crowd: np.ndarray | None = None  # what the crowd view added to the pick's r, if used


# A crowd contribution this large (a fifth of "as close as your typical like") is worth saying.
CROWD_REASON_MIN = 0.2


@dataclass
class PaperView:
    """What explaining needs to know about the candidates."""

    keys: Sequence[str]
    terms: sp.csr_matrix
    topics: np.ndarray
    authors: Sequence[tuple[str, ...]]
    vocabulary: np.ndarray


def top_shared_terms(
    profiles: sp.csr_matrix, papers: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair, term, value) of the n terms adding most to profile . paper per (row, col) pair."""
    picked = papers[cols]  # one row per pair: the paper's few terms
    pair = np.repeat(np.arange(len(cols)), np.diff(picked.indptr))
    term = picked.indices
    # Look each (user, term) up in the profiles: CSR keys row * V + column are sorted.
    profiles = profiles if profiles.has_sorted_indices else profiles.sorted_indices()
    width = np.int64(profiles.shape[1])
    keys = np.repeat(np.arange(profiles.shape[0], dtype=np.int64), np.diff(profiles.indptr))
    keys = keys * width + profiles.indices
    wanted = rows[pair].astype(np.int64) * width + term
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    hit = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), dtype=bool)
    value = picked.data[hit] * profiles.data[at[hit]]
    pair, term = pair[hit], term[hit]
    keep = value > 0
    pair, term, value = pair[keep], term[keep], value[keep]
    # One float key sorts by pair, then heaviest first (unit vectors: values lie in (0, 1]);
    # a stable sort breaks ties by term, so a user's reasons do not depend on which other
    # users share the chunk.
    order = np.argsort(pair * 2.0 + (1.0 - value.astype(np.float64)), kind="stable")
    pair, term, value = pair[order], term[order], value[order]
    rank = np.arange(len(pair)) - np.searchsorted(pair, pair)
    top = rank < n
    return pair[top], term[top], value[top]


def nearest_liked(
    rows: np.ndarray, cols: np.ndarray, liked_topics: list[np.ndarray], paper_topics: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each (row, col) pair: the index in the user's liked list of the closest paper, and
    its topic cosine (-1 when the user liked nothing)."""
    best = np.full(len(rows), -1)
    closeness = np.full(len(rows), -1.0)
    bounds = np.searchsorted(rows, np.arange(len(liked_topics) + 1))
    for row, liked in enumerate(liked_topics):
        lo, hi = bounds[row], bounds[row + 1]
        if hi > lo and len(liked):
            sims = liked @ paper_topics[cols[lo:hi]].T  # (liked, picks)
            best[lo:hi] = np.argmax(sims, axis=0)
            closeness[lo:hi] = sims[best[lo:hi], np.arange(hi - lo)]
    return best, closeness


def explain_chunk(
    profiles: Sequence[ProfileInput],
    picks: ChunkPicks,
    papers: PaperView,
    profile_terms: sp.csr_matrix,
    liked_topics: list[np.ndarray],
    keyword_hits: list[dict[str, np.ndarray]],
    n_terms: int,
) -> list[list[ScoredPaper]]:
    """ScoredPaper lists for a chunk of users, each paper with at least one reason."""
    rows, slots = np.nonzero(picks.columns >= 0)  # row-major: rows ascending
    cols = picks.columns[rows, slots]
    pair, term, value = top_shared_terms(profile_terms, papers.terms, rows, cols, n_terms)
    starts = np.searchsorted(pair, np.arange(len(rows) + 1)).tolist()
    words = papers.vocabulary[term].tolist()
    values = value.tolist()
    nearest, closeness = nearest_liked(rows, cols, liked_topics, papers.topics)
    best, near = nearest.tolist(), closeness.tolist()
    scores = picks.scores[rows, slots].tolist()
    followed = picks.followed[rows, slots].tolist()
    crowd = picks.crowd[rows, slots].tolist() if picks.crowd is not None else [0.0] * len(rows)
    keys = papers.keys
    results: list[list[ScoredPaper]] = [[] for _ in profiles]
    # Reasons are built positionally: this loop runs once per pick, a million times for
    # 100,000 users.
    for i, (row, col) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        profile = profiles[row]
        reasons: list[Reason] = []
        lo, hi = starts[i], starts[i + 1]
        if hi > lo:
            shared = words[lo:hi]
            weight = sum(values[lo:hi])
            reasons.append(Reason("terms", "shares " + ", ".join(shared), shared, None, weight))
        if near[i] > 0:
            key = profile.liked[best[i]].key
            reasons.append(Reason("nearest_liked", f"close to {key}", [], key, near[i]))
        hits = keyword_hits[row]
        if hits:
            for word, mask in hits.items():
                if mask[col]:
                    weight = float(profile.keywords[word])
                    reasons.append(Reason("keyword", f"matches {word!r}", [word], None, weight))
        if followed[i]:
            wanted = {normalise_author(a) for a in profile.followed_authors}
            names = [a for a in papers.authors[col] if normalise_author(a) in wanted]
            reasons.append(Reason("followed_author", "by " + ", ".join(names), names, None, 1.0))
        if crowd[i] >= CROWD_REASON_MIN:
            text = "readers of papers like yours save papers like this"
            reasons.append(Reason("crowd", text, [], None, crowd[i]))
        if not reasons:
            reasons.append(Reason("interest", "close to your interests", [], None, scores[i]))
        results[row].append(ScoredPaper(keys[col], scores[i], reasons))
    return results


def bare_chunk(picks: ChunkPicks, keys: Sequence[str]) -> list[list[ScoredPaper]]:
    """ScoredPaper lists without reasons, for callers that only need the order."""
    return [
        [
            ScoredPaper(paper_key=keys[column], score=score)
            for column, score in zip(row_columns, row_scores, strict=True)
            if column >= 0
        ]
        for row_columns, row_scores in zip(
            picks.columns.tolist(), picks.scores.tolist(), strict=True
        )
    ]
