"""Fused similarity of profiles to papers: whitened term view + LSA topic view, standardised.

For one user, each view's similarity is standardised against a fixed sample of the corpus (so
0 = a random paper), the two are added (topic view weighted by `topic_weight`) into `fused`,
and divided by the fused similarity of the user's own liked papers: r = 1 means "as close to
this profile as the user's typical liked paper". The stored score is about 1 - exp(-r), which
keeps the ranking's order; readers and the `threshold` setting see r itself (digest/view.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from recommender.ranking.profile import Profiles
from recommender.ranking.vectorize import FittedText

SHARPNESS = 4.0  # of the soft floor in to_score


@dataclass
class PaperVectors:
    """Papers in both views, plus their projection on the topic basis for whitening."""

    terms: sp.csr_matrix
    topics: np.ndarray
    projected: np.ndarray  # terms @ basis.T (not normalised)
    columns: sp.csr_matrix  # terms transposed, ready for profile @ columns

    @classmethod
    def of(cls, fitted: FittedText, terms: sp.csr_matrix) -> PaperVectors:
        """Vectors of papers given their unit term vectors."""
        projected = np.asarray(terms @ fitted.basis.T, dtype=np.float32)
        # fitted.topics(terms) normalises this same projection: computed once here.
        topics = normalize(projected) if projected.shape[0] else projected
        return cls(terms, topics, projected, terms.T.tocsr())


def _views(
    fitted: FittedText, profiles: Profiles, papers: PaperVectors
) -> tuple[np.ndarray, np.ndarray]:
    """(term view, topic view) similarities, each (users, papers).

    Term view: profile . paper with the shared topic directions damped (shrunk whitening).
    """
    term = (profiles.terms @ papers.columns).toarray()
    term -= (profiles.projected * fitted.damping) @ papers.projected.T
    return term, profiles.topics @ papers.topics.T


def relative_closeness(
    fitted: FittedText,
    profiles: Profiles,
    papers: PaperVectors,
    reference: PaperVectors,
    topic_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """r for every (user, paper): fused similarity over that of the user's own liked papers,
    and each user's spread of r over the corpus sample.

    The topic view's weight is topic_weight x the user's `topic_scale` (library size).
    """
    weights = topic_weight * profiles.topic_scale  # one per user (library size)
    ref_term, ref_topic = _views(fitted, profiles, reference)
    term_mean, term_std = ref_term.mean(axis=1), ref_term.std(axis=1) + 1e-6
    topic_mean, topic_std = ref_topic.mean(axis=1), ref_topic.std(axis=1) + 1e-6
    # The positive centroid is the mean of the liked papers' vectors, and every view is linear
    # in the paper, so its similarity is exactly the mean similarity of the liked papers.
    damped = profiles.projected * fitted.damping
    own_term = profiles.own_terms - (damped * profiles.positive_projected).sum(axis=1)
    own_topic = (profiles.topics * profiles.positive_topics).sum(axis=1)
    own = (own_term - term_mean) / term_std + weights * (own_topic - topic_mean) / topic_std
    # A profile pushed far from its own likes (strong dislikes) still gets a positive scale.
    own = np.maximum(own, 1e-3)
    # r is affine in the two views per user: r = a * term + b * topic + c, computed as one
    # sparse product plus one dense product over [topics | projections].
    a = (1.0 / (term_std * own)).astype(np.float32)
    b = (weights / (topic_std * own)).astype(np.float32)
    c = -(term_mean / term_std + weights * topic_mean / topic_std) / own
    left = np.hstack([profiles.topics * b[:, None], -damped * a[:, None]])
    right = np.hstack([papers.topics, papers.projected])
    closeness = left @ right.T
    terms = profiles.terms
    scaled = sp.csr_matrix(
        (terms.data * np.repeat(a, np.diff(terms.indptr)), terms.indices, terms.indptr),
        shape=terms.shape,
    )
    closeness += (scaled @ papers.columns).toarray()
    closeness += c[:, None].astype(np.float32)
    # How much r varies over the corpus sample (r = a term + b topic + c, c drops out): the
    # unit in which the crowd view is added.
    spread = (a[:, None] * ref_term + b[:, None] * ref_topic).std(axis=1)
    return closeness, spread


def add_crowd(
    closeness: np.ndarray,
    spread: np.ndarray,
    users: np.ndarray,
    own: np.ndarray,
    papers: np.ndarray,
    reference: np.ndarray,
    weight: float,
) -> np.ndarray:
    """Fuse the crowd view into r, in place: r' = (r + c) / (1 + c_own); returns c / (1 + c_own).

    c = weight x spread x the crowd similarity standardised on the corpus sample; c_own is the
    same for the user's typical liked paper (seen through its text, as candidates are), so
    r' = 1 still means "as close as your typical like". `users` are crowd user vectors (zero
    for a user without likes: c = 0), `own` their mean predicted liked-paper vectors.
    """
    view = crowd_view(spread, users, own, papers, reference, weight)
    return fuse_views(closeness, [view])[0]


def crowd_view(
    spread: np.ndarray,
    users: np.ndarray,
    own: np.ndarray,
    papers: np.ndarray,
    reference: np.ndarray,
    weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(c, c_own) of add_crowd: the crowd view in units of r, for each paper and own likes."""
    sims = users @ reference.T
    mean, std = sims.mean(axis=1), sims.std(axis=1) + 1e-6
    unit = weight * spread / std
    crowd = unit[:, None].astype(np.float32) * (users @ papers.T - mean[:, None])
    own_crowd = np.maximum(unit * ((users * own).sum(axis=1) - mean), 0.0)
    return crowd, own_crowd


