"""The semantic view: static embeddings of a paper's text, mean-centred, compared by cosine.

An Embedder turns texts into raw embeddings (WordLlama: the mean of the text's token vectors;
embedder.py loads it). Averaged static vectors share one strong common direction, which
swamps the cosine, so every vector is centred on the corpus mean before its unit norm; the
mean is fitted with the text model (SemanticModel, pickled with FittedText) so candidates and
liked papers are centred alike. A user is the unit mean of their liked papers' vectors; each
candidate's cosine to it is standardised on the corpus reference sample (0 = a random paper),
like the other views, so a score does not depend on which candidates arrived with it.
Pure numpy: the model itself is never stored here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from sklearn.preprocessing import normalize


class Embedder(Protocol):
    """Texts -> raw (not centred, not unit) embeddings, one row per text."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class SemanticModel:
    """The corpus mean and the reference sample's unit vectors (picklable, ~0.5 MB)."""

    name: str  # which embedder produced it: vectors of another one are not comparable
    mean: np.ndarray  # (dim,) float32
    reference: np.ndarray  # (reference papers, dim) unit centred vectors
    # The fitted corpus' raw embeddings by text, reused by rank calls in the fitting process
    # (rank-offline, a refit in the live job); never pickled, like FittedText._seen.
    _seen: tuple[dict[str, int], np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_seen"] = None
        return state

    def vectors(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """Unit, mean-centred vectors of `texts` (texts x dim)."""
        if not texts:
            return np.zeros((0, self.mean.shape[0]), np.float32)
        if self._seen is None:
            return unit_centred(embedder.embed(texts), self.mean)
        row, raw = self._seen
        found = np.array([row.get(t, -1) for t in texts], dtype=np.int64)
        out = np.empty((len(texts), raw.shape[1]), np.float32)
        hit = found >= 0
        out[hit] = raw[found[hit]]
        missing = np.flatnonzero(~hit)
        if len(missing):
            out[missing] = embedder.embed([texts[int(i)] for i in missing])
        return unit_centred(out, self.mean)


def unit_centred(raw: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Rows minus the corpus mean, scaled to unit length (a zero row stays zero)."""
    centred = np.asarray(raw, dtype=np.float32) - mean.astype(np.float32)
    return normalize(centred).astype(np.float32) if centred.shape[0] else centred


def fit_semantic(embedder: Embedder, texts: Sequence[str], sample: np.ndarray) -> SemanticModel:
    """Embed the corpus once: its mean, and the unit vectors of the reference sample rows."""
    raw = np.asarray(embedder.embed(texts), dtype=np.float32)
    mean = raw.mean(axis=0).astype(np.float32)
    model = SemanticModel(embedder.name, mean, unit_centred(raw[sample], mean))
    model._seen = ({text: i for i, text in enumerate(texts)}, raw)
    return model


def user_vectors(papers: np.ndarray, liked_rows: Sequence[np.ndarray]) -> np.ndarray:
    """Each user's unit mean of their distinct liked papers' vectors (zero without likes)."""
    out = np.zeros((len(liked_rows), papers.shape[1]), np.float32)
    for i, rows in enumerate(liked_rows):
        if len(rows):
            out[i] = papers[np.unique(rows)].mean(axis=0)
    return normalize(out).astype(np.float32)


def own_closeness(papers: np.ndarray, liked_rows: Sequence[np.ndarray]) -> np.ndarray:
    """Each user's mean cosine to their own liked papers (= the norm of their mean vector)."""
    out = np.zeros(len(liked_rows), np.float64)
    for i, rows in enumerate(liked_rows):
        if len(rows):
            out[i] = float(np.linalg.norm(papers[np.unique(rows)].mean(axis=0)))
    return out


def standardised(
    users: np.ndarray, papers: np.ndarray, reference: np.ndarray, own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(users x papers cosines, each user's own cosine), both as z-scores on the reference.

    A user without likes (zero vector) gets 0 everywhere: the view adds nothing.
    """
    ref = users @ reference.T
    mean = ref.mean(axis=1)
    std = ref.std(axis=1) + 1e-6
    z = (users @ papers.T - mean[:, None].astype(np.float32)) / std[:, None].astype(np.float32)
    active = np.linalg.norm(users, axis=1) > 0  # a zero vector's z is 0 already (0 / 1e-6)
    own_z = np.where(active, (own - mean) / std, 0.0)
    return z, own_z


def library_weights(weight: float, pivot: float, sizes: np.ndarray) -> np.ndarray:
    """The view's weight per user: weight x pivot / (pivot + liked papers); pivot 0 = flat."""
    if pivot <= 0:
        return np.full(len(sizes), weight, np.float64)
    return weight * pivot / (pivot + np.asarray(sizes, np.float64))


def zscore_rows(values: np.ndarray) -> np.ndarray:
    """Z-score of each row over its finite entries; the others stay -inf (offline studies)."""
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    mean = safe.sum(axis=1, keepdims=True) / count
    spread = np.sqrt((np.where(finite, safe - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count)
    return np.where(finite, (safe - mean) / np.maximum(spread, 1e-12), -np.inf)


def cosine_to_likes(
    model: SemanticModel, embedder: Embedder, liked: Sequence[str], candidates: Sequence[str]
) -> np.ndarray:
    """One user's cosine of each candidate to the unit mean of their liked papers: the view
    alone (`papersift evaluate`)."""
    user = user_vectors(model.vectors(embedder, liked), [np.arange(len(liked))])
    return np.asarray(model.vectors(embedder, candidates) @ user[0])
