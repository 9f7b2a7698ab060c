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

# The library size (distinct liked papers) at which the topic view gets config.topic_weight.
TOPIC_PIVOT = 8.0


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

    terms: sp.csr_matrix  # unit profile term vectors, pruned (users x V)
    projected: np.ndarray  # terms @ basis.T
    topics: np.ndarray  # unit profile topic vectors (users x d)
    own_terms: np.ndarray  # profile . positive centroid (mean of liked papers and keywords)
    positive_projected: np.ndarray
    positive_topics: np.ndarray
    liked_rows: list[np.ndarray]  # each user's liked papers as table rows, in `liked` order
    active: np.ndarray  # bool: the user has likes or positive keywords
    topic_scale: np.ndarray  # per-user factor on the topic view's weight (library size)


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
    """Users x documents weights: the mean of the liked, and dislike_weight x mean disliked."""
    row = table.row
    sizes = [len(p.liked) for p in profiles]
    flat = np.array([row[d.key] for p in profiles for d in p.liked], dtype=np.int64)
    liked_rows = np.split(flat, np.cumsum(sizes)[:-1]) if profiles else []
    users = np.repeat(np.arange(len(profiles)), sizes)
    shape = (len(profiles), table.terms.shape[0])
    # Duplicates collapse: a paper liked twice counts once (mean over distinct likes).
    pairs = np.unique(users * shape[1] + flat)
    owner = pairs // shape[1]
    distinct = np.bincount(owner, minlength=len(profiles))
    positive = sp.csr_matrix(
        (1.0 / distinct[owner], (owner, pairs % shape[1])), shape=shape, dtype=np.float32
    )
    bad_rows, bad_cols, bad_vals = [], [], []
    for i, profile in enumerate(profiles):
        if profile.disliked:
            # A paper both liked and disliked counts as liked (the later click wins upstream).
            disliked = {row[doc.key] for doc in profile.disliked} - set(liked_rows[i].tolist())
            if not disliked:
                continue
            bad_rows += [i] * len(disliked)
            bad_cols += sorted(disliked)
            bad_vals += [dislike_weight / len(disliked)] * len(disliked)
    negative = sp.csr_matrix((bad_vals, (bad_rows, bad_cols)), shape=shape, dtype=np.float32)
    return positive, negative, liked_rows


def prune_rows(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep each row's `keep` largest-magnitude entries (entries tied with the last kept stay)."""
    counts = np.diff(matrix.indptr)
    if keep <= 0 or counts.max(initial=0) <= keep:
        return matrix
    magnitude = np.abs(matrix.data)
    cutoff = np.zeros(len(counts), dtype=magnitude.dtype)
    for row in np.flatnonzero(counts > keep):
        values = magnitude[matrix.indptr[row] : matrix.indptr[row + 1]]
        cutoff[row] = np.partition(values, len(values) - keep)[len(values) - keep]
    kept = magnitude >= np.repeat(cutoff, counts)
    rows = np.repeat(np.arange(len(counts)), counts)[kept]
    return sp.csr_matrix(
        (matrix.data[kept], (rows, matrix.indices[kept])), shape=matrix.shape, dtype=np.float32
    )


def build_profiles(
    fitted: FittedText,
    table: DocumentTable,
    profiles: Sequence[ProfileInput],
    config: RankerConfig,
) -> Profiles:
    """Rocchio profiles: mean liked - dislike_weight * mean disliked + keyword_weight * keywords."""
    positive, negative, liked_rows = _mixes(table, profiles, config.dislike_weight)
    keywords = keyword_terms(fitted, profiles) * config.keyword_weight
    keyword_projected = np.asarray(keywords @ fitted.basis.T, dtype=np.float32)
    keyword_topics = normalize(keyword_projected) * config.keyword_weight
    has_keywords = np.array([any(w > 0 for w in p.keywords.values()) for p in profiles])
    has_likes = np.diff(positive.indptr) > 0
    full = positive @ table.terms
    if keywords.nnz:
        full = full + keywords
    if negative.nnz:
        full = full - negative @ table.terms
    # The heaviest terms carry the similarity; pruning bounds the cost for big libraries.
    kept = prune_rows(sp.csr_matrix(full), config.profile_terms)
    pruned = kept
    if config.profile_power != 1.0:
        pruned = kept.copy()
        pruned.data = np.sign(pruned.data) * np.abs(pruned.data) ** config.profile_power
    norms = np.sqrt(np.asarray(pruned.multiply(pruned).sum(axis=1)).ravel())
    inverse = np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
    terms = sp.csr_matrix(sp.diags(inverse) @ pruned, dtype=np.float32)
    # The positive centroid c+ (liked papers, keywords counting as one) stands for "the papers
    # this user picked". c+ = full + negative part; with power 1, full . p = |pruned| for
    # p = pruned/|.|.
    scale = (1.0 / (1.0 + config.keyword_weight * has_keywords * has_likes)).astype(np.float32)
    if config.profile_power == 1.0:
        own = norms.astype(np.float32)
    else:
        # full . terms: terms lives on the kept entries, where full and kept agree.
        own = np.asarray(kept.multiply(terms).sum(axis=1), dtype=np.float32).ravel()
    if negative.nnz:
        own += np.asarray((negative @ table.terms).multiply(terms).sum(axis=1)).ravel()
    mix_topics = positive @ table.topics - negative @ table.topics + keyword_topics
    # Library size: distinct liked papers, the keyword pseudo-paper counting as one.
    size = np.diff(positive.indptr) + has_keywords
    topic_scale = (TOPIC_PIVOT / np.maximum(size, 1)) ** config.topic_weight_exponent
    return Profiles(
        terms=terms,
        projected=np.asarray(terms @ fitted.basis.T, dtype=np.float32),
        topics=normalize(mix_topics).astype(np.float32),
        own_terms=own * scale,
        positive_projected=(positive @ table.projected + keyword_projected) * scale[:, None],
        positive_topics=(positive @ table.topics + keyword_topics) * scale[:, None],
        liked_rows=liked_rows,
        active=has_likes | has_keywords,
        topic_scale=topic_scale.astype(np.float64),
    )
