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
    terms: sp.csr_matrix
    topics: np.ndarray


@dataclass
class Profiles:
    """A chunk of users' profiles in both views, and their positive centroids."""

    terms: sp.csr_matrix  # unit profile term vectors (users x V)
    topics: np.ndarray  # unit profile topic vectors (users x d)
    positive_terms: sp.csr_matrix  # mean of liked papers and keywords (not unit)
    positive_topics: np.ndarray
    active: np.ndarray  # bool: the user has likes or positive keywords


def document_table(fitted: FittedText, profiles: Sequence[ProfileInput]) -> DocumentTable:
    """Vectorise each distinct liked/disliked paper once, however many users share it."""
    texts: dict[str, str] = {}
    for profile in profiles:
        for doc in (*profile.liked, *profile.disliked):
            texts.setdefault(doc.key, doc.text)
    keys = sorted(texts)
    terms = fitted.terms([texts[key] for key in keys])
    return DocumentTable({key: i for i, key in enumerate(keys)}, terms, fitted.topics(terms))


def keyword_terms(fitted: FittedText, profiles: Sequence[ProfileInput]) -> sp.csr_matrix:
    """One pseudo-paper per user: the weighted sum of its keywords' unit term vectors."""
    phrases = sorted({word for p in profiles for word, weight in p.keywords.items() if weight})
    if not phrases:
        return sp.csr_matrix((len(profiles), fitted.idf.shape[0]), dtype=np.float32)
    column = {phrase: i for i, phrase in enumerate(phrases)}
    vectors = fitted.terms(phrases)
    rows, cols, vals = [], [], []
    for i, profile in enumerate(profiles):
        for word, weight in profile.keywords.items():
            if weight:
                rows.append(i)
                cols.append(column[word])
                vals.append(weight)
    weights = sp.csr_matrix((vals, (rows, cols)), shape=(len(profiles), len(phrases)))
    return normalize(weights.astype(np.float32) @ vectors).astype(np.float32).tocsr()


def build_profiles(
    fitted: FittedText,
    table: DocumentTable,
    profiles: Sequence[ProfileInput],
    config: RankerConfig,
) -> Profiles:
    """Rocchio profiles: mean liked - dislike_weight * mean disliked + keyword_weight * keywords."""
    n_docs = table.terms.shape[0]
    rows, cols, vals = [], [], []
    pos_rows, pos_cols, pos_vals = [], [], []
    for i, profile in enumerate(profiles):
        liked = sorted({table.row[doc.key] for doc in profile.liked})
        disliked = sorted({table.row[doc.key] for doc in profile.disliked} - set(liked))
        signed = [1.0 / max(len(liked), 1)] * len(liked)
        signed += [-config.dislike_weight / max(len(disliked), 1)] * len(disliked)
        rows += [i] * len(signed)
        cols += liked + disliked
        vals += signed
        pos_rows += [i] * len(liked)
        pos_cols += liked
        pos_vals += signed[: len(liked)]
    shape = (len(profiles), n_docs)
    mix = sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float32)
    positive = sp.csr_matrix((pos_vals, (pos_rows, pos_cols)), shape=shape, dtype=np.float32)
    keywords = keyword_terms(fitted, profiles) * config.keyword_weight
    keyword_topics = fitted.topics(keywords) * config.keyword_weight
    has_keywords = np.array([any(w > 0 for w in p.keywords.values()) for p in profiles])
    has_likes = np.asarray(positive.sum(axis=1)).ravel() > 0
    # The positive centroid stands for "the papers this user picked"; keywords count as one.
    scale = 1.0 / (1.0 + config.keyword_weight * has_keywords * has_likes)
    positive_terms = sp.diags(scale) @ (positive @ table.terms + keywords)
    topic_pos = np.asarray(positive @ table.topics) + keyword_topics
    return Profiles(
        terms=normalize(mix @ table.terms + keywords).astype(np.float32).tocsr(),
        topics=normalize(np.asarray(mix @ table.topics) + keyword_topics),
        positive_terms=positive_terms.astype(np.float32).tocsr(),
        positive_topics=(topic_pos * scale[:, None]).astype(np.float32),
        active=has_likes | has_keywords,
    )
