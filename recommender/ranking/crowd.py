"""What other readers' libraries teach about text: a co-like space, predicted from a paper's words.

Papers liked by the same people are related in ways their words only partly show. The crowd
model learns that from everyone's libraries, then applies it to papers nobody has liked yet
(they are new), through their text alone:

1. Co-like factors: truncated SVD of the users x liked-papers matrix (rows scaled to unit
   length, so a big library does not outweigh the others): each liked paper gets a vector.
2. A ridge regression from a paper's term vector to its (unit) factor vector, fitted on the
   liked papers: which words predict who reads a paper.
3. A user is the mean, over their liked papers, of the paper's own factors plus the factors
   predicted from its text; a candidate is its predicted factors; the crowd similarity is
   their dot product.
4. Appeal: the same regression (one more target, solved alongside) from a paper's words to
   how many libraries hold it (log 1 + likers, standardised): which kinds of paper readers
   save at all. It is the same for every reader, so it only nudges (`appeal_weight`).

Only who liked the profile papers is used, never who liked a candidate: candidates enter only
through their text. With fewer than `crowd_min_users` libraries there is no crowd model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from recommender.ranking.config import RankerConfig
from recommender.ranking.inputs import LikedText
from recommender.ranking.ridge import fit_ridge
from recommender.ranking.svd import truncated_svd
from recommender.ranking.vectorize import FittedText

# Power iterations of the co-like SVD, and the ridge's conjugate-gradient tolerance: 4 and
# 1e-2 predict the same factors as 7 and 1e-4 (mean cosine 0.9999) in half the crowd fit.
# (recommender/ranking/ridge.py solves all factors at once: scikit-learn's solution, 2x faster.)
FACTOR_ITERATIONS = 4
RIDGE_TOL = 1e-2


@dataclass
class CrowdModel:
    """Co-like factors of the liked papers and the map from term vectors to factors."""

    row: dict[str, int]  # liked paper key -> row of `factors`
    factors: np.ndarray  # (papers, f) unit co-like factors, float32
    coef: np.ndarray  # (V, f) text -> factors, float32
    intercept: np.ndarray  # (f,)
    # (V,) text -> standardised log(1 + likers), and its intercept; None in a model stored
    # before appeal existed (it then adds nothing).
    appeal_coef: np.ndarray | None = None
    appeal_intercept: float = 0.0

    def predict(self, terms: sp.csr_matrix) -> np.ndarray:
        """Unit predicted factors of papers given their term vectors."""
        predicted = np.asarray(terms @ self.coef, dtype=np.float32) + self.intercept
        return normalize(predicted).astype(np.float32) if len(predicted) else predicted

    def appeal(self, terms: sp.csr_matrix) -> np.ndarray:
        """(papers,) predicted appeal of papers given their term vectors (a model with appeal)."""
        assert self.appeal_coef is not None
        return (
            np.asarray(terms @ self.appeal_coef, dtype=np.float32).ravel() + self.appeal_intercept
        )


def fit_crowd(
    fitted: FittedText, libraries: Sequence[Sequence[LikedText]], config: RankerConfig
) -> CrowdModel | None:
    """The crowd model of these users' liked papers, or None when there are too few users."""
    libraries = [lib for lib in libraries if lib]
    if len(libraries) < config.crowd_min_users or not config.crowd_on:
        return None
    texts: dict[str, str] = {}
    for library in libraries:
        for doc in library:
            texts.setdefault(doc.key, doc.text)
    keys = sorted(texts)
    row = {key: i for i, key in enumerate(keys)}
    users = np.repeat(np.arange(len(libraries)), [len(library) for library in libraries])
    papers = np.fromiter((row[doc.key] for lib in libraries for doc in lib), np.int64, len(users))
    likes = sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, papers)), shape=(len(libraries), len(keys))
    )
    likes.data[:] = 1  # a paper listed twice in one library is one like
    dims = min(config.crowd_factors, min(likes.shape) - 1)
    if dims < 2:
        return None
    components, singular_values = truncated_svd(
        normalize(likes), dims, FACTOR_ITERATIONS, config.random_state
    )
    factors = normalize(components.T * singular_values).astype(np.float32)
    terms = fitted.terms([texts[key] for key in keys])
    # Each target's conjugate gradients run on their own, so appeal leaves the factors' map
    # exactly as it was.
    likers = np.log1p(np.asarray(likes.sum(axis=0), dtype=np.float32).ravel())
    appeal = (likers - likers.mean()) / (likers.std() + 1e-6)
    targets = np.hstack([factors, appeal[:, None]])
    coef, intercept = fit_ridge(terms, targets, config.crowd_ridge, RIDGE_TOL)
    return CrowdModel(
        row=row,
        factors=factors,
        coef=np.ascontiguousarray(coef[:, :dims]),
        intercept=intercept[:dims],
        appeal_coef=np.ascontiguousarray(coef[:, dims]),
        appeal_intercept=float(intercept[dims]),
    )


@dataclass
class CrowdVectors:
    """One rank call's papers in the crowd space: candidates, corpus sample, liked papers."""

    papers: np.ndarray  # candidates, predicted from text
    reference: np.ndarray  # the corpus sample, predicted from text
    liked: np.ndarray  # liked papers (document table rows): own factors + predicted
    liked_predicted: np.ndarray  # the same papers, predicted from text only
    # Predicted appeal of the candidates and of the liked papers, as z-scores on the corpus
    # sample (None: the model has no appeal).
    appeal: np.ndarray | None = None
    liked_appeal: np.ndarray | None = None

    @classmethod
    def of(
        cls,
        model: CrowdModel,
        papers: sp.csr_matrix,
        reference: sp.csr_matrix,
        liked_keys: Sequence[str],
        liked: sp.csr_matrix,
    ) -> CrowdVectors:
        """Crowd vectors from term vectors (liked_keys name the rows of `liked`)."""
        predicted = model.predict(liked)
        known = [(i, model.row[key]) for i, key in enumerate(liked_keys) if key in model.row]
        combined = predicted.copy()
        if known:
            at, rows = map(np.array, zip(*known, strict=True))
            combined[at] += model.factors[rows]
        vectors = cls(model.predict(papers), model.predict(reference), combined, predicted)
        if model.appeal_coef is not None:
            sample = model.appeal(reference)
            mean, std = sample.mean(), sample.std() + 1e-6
            vectors.appeal = (model.appeal(papers) - mean) / std
            vectors.liked_appeal = (model.appeal(liked) - mean) / std
        return vectors

    def users(self, liked_rows: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Per user: the crowd vector (mean over liked papers) and the mean predicted vector
        of the liked papers; zero rows for a user without likes."""
        mean = self._mean_over(liked_rows)
        return mean @ self.liked, mean @ self.liked_predicted

    def own_appeal(self, liked_rows: Sequence[np.ndarray]) -> np.ndarray:
        """Per user: the mean appeal z-score of their liked papers (0 without likes)."""
        assert self.liked_appeal is not None
        return np.asarray(self._mean_over(liked_rows) @ self.liked_appeal)

    def _mean_over(self, liked_rows: Sequence[np.ndarray]) -> sp.csr_matrix:
        """(users, liked papers) the averaging matrix of each user's liked rows."""
        sizes = np.array([len(rows) for rows in liked_rows], dtype=np.int64)
        flat = np.concatenate(liked_rows) if len(liked_rows) else np.zeros(0, np.int64)
        weights = np.repeat(1.0 / np.maximum(sizes, 1), sizes).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        return sp.csr_matrix((weights, flat, indptr), shape=(len(sizes), len(self.liked)))
