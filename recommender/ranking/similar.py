"""Papers nearest to one paper in the fitted text model: "similar to this".

The similarity is the ranker's two views for a single paper: cosine of the weighted term
vectors and cosine of the LSA topic vectors, added with the ranker's topic weight.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender.ranking.interests import mean_terms
from recommender.ranking.vectorize import FittedText


def similarities(fitted: FittedText, target: str, texts: Sequence[str]) -> np.ndarray:
    """(len(texts),) similarity of each text to `target`: 1 for the same words, 0 for none."""
    if not texts:
        return np.zeros(0, dtype=np.float32)
    terms = fitted.terms([target, *texts])
    topics = fitted.topics(terms)
    term_view = np.asarray((terms[1:] @ terms[0].T).toarray()).ravel()
    topic_view = topics[1:] @ topics[0]
    weight = fitted.config.topic_weight
    return np.asarray((term_view + weight * topic_view) / (1.0 + weight), dtype=np.float32)


def nearest(
    fitted: FittedText, target: str, texts: Sequence[str], k: int
) -> list[tuple[int, float]]:
    """The k texts closest to `target` as (index, similarity), closest first; ties by index."""
    scores = similarities(fitted, target, texts)
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))[: max(k, 0)]
    return [(i, float(scores[i])) for i in order]


def key_terms(fitted: FittedText, text: str, count: int) -> list[str]:
    """The paper's heaviest terms in the model: what its nearest papers most likely share."""
    return [term for term, _ in mean_terms(fitted, [text], count)]
