"""Fused similarity of profiles to papers: whitened term view + LSA topic view, standardised.

For one user, each view's similarity is standardised against a fixed sample of the corpus (so
0 = a random paper), the two are added (topic view weighted by `topic_weight`) into `fused`,
and divided by the fused similarity of the user's own liked papers: r = 1 means "as close to
this profile as the user's typical liked paper". The shown score is about 1 - exp(-r).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.ranking.profile import Profiles
from recommender.ranking.vectorize import FittedText


@dataclass
class PaperVectors:
    """Papers in both views, plus their projection on the topic basis for whitening."""

    terms: sp.csr_matrix
    topics: np.ndarray
    projected: np.ndarray  # terms @ basis.T (not normalised)

    @classmethod
    def of(cls, fitted: FittedText, terms: sp.csr_matrix) -> PaperVectors:
        """Vectors of papers given their unit term vectors."""
        projected = np.asarray(terms @ fitted.basis.T, dtype=np.float32)
        return cls(terms, fitted.topics(terms), projected)


def _term_view(
    fitted: FittedText, profiles: sp.csr_matrix, papers: sp.csr_matrix, projected: np.ndarray
) -> np.ndarray:
    """Profile . paper in the term space with shared topic directions damped (shrunk whitening)."""
    raw = (papers @ profiles.T).T.toarray()
    damped_profiles = np.asarray(profiles @ fitted.basis.T) * fitted.damping
    return raw - damped_profiles @ projected.T


def _views(fitted: FittedText, profiles: Profiles, papers: PaperVectors) -> np.ndarray:
    """Stacked (term view, topic view) similarities, shape (2, users, papers)."""
    term = _term_view(fitted, profiles.terms, papers.terms, papers.projected)
    topic = profiles.topics @ papers.topics.T
    return np.stack([term, topic])


def relative_closeness(
    fitted: FittedText,
    profiles: Profiles,
    papers: PaperVectors,
    reference: PaperVectors,
    topic_weight: float,
) -> np.ndarray:
    """r for every (user, paper): fused similarity over that of the user's own liked papers."""
    weights = np.array([1.0, topic_weight], dtype=np.float32)[:, None, None]
    ref = _views(fitted, profiles, reference)
    mean = ref.mean(axis=2, keepdims=True)
    std = ref.std(axis=2, keepdims=True) + 1e-6
    fused = (weights * (_views(fitted, profiles, papers) - mean) / std).sum(axis=0)
    # The positive centroid is the mean of the liked papers' vectors, and every view is linear
    # in the paper, so its similarity is exactly the mean similarity of the liked papers.
    positive_projected = np.asarray(profiles.positive_terms @ fitted.basis.T)
    damped_profiles = np.asarray(profiles.terms @ fitted.basis.T) * fitted.damping
    own_term = np.asarray(profiles.terms.multiply(profiles.positive_terms).sum(axis=1)).ravel()
    own_term -= (damped_profiles * positive_projected).sum(axis=1)
    own_topic = (profiles.topics * profiles.positive_topics).sum(axis=1)
    own = np.stack([own_term, own_topic])[:, :, None]
    own_fused = (weights * (own - mean) / std).sum(axis=0)
    # A profile pushed far from its own likes (strong dislikes) still gets a positive scale.
    return fused / np.maximum(own_fused, 1e-3)


def to_score(closeness: np.ndarray) -> np.ndarray:
    """Map r to the shown score in (0, 1): 1 - exp(-softplus(4 r) / 4).

    About 1 - exp(-r) once r > 0.5 (r = 1, as close as the user's own likes: 0.63; r = 2:
    0.86); a random corpus paper (r = 0) gets 0.16, and papers below it keep their order on
    the way down to 0 instead of tying.
    """
    sharpness = 4.0
    soft = np.logaddexp(0.0, sharpness * closeness.astype(np.float64)) / sharpness
    return -np.expm1(-soft)
