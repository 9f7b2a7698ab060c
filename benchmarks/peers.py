"""The peers Papersift is measured against, written from their published descriptions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

# arxiv-sanity-lite's token pattern: a letter or underscore, then one or more word characters.
SANITY_TOKENS = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"


def sanity_tfidf(texts: Sequence[str]) -> sp.csr_matrix:
    """arxiv-sanity-lite's TF-IDF, unigrams (the data has no word order)."""
    vectorizer = TfidfVectorizer(
        token_pattern=SANITY_TOKENS,
        ngram_range=(1, 1),
        sublinear_tf=True,
        smooth_idf=True,
        norm="l2",
        max_features=20000,
        min_df=5,
        max_df=0.1,
        dtype=np.float32,
    )
    return vectorizer.fit_transform(texts).tocsr()


def plain_tfidf(texts: Sequence[str]) -> sp.csr_matrix:
    """A standard TF-IDF (unigrams, sublinear tf, smooth idf, l2) for the centroid peers."""
    vectorizer = TfidfVectorizer(
        token_pattern=SANITY_TOKENS, sublinear_tf=True, smooth_idf=True, min_df=2, dtype=np.float32
    )
    return vectorizer.fit_transform(texts).tocsr()


def svm_scores(
    train: sp.csr_matrix, positives: np.ndarray, candidates: sp.csr_matrix
) -> np.ndarray:
    """arxiv-sanity-lite: a LinearSVC per user, liked train papers vs every other train paper."""
    labels = np.zeros(train.shape[0], dtype=int)
    labels[positives] = 1
    classifier = LinearSVC(C=0.01, class_weight="balanced", max_iter=10000, tol=1e-6)
    classifier.fit(train, labels)
    return classifier.decision_function(candidates)


def likes_matrix(liked: Sequence[np.ndarray], n_papers: int, weights: str) -> sp.csr_matrix:
    """Users x papers weights: "mean" (Rocchio) or "recency" (zotero-arxiv-daily)."""
    rows, cols, vals = [], [], []
    for user, papers in enumerate(liked):
        if weights == "recency":
            # The last entry is taken as the most recent like (rank 0): citeulike keeps no dates.
            rank = np.arange(len(papers))[::-1]
            w = 1.0 / (1.0 + np.log10(rank + 1.0))
        else:
            w = np.ones(len(papers))
        rows += [user] * len(papers)
        cols += list(papers)
        vals += list(w / w.sum())
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(liked), n_papers), dtype=np.float32)


def recency_scores(
    likes: sp.csr_matrix, vectors: sp.csr_matrix, candidates: np.ndarray
) -> np.ndarray:
    """zotero-arxiv-daily: recency-weighted mean cosine of a candidate to the liked papers."""
    return ((likes @ vectors) @ vectors[candidates].T).toarray()


def centroid_scores(
    likes: sp.csr_matrix, vectors: sp.csr_matrix, candidates: np.ndarray
) -> np.ndarray:
    """Rocchio: cosine of a candidate to the unit mean of the liked papers' vectors."""
    return (normalize(likes @ vectors) @ vectors[candidates].T).toarray()


def random_scores(users: int, candidates: int, rng: np.random.Generator) -> np.ndarray:
    """The floor: a random ranking per user."""
    return rng.random((users, candidates))
