"""A semantic view for the benchmark: WordLlama token embeddings of citeulike-t's bags of words.

WordLlama (pip install 'wordllama>=0.4,<0.5', not a Papersift dependency) embeds a text as
the mean of its tokens' static embeddings (LLaMA-2-vocabulary codebook, 256 dimensions), so a
paper's embedding is linear in its bag of tokens. Each vocabulary word is embedded once and a
paper is a weighted mean of its words' token embeddings:

- "counts": every word repeated by its count, exactly what `embed(text)` gives for the text;
- "tf-idf": each word weighted by its sublinear tf-idf in the paper (times its token count).

Both are mean-centred over the corpus before the unit norm (the shared direction of all
averaged embeddings otherwise dominates the cosine: +3-4 points recall@100 on a quick look).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

VARIANTS = ("counts", "tf-idf")


def load_model() -> tuple[Any, str]:
    """(the 256-dim WordLlama model, "") or (None, why it is skipped); never downloads.

    The wheel bundles the weights and the tokenizer; the tokenizer is found only when
    cache_dir is the package folder (load looks for <package>/tokenizer/, the wheel ships
    <package>/tokenizers/, and <cache_dir>/tokenizers/ is the fallback).
    """
    try:
        wordllama = importlib.import_module("wordllama")  # untyped, optional: Any
    except ImportError as exc:
        return None, f"wordllama does not import ({exc})"
    try:
        folder = Path(str(wordllama.__file__)).parent
        model = wordllama.WordLlama.load(cache_dir=folder, dim=256, disable_download=True)
        return model, ""
    except (FileNotFoundError, OSError, ValueError) as exc:
        return None, f"wordllama does not load offline ({exc})"


def paper_vectors(model: Any, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Unit, mean-centred embeddings of every text (papers x 256), per variant."""
    counter = CountVectorizer(token_pattern=r"\S+", lowercase=False)
    counts = counter.fit_transform(texts).tocsr()
    words = [str(w) for w in counter.get_feature_names_out()]
    word_means = np.asarray(model.embed(words, batch_size=1024), dtype=np.float32)
    tokens = np.array([sum(e.attention_mask) for e in model.tokenize(words)], dtype=np.float32)
    tfidf = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)
    weights = {"counts": counts, "tf-idf": tfidf.fit_transform(texts).tocsr()}
    out = {}
    for name in VARIANTS:
        per_token = (weights[name] @ sp.diags(tokens)).tocsr()
        total = np.maximum(np.asarray(per_token.sum(axis=1)), 1e-9)
        mean = np.asarray(per_token @ word_means) / total
        out[name] = normalize(mean - mean.mean(axis=0)).astype(np.float32)
    return out


def scores(
    vectors: np.ndarray, liked_rows: Sequence[np.ndarray], candidates: np.ndarray
) -> np.ndarray:
    """Users x candidates: cosine of a candidate to the unit mean of the liked papers."""
    profiles = normalize(np.stack([vectors[rows].mean(axis=0) for rows in liked_rows]))
    return np.asarray(profiles @ vectors[candidates].T)


def standardise(values: np.ndarray) -> np.ndarray:
    """Z-score of each row over its finite entries; the others stay -inf."""
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    mean = safe.sum(axis=1, keepdims=True) / count
    spread = np.sqrt((np.where(finite, safe - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count)
    return np.where(finite, (safe - mean) / np.maximum(spread, 1e-12), -np.inf)
