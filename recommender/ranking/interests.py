"""Several interests per user: a minority topic of a library keeps a slot in the top k.

Liked papers are labelled by the nearest of a few corpus-wide topic centroids (k-means on the
LSA space, fitted once). Each label holding at least `interest_min_share` of a user's likes is
an interest; the best candidate for each interest (topic cosine to that interest's mean) is
guaranteed a place among the k, replacing the lowest picks, so one topic cannot fill the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans
from sklearn.preprocessing import normalize

if TYPE_CHECKING:  # vectorize imports this module for fit_centroids
    from recommender.ranking.vectorize import FittedText


def fit_centroids(topics: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Unit topic centroids of the corpus (k-means in the LSA space)."""
    count = max(1, min(count, topics.shape[0] // 5))
    # One k-means++ start, seeded on 2,048 papers (not 3 x batch_size): the centroids only
    # label interests, and three starts on 12,288 cost a third of the text model's fit for
    # no measurable gain (benchmarks/RESULTS.md).
    model = MiniBatchKMeans(count, random_state=seed, n_init=1, batch_size=4096, init_size=2048)
    return normalize(model.fit(topics).cluster_centers_).astype(np.float32)


def interest_labels(fitted: FittedText, doc_topics: np.ndarray) -> np.ndarray:
    """The corpus topic (index of the nearest centroid) of each document's unit topic vector."""
    return np.argmax(doc_topics @ fitted.centroids.T, axis=1)


@dataclass(frozen=True)
class InterestGroup:
    """One interest of a library: its liked papers (indices) and heaviest terms (top = 1.0)."""

    members: list[int]
    terms: list[tuple[str, float]]


def interest_groups(
    fitted: FittedText, liked_texts: Sequence[str], min_share: float, max_terms: int
) -> list[InterestGroup]:
    """The interests the ranker sees in `liked_texts`, biggest first.

    The same labels and share rule as `interest_picks`: a corpus topic holding at least
    `min_share` of the likes is an interest. Each interest's terms are the heaviest of its
    papers' mean term vector, as the ranker weighs them. Papers with no known term are left
    out; so are topics below the share, which are no interest of their own to the ranker.
    """
    if not liked_texts or max_terms <= 0 or not len(fitted.centroids):
        return []
    terms = fitted.terms(list(liked_texts))
    known = np.flatnonzero(terms.getnnz(axis=1))
    if not len(known):
        return []
    labels = interest_labels(fitted, fitted.topics(terms[known]))
    names = fitted.feature_names()
    groups = []
    for label in np.unique(labels):
        members = known[labels == label]
        if len(members) < min_share * len(known):
            continue
        groups.append(
            InterestGroup([int(i) for i in members], _heaviest(terms[members], names, max_terms))
        )
    return sorted(groups, key=lambda group: (-len(group.members), group.members[0]))


def mean_terms(fitted: FittedText, texts: Sequence[str], max_terms: int) -> list[tuple[str, float]]:
    """The heaviest terms of the mean term vector of `texts`, as the ranker weighs them."""
    if not texts or max_terms <= 0:
        return []
    return _heaviest(fitted.terms(list(texts)), fitted.feature_names(), max_terms)


def _heaviest(rows: sp.csr_matrix, names: np.ndarray, count: int) -> list[tuple[str, float]]:
    weights = np.asarray(rows.mean(axis=0)).ravel()
    # Ties broken by the term itself, so a page shows the same terms on every visit.
    order = sorted(np.flatnonzero(weights), key=lambda i: (-weights[i], names[i]))[:count]
    if not order:
        return []
    top = float(weights[order[0]])
    return [(str(names[i]), round(float(weights[i]) / top, 4)) for i in order]


def interest_picks(
    liked: Sequence[np.ndarray],
    labels: np.ndarray,
    doc_topics: np.ndarray,
    paper_topics: np.ndarray,
    allowed: np.ndarray,
    min_share: float,
) -> list[list[int]]:
    """Per user: the best allowed candidate column of each of its interests (none if one)."""
    out: list[list[int]] = [[] for _ in liked]
    sizes = np.array([len(docs) for docs in liked], dtype=np.int64)
    if sizes.sum() == 0:
        return out
    users = np.repeat(np.arange(len(liked)), sizes)
    docs = np.concatenate([np.asarray(d, dtype=np.int64) for d in liked])
    groups = len(labels) and int(labels.max()) + 1
    found, group, counts = np.unique(
        users * groups + labels[docs], return_inverse=True, return_counts=True
    )
    owner = found // groups
    distinct = np.bincount(owner, minlength=len(liked))
    keep = (counts >= min_share * sizes[owner]) & (distinct[owner] >= 2)
    if not keep.any():
        return out
    # Interest profile = unit mean topic vector of its likes (one sparse product for all).
    index = np.cumsum(keep) - 1
    member = keep[group]
    weights = sp.csr_matrix(
        (1.0 / counts[group[member]], (index[group[member]], docs[member])),
        shape=(int(keep.sum()), doc_topics.shape[0]),
        dtype=np.float32,
    )
    closeness = normalize(weights @ doc_topics) @ paper_topics.T
    owners = owner[keep]
    closeness[~allowed[owners]] = -np.inf
    best = np.argmax(closeness, axis=1)
    ok = np.isfinite(closeness[np.arange(len(best)), best])
    for user, column in zip(owners[ok].tolist(), best[ok].tolist(), strict=True):
        if column not in out[user]:
            out[user].append(column)
    return out


def reserve_slots(
    columns: np.ndarray,
    shown: np.ndarray,
    wanted: list[list[int]],
    closeness: np.ndarray,
    to_score: Callable[[np.ndarray], np.ndarray],
    slots: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Put each user's interest picks in its list (replacing its lowest), re-sorted by score."""
    columns, shown = columns.copy(), shown.copy()
    k = columns.shape[1]
    for user, extra in enumerate(wanted):
        missing = [c for c in extra if c not in set(columns[user].tolist())][: min(slots, k // 2)]
        if not missing:
            continue
        filled = int((columns[user] >= 0).sum())
        start = min(filled, k - len(missing))
        columns[user, start : start + len(missing)] = missing
        shown[user, start : start + len(missing)] = to_score(closeness[user, missing])
        order = np.lexsort((np.where(columns[user] >= 0, columns[user], 1 << 30), -shown[user]))
        columns[user], shown[user] = columns[user, order], shown[user, order]
    return columns, shown
