"""The text model: BM25 or TF-IDF term vectors plus an LSA topic space, fitted once on a corpus."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from recommender.ranking.config import RankerConfig
from recommender.ranking.interests import fit_centroids
from recommender.ranking.semantic import SemanticModel
from recommender.ranking.svd import truncated_svd

T = TypeVar("T")

# Two or more word characters, hyphens allowed inside: "state-of-the-art", "h-index", "gpt4".
TOKEN_PATTERN = r"(?u)\b\w[\w-]*\w\b"


@dataclass
class FittedText:
    """A fitted text model (picklable): vocabulary, idf, topic basis and a reference sample."""

    config: RankerConfig
    vectorizer: CountVectorizer
    idf: np.ndarray  # (V,) float32
    avg_length: float  # mean token count, for BM25 length normalisation
    basis: np.ndarray  # (d, V) float32, orthonormal rows of the LSA topic space
    damping: np.ndarray  # (d,) float32, how much of each topic direction the term view drops
    reference_terms: sp.csr_matrix  # unit term vectors of a corpus sample
    reference_topics: np.ndarray  # unit topic vectors of the same sample
    centroids: np.ndarray  # unit topic centroids that label a user's interests
    corpus_size: int
    # The semantic view's corpus mean and reference vectors (when semantic_weight > 0).
    semantic: SemanticModel | None = None
    # Names this fit (random, set once): what is derived from it (a stored crowd model) says
    # which fit it was made with. Empty in models pickled before it existed.
    fit_id: str = field(default="", compare=False)
    # The fitted corpus' own vectors, by text: reused by rank calls in the fitting process
    # (rank-offline, a refit in the live job). Never pickled: it would multiply the size.
    _seen: tuple[dict[str, int], sp.csr_matrix] | None = field(
        default=None, repr=False, compare=False
    )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_seen"] = None
        state.pop("_derived", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("semantic", None)  # pickled before the semantic view existed
        self.__dict__.update(state)

    def derived(self, name: str, make: Callable[[], T]) -> T:
        """A value computed from this model alone, made once per loaded model, never pickled:
        a web process ranks with one model for many page views."""
        memo: dict[str, Any] = self.__dict__.setdefault("_derived", {})
        if name not in memo:
            memo[name] = make()
        return memo[name]

    def remember(self, texts: Sequence[str]) -> None:
        """Keep the term vectors of `texts` (and only those) for later `terms` calls, never
        pickled: a web process ranks the same candidate window on every page view."""
        vectors = self.terms(texts)  # those already kept are reused
        self._seen = ({text: i for i, text in enumerate(texts)}, vectors)

    def params(self) -> dict[str, Any]:
        """What produced this model, to store next to it."""
        return {
            "config": self.config.model_dump(),
            "corpus_size": self.corpus_size,
            "vocabulary_size": int(self.idf.shape[0]),
            "topic_dims": int(self.basis.shape[0]),
        }

    def is_stale(self, current_corpus_size: int, growth: float = 0.2) -> bool:
        """True once the corpus grew (or shrank) by more than `growth` of the fitted size."""
        return is_stale(self.corpus_size, current_corpus_size, growth)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw term counts of `texts` over the fitted vocabulary."""
        return self.vectorizer.transform(texts).astype(np.float32).tocsr()

    def terms(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Unit-length weighted term vectors of `texts`."""
        if self._seen is None:
            return weigh(self.counts(texts), self.idf, self.avg_length, self.config)
        row, vectors = self._seen
        found = np.array([row.get(t, -1) for t in texts], dtype=np.int64)
        missing = np.flatnonzero(found < 0)
        if len(missing):
            fresh = weigh(
                self.counts([texts[int(i)] for i in missing]),
                self.idf,
                self.avg_length,
                self.config,
            )
            found[missing] = vectors.shape[0] + np.arange(len(missing))
            vectors = sp.vstack([vectors, fresh], format="csr")
        return vectors[found]

    def topics(self, terms: sp.csr_matrix) -> np.ndarray:
        """Unit-length topic (LSA) vectors of weighted term vectors."""
        projected = np.asarray(terms @ self.basis.T, dtype=np.float32)
        return normalize(projected) if projected.shape[0] else projected

    def background(self) -> np.ndarray:
        """(V,) the mean unit term vector of the reference sample: what a typical paper says."""
        return np.asarray(self.reference_terms.mean(axis=0), dtype=np.float32).ravel()

    def feature_names(self) -> np.ndarray:
        """The vocabulary, indexed like the term vectors' columns (read-only)."""
        return self.derived(
            "feature_names", lambda: _read_only(self.vectorizer.get_feature_names_out())
        )


def _read_only(array: np.ndarray) -> np.ndarray:
    # Shared between calls through `derived`: a caller must copy it before changing it.
    array.flags.writeable = False
    return array


def is_stale(fitted_size: int, current_size: int, growth: float = 0.2) -> bool:
    """Refit rule: the corpus changed size by more than `growth` (default 20%) since the fit."""
    return abs(current_size - fitted_size) > growth * max(fitted_size, 1)


def weigh(
    counts: sp.csr_matrix, idf: np.ndarray, avg_length: float, config: RankerConfig
) -> sp.csr_matrix:
    """Counts -> BM25 or sublinear TF-IDF weights, rows scaled to unit length."""
    weighted = counts.copy()
    if config.weighting == "bm25":
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        norm = config.bm25_k1 * (1 - config.bm25_b + config.bm25_b * lengths[rows] / avg_length)
        weighted.data = counts.data * (config.bm25_k1 + 1) / (counts.data + norm)
    else:
        weighted.data = 1 + np.log(counts.data)
    weighted = weighted @ sp.diags(idf)
    if weighted.shape[0]:
        weighted = normalize(weighted)
    return weighted.astype(np.float32).tocsr()


def reference_sample(n: int, config: RankerConfig) -> np.ndarray:
    """Sorted rows of the corpus sample every view is standardised on."""
    rng = np.random.default_rng(config.random_state)
    return np.sort(rng.choice(n, size=min(n, config.reference_size), replace=False))


def fit_text(texts: Sequence[str], config: RankerConfig) -> FittedText:
    """Fit vocabulary, idf, the LSA basis and the whitening of the term view on `texts`."""
    if not texts:
        raise ValueError("cannot fit the text model on an empty corpus")
    n = len(texts)
    # Small corpora (tests, a first run) cannot honour df cut-offs meant for thousands.
    cutoffs = [(config.min_df if n >= 10 * config.min_df else 1, config.max_df if n >= 20 else 1.0)]
    cutoffs.append((1, 1.0))
    for min_df, max_df in cutoffs:
        vectorizer = CountVectorizer(
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, config.ngram_max),
            stop_words=config.stop_words,
            min_df=min_df,
            max_df=max_df,
            dtype=np.float32,
        )
        try:
            counts = vectorizer.fit_transform(texts).astype(np.float32).tocsr()
            break
        except ValueError:  # no term survived the cut-offs (or there are no words at all)
            continue
    else:
        raise ValueError("cannot fit the text model: the corpus has no usable words")
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    if config.weighting == "bm25":
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
    else:
        idf = np.log((1 + n) / (1 + df)) + 1  # smooth idf
    idf = idf.astype(np.float32)
    avg_length = float(max(counts.sum() / n, 1.0))
    terms = weigh(counts, idf, avg_length, config)
    # At most half the corpus' rank: the term view needs a residual beyond the topic space.
    dims = max(1, min(config.topic_dims, min(terms.shape) // 2))
    # 5 power iterations: 3 ranked citeulike-t as well, but changed the topics of small corpora
    # (a first run's few hundred papers: cold-start sets, `papersift evaluate`).
    components, singular_values = truncated_svd(terms, dims, 5, config.random_state)
    basis = components.astype(np.float32)
    # Shared covariance of the term vectors ~ low rank + isotropic noise; its shrunk inverse
    # damps the directions everyone shares, which is what a per-user classifier learns to do.
    variance = singular_values.astype(np.float64) ** 2 / n
    residual = terms.multiply(terms).sum() / n - variance.sum()
    # Floor: half the per-direction variance of unit vectors spread evenly over the vocabulary,
    # so a tiny corpus that the topic space spans entirely keeps a term view.
    noise = max(residual / max(terms.shape[1] - dims, 1), 0.5 / terms.shape[1])
    damping = (variance / (variance + config.whitening * noise)).astype(np.float32)
    sample = reference_sample(n, config)
    fitted = FittedText(
        config=config,
        vectorizer=vectorizer,
        idf=idf,
        avg_length=avg_length,
        basis=basis,
        damping=damping,
        reference_terms=terms[sample],
        reference_topics=np.zeros((0, dims), np.float32),
        centroids=np.zeros((0, dims), np.float32),
        corpus_size=n,
        fit_id=uuid.uuid4().hex,
    )
    fitted.reference_topics = fitted.topics(fitted.reference_terms)
    fitted._seen = ({text: i for i, text in enumerate(texts)}, terms)
    topics = fitted.topics(terms)
    fitted.centroids = fit_centroids(topics, config.interest_topics, config.random_state)
    return fitted
