"""The terms that weigh most in a profile, and its papers grouped into interests, for the chart.

Pure: texts in, weighted terms out. The ranker keeps its own model; this only explains a
profile to its reader, so it fits a small TF-IDF on the profile's papers themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

# Words of 3+ letters (digits allowed after the first), so "x", "2024" and "a1" drop out.
_WORD = re.compile(r"(?u)\b[^\W\d_][\w-]{2,}\b")
# Words every abstract uses: they would top every chart and tell the reader nothing.
BOILERPLATE = frozenset(
    """
    achieve allow also approach art based demonstrate different effective enable
    existing experiment finding first however improve improved improving introduce key
    large lead leading method model new novel number paper performance present problem
    propose proposed provide range recent recently result second show shown significant
    significantly state study task use used using various way well wide widely work
    """.split()  # noqa: SIM905 - a word list reads best as words
)
STOP_WORDS = ENGLISH_STOP_WORDS | BOILERPLATE
# Words ending in "s" that are not plurals (endings -ss, -us, -is, -ics are kept as well).
NOT_PLURAL = frozenset(
    "alias atlas bias canvas chaos cosmos ethos gas lens news pathos series species".split()  # noqa: SIM905
)
# Papers closer than this (cosine distance, average linkage) share an interest.
INTEREST_DISTANCE = 0.92


@dataclass(frozen=True)
class Interest:
    """A group of a profile's papers (indices into the texts) and its heaviest terms."""

    members: list[int]
    terms: list[tuple[str, float]]


def singular(word: str, known: set[str] | frozenset[str] = frozenset()) -> str:
    """`models` -> `model`; `approaches` -> `approach` when `approach` is `known`.

    Leaves `bias`, `loss`, `focus`, `studies` alone: a wrong fold would show a non-word.
    """
    if len(word) < 4 or not word.endswith("s") or word in NOT_PLURAL:
        return word
    if word.endswith(("ss", "us", "is", "ies", "ics")):
        return word
    if word.endswith("es") and word[:-2] in known:
        return word[:-2]
    return word[:-1]


def words(text: str, known: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The lower-case, singular, non-stop words of a text."""
    found = (singular(word, known) for word in _WORD.findall(text.lower()))
    return [word for word in found if word not in STOP_WORDS]


def _top(rows: np.ndarray, terms: np.ndarray, k: int) -> list[tuple[str, float]]:
    weights = rows.mean(axis=0)
    # Ties broken by the term itself, so the chart is the same on every run.
    order = sorted(range(len(terms)), key=lambda i: (-weights[i], terms[i]))[:k]
    top = float(weights[order[0]]) if order else 0.0
    if top <= 0:
        return []
    return [(str(terms[i]), round(float(weights[i]) / top, 4)) for i in order if weights[i] > 0]


def _fit(texts: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    known = {word for text in texts for word in _WORD.findall(text.lower())}
    vectorizer = TfidfVectorizer(analyzer=lambda text: words(text, known), sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no words left after stop words: nothing to show
        return None
    return matrix.toarray(), vectorizer.get_feature_names_out()


def profile_terms(texts: list[str], k: int) -> list[tuple[str, float]]:
    """The `k` terms with the highest mean TF-IDF weight over `texts`, heaviest first, top 1.0."""
    documents = [text for text in texts if text.strip()]
    fitted = _fit(documents) if documents and k > 0 else None
    return _top(*fitted, k) if fitted else []


def interests(texts: list[str], k: int, max_groups: int = 5) -> list[Interest]:
    """`texts` grouped by topic, biggest group first, each with its `k` heaviest terms."""
    fitted = _fit(texts) if any(t.strip() for t in texts) and k > 0 else None
    if fitted is None:
        return []
    rows, terms = fitted
    usable = [i for i in range(len(texts)) if rows[i].any()]
    labels = [0] * len(usable)
    if len(usable) > 1:
        clustering = AgglomerativeClustering(
            n_clusters=None,
            metric="cosine",
            linkage="average",
            distance_threshold=INTEREST_DISTANCE,
        ).fit(rows[usable])
        if clustering.n_clusters_ > max_groups:
            clustering = AgglomerativeClustering(
                n_clusters=max_groups, metric="cosine", linkage="average"
            ).fit(rows[usable])
        labels = [int(label) for label in clustering.labels_]
    groups: dict[int, list[int]] = {}
    for index, label in zip(usable, labels, strict=True):
        groups.setdefault(label, []).append(index)
    ordered = sorted(groups.values(), key=lambda members: (-len(members), members[0]))
    return [Interest(members, _top(rows[members], terms, k)) for members in ordered]
