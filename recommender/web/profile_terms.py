"""The terms that weigh most in a set of papers, for the profile page's chart.

Pure: texts in, (term, weight) pairs out. The ranker keeps its own model; this only explains
a profile to its reader, so it fits a small TF-IDF on the liked papers themselves.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def profile_terms(texts: list[str], k: int) -> list[tuple[str, float]]:
    """The `k` terms with the highest mean TF-IDF weight over `texts`, heaviest first, max 1.0."""
    documents = [text for text in texts if text.strip()]
    if not documents or k <= 0:
        return []
    vectorizer = TfidfVectorizer(
        stop_words="english",
        sublinear_tf=True,
        # Words of 3+ letters (digits allowed after the first), so "x", "2024" and "a1" drop out.
        token_pattern=r"(?u)\b[^\W\d_][\w-]{2,}\b",
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # every word was a stop word or too short: nothing to show
        return []
    weights = np.asarray(matrix.mean(axis=0)).ravel()
    terms = vectorizer.get_feature_names_out()
    # Ties broken by the term itself, so the chart is the same on every run.
    order = sorted(range(len(terms)), key=lambda i: (-weights[i], terms[i]))[:k]
    top = float(weights[order[0]]) if order else 0.0
    if top <= 0:
        return []
    return [(str(terms[i]), round(float(weights[i]) / top, 4)) for i in order]
