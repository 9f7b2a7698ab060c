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


def top_shared_terms(
    profiles: sp.csr_matrix, papers: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray, n: int
) -> list[list[tuple[int, float]]]:
    """For each (row, col) pair: the n terms adding most to profile . paper, largest first."""
    product = profiles[rows].multiply(papers[cols]).tocoo()
    keep = product.data > 0
    pair, term, value = product.row[keep], product.col[keep], product.data[keep]
    order = np.lexsort((term, -value, pair))
    pair, term, value = pair[order], term[order], value[order]
    starts = np.searchsorted(pair, np.arange(len(rows)))
    rank = np.arange(len(pair)) - starts[pair]
    out: list[list[tuple[int, float]]] = [[] for _ in range(len(rows))]
    for p, t, v in zip(pair[rank < n], term[rank < n], value[rank < n], strict=True):
        out[p].append((int(t), float(v)))
    return out


def explain_chunk(
    profiles: Sequence[ProfileInput],
    picks: ChunkPicks,
    keys: Sequence[str],
    profile_terms: sp.csr_matrix,
    paper_terms: sp.csr_matrix,
    paper_topics: np.ndarray,
    liked_topics: list[np.ndarray],
    vocabulary: np.ndarray,
    keyword_hits: list[dict[str, np.ndarray]],
    authors: Sequence[tuple[str, ...]],
    n_terms: int,
) -> list[list[ScoredPaper]]:
    """ScoredPaper lists for a chunk of users, each paper with at least one reason."""
    rows, slots = np.nonzero(picks.columns >= 0)
    cols = picks.columns[rows, slots]
    shared = top_shared_terms(profile_terms, paper_terms, rows, cols, n_terms)
    results: list[list[ScoredPaper]] = [[] for _ in profiles]
    for i, (row, slot, col) in enumerate(zip(rows, slots, cols, strict=True)):
        profile = profiles[row]
        reasons: list[Reason] = []
        if shared[i]:
            terms = [str(vocabulary[t]) for t, _ in shared[i]]
            reasons.append(
                Reason.model_construct(
                    kind="terms",
                    text="shares " + ", ".join(terms),
                    terms=terms,
                    paper_key=None,
                    weight=sum(v for _, v in shared[i]),
                )
            )
        closeness = liked_topics[row] @ paper_topics[col]
        best = int(np.argmax(closeness)) if len(closeness) else -1
        if best >= 0 and closeness[best] > 0:
            key = profile.liked[best].key
            reasons.append(
                Reason.model_construct(
                    kind="nearest_liked",
                    text=f"close to {key}",
                    terms=[],
                    paper_key=key,
                    weight=float(closeness[best]),
                )
            )
        for word, hits in keyword_hits[row].items():
            if hits[col]:
                reasons.append(
                    Reason.model_construct(
                        kind="keyword",
                        text=f"matches keyword {word!r}",
                        terms=[word],
                        paper_key=None,
                        weight=float(profile.keywords[word]),
                    )
                )
        if picks.followed[row, slot]:
            followed = {normalise_author(a) for a in profile.followed_authors}
            names = [a for a in authors[col] if normalise_author(a) in followed]
            reasons.append(
                Reason.model_construct(
                    kind="followed_author",
                    text="by " + ", ".join(names),
                    terms=names,
                    paper_key=None,
                    weight=1.0,
                )
            )
        if not reasons:
            reasons.append(
                Reason.model_construct(
                    kind="interest",
                    text="close to your interests",
                    terms=[],
                    paper_key=None,
                    weight=float(picks.scores[row, slot]),
                )
            )
        results[row].append(
            ScoredPaper.model_construct(
                paper_key=keys[col], score=float(picks.scores[row, slot]), reasons=reasons
            )
        )
    return results
