"""Per-user profile vectors built in batch: liked mean, pushed from dislikes, plus keywords."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from recommender.ranking.config import RankerConfig
from recommender.ranking.inputs import ProfileInput
from recommender.ranking.vectorize import FittedText


@dataclass
class DocumentTable:
    """Liked/disliked papers of all users, vectorised once per distinct key."""

    row: dict[str, int]
    terms: sp.csr_matrix  # unit term vectors
    projected: np.ndarray  # terms @ basis.T
    topics: np.ndarray  # unit topic vectors


@dataclass
class Profiles:
    """A chunk of users' profiles in both views, and their positive centroids."""

    terms: np.ndarray  # unit profile term vectors, dense (users x V)
    projected: np.ndarray  # terms @ basis.T
    topics: np.ndarray  # unit profile topic vectors (users x d)
    positive_terms: sp.csr_matrix  # mean of liked papers and keywords (not unit)
    positive_projected: np.ndarray
    positive_topics: np.ndarray
    liked_rows: list[np.ndarray]  # each user's liked papers as table rows, in `liked` order
    active: np.ndarray  # bool: the user has likes or positive keywords


def document_table(fitted: FittedText, profiles: Sequence[ProfileInput]) -> DocumentTable:
    """Vectorise each distinct liked/disliked paper once, however many users share it."""
    texts: dict[str, str] = {}
    for profile in profiles:
        for doc in (*profile.liked, *profile.disliked):
            texts.setdefault(doc.key, doc.text)
    keys = sorted(texts)
    terms = fitted.terms([texts[key] for key in keys])
    projected = np.asarray(terms @ fitted.basis.T, dtype=np.float32)
    topics = normalize(projected) if len(keys) else projected
    return DocumentTable({key: i for i, key in enumerate(keys)}, terms, projected, topics)


def keyword_terms(fitted: FittedText, profiles: Sequence[ProfileInput]) -> sp.csr_matrix:
    """One pseudo-paper per user: the weighted sum of its keywords' unit term vectors, unit."""
    phrases = sorted({word for p in profiles for word, weight in p.keywords.items() if weight})
    if not phrases:
        return sp.csr_matrix((len(profiles), fitted.idf.shape[0]), dtype=np.float32)
    column = {phrase: i for i, phrase in enumerate(phrases)}
    rows, cols, vals = [], [], []
    for i, profile in enumerate(profiles):
        for word, weight in profile.keywords.items():
            if weight:
                rows.append(i)
                cols.append(column[word])
                vals.append(weight)
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(len(profiles), len(phrases)))
    return normalize(weights.astype(np.float32) @ fitted.terms(phrases)).astype(np.float32)


def _mixes(
    table: DocumentTable, profiles: Sequence[ProfileInput], dislike_weight: float
) -> tuple[sp.csr_matrix, sp.csr_matrix, list[np.ndarray]]:
    """Users x documents weights: the Rocchio mix and the positive (liked) mean."""
    rows, cols, vals, liked_rows = [], [], [], []
    for i, profile in enumerate(profiles):
        ordered = [table.row[doc.key] for doc in profile.liked]
        liked_rows.append(np.array(ordered, dtype=np.int64))
        liked = sorted(set(ordered))
        disliked = sorted({table.row[doc.key] for doc in profile.disliked} - set(liked))
        rows += [i] * (len(liked) + len(disliked))
        cols += liked + disliked
        vals += [1.0 / max(len(liked), 1)] * len(liked)
        vals += [-dislike_weight / max(len(disliked), 1)] * len(disliked)
    shape = (len(profiles), table.terms.shape[0])
    mix = sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32)
    positive = mix.copy()
    positive.data = np.maximum(positive.data, 0)
    positive.eliminate_zeros()
    return mix, positive, liked_rows


def prune_rows(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep each row's `keep` largest-magnitude entries (ties: the lower column)."""
    if keep <= 0 or not len(matrix.indptr) or np.diff(matrix.indptr).max(initial=0) <= keep:
        return matrix
    matrix = matrix.copy()
    matrix.sort_indices()
    for row in np.flatnonzero(np.diff(matrix.indptr) > keep):
        lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[lo:hi]
        drop = np.argsort(-np.abs(values), kind="stable")[keep:]
        values[drop] = 0.0
    matrix.eliminate_zeros()
    return matrix


def build_profiles(
    fitted: FittedText,
    table: DocumentTable,
    profiles: Sequence[ProfileInput],
    config: RankerConfig,
) -> Profiles:
    """Rocchio profiles: mean liked - dislike_weight * mean disliked + keyword_weight * keywords."""
    mix, positive, liked_rows = _mixes(table, profiles, config.dislike_weight)
    keywords = keyword_terms(fitted, profiles) * config.keyword_weight
    keyword_projected = np.asarray(keywords @ fitted.basis.T, dtype=np.float32)
    keyword_topics = normalize(keyword_projected) * config.keyword_weight
    has_keywords = np.array([any(w > 0 for w in p.keywords.values()) for p in profiles])
    has_likes = np.diff(positive.indptr) > 0
    raw = prune_rows((mix @ table.terms + keywords).tocsr(), config.profile_terms)
    # Every view is linear, so projections come from the documents' (cheap) projections.
    raw_projected = mix @ table.projected + keyword_projected
    norms = np.sqrt(np.asarray(raw.multiply(raw).sum(axis=1)).ravel())
    inverse = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    # The positive centroid stands for "the papers this user picked"; keywords count as one.
    scale = (1.0 / (1.0 + config.keyword_weight * has_keywords * has_likes)).astype(np.float32)
    return Profiles(
        terms=(raw.multiply(inverse[:, None])).toarray().astype(np.float32),
        projected=(raw_projected * inverse[:, None]).astype(np.float32),
        topics=normalize(mix @ table.topics + keyword_topics).astype(np.float32),
        positive_terms=sp.diags(scale) @ (positive @ table.terms + keywords).tocsr(),
        positive_projected=((positive @ table.projected + keyword_projected) * scale[:, None]),
        positive_topics=((positive @ table.topics + keyword_topics) * scale[:, None]),
        liked_rows=liked_rows,
        active=has_likes | has_keywords,
    )