def z_view(
    spread: np.ndarray, z: np.ndarray, own_z: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(s, s_own): a view given as z-scores on the corpus sample, in units of r.

    The semantic view (z per user and paper) and appeal (z per paper, the same for every
    user). s = w x spread x z, one weight per user. Per user, r + s ranks the candidates as
    the offline study's z(score) + w x z(view) did (spread is r's own unit, measured on the
    corpus sample rather than on the day's candidates), and fused like the crowd view it
    keeps r = 1 as "your typical like", so the threshold keeps its meaning.
    """
    unit = weights * spread
    part = unit[:, None].astype(np.float32) * z.astype(np.float32)
    return part, np.maximum(unit * own_z, 0.0)


def fuse_views(
    closeness: np.ndarray, views: list[tuple[np.ndarray, np.ndarray]]
) -> list[np.ndarray]:
    """r' = (r + sum of parts) / (1 + sum of owns), in place; each part as it ends up in r'.

    Every extra view is added in units of r and the user's typical like goes through the
    same sum, so r' = 1 keeps meaning "as close as your typical like".
    """
    own = views[0][1]
    for _, more in views[1:]:
        own = own + more
    scale = (1.0 / (1.0 + own))[:, None].astype(np.float32)
    for part, _ in views:
        closeness += part
    closeness *= scale
    parts = []
    for part, _ in views:
        part *= scale
        parts.append(part)
    return parts


def to_score(closeness: np.ndarray) -> np.ndarray:
    """Map r to the shown score in (0, 1): 1 - exp(-softplus(4 r) / 4).

    About 1 - exp(-r) once r > 0.5 (r = 1, as close as the user's own likes: 0.63; r = 2:
    0.86); a random corpus paper (r = 0) gets 0.16, and papers below it keep their order on
    the way down to 0 instead of tying.
    """
    soft = np.logaddexp(0.0, SHARPNESS * closeness.astype(np.float64)) / SHARPNESS
    return -np.expm1(-soft)


def closeness_for(score: float) -> float:
    """The r whose score is `score` (inverse of to_score; -inf for 0)."""
    if score <= 0.0:
        return -np.inf
    soft = -np.log1p(-min(score, 1.0 - 1e-15))
    return float(np.log(np.expm1(SHARPNESS * soft)) / SHARPNESS)


def score_for(closeness: float) -> float:
    """The shown score of one r (to_score for a single value)."""
    return float(to_score(np.array([closeness]))[0])
