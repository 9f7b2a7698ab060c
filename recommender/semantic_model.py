"""Load the optional WordLlama model (the `semantic` extra) offline, only when it is switched on.

The ranker gets it from here (jobs/text_model.py ranker_for); recommender/ranking/ stays free
of it and of the error tree.

wordllama 0.4 bundles its 256-dim static token vectors and tokenizer in the wheel; it is
imported here lazily so a site without the extra never pays for it, and a site that turns
`semantic_weight` on without it gets a clear error naming the extra.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from recommender.errors import ConfigError
from recommender.ranking.semantic import Embedder

INSTALL = "pip install 'papersift[semantic]' (or 'wordllama>=0.4,<0.5')"
DIM = 256


class SemanticUnavailable(ConfigError):
    """The semantic view is switched on but its model cannot be loaded here."""


class WordLlamaEmbedder:
    """Raw text embeddings: the mean of the text's WordLlama token vectors (not normalised)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.name = f"wordllama-{DIM}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, 256) float32."""
        if not texts:
            return np.zeros((0, DIM), np.float32)
        vectors = self._model.embed(list(texts), norm=False, batch_size=256)
        return np.asarray(vectors, dtype=np.float32)


@cache
def load_embedder() -> Embedder:
    """The bundled 256-dim WordLlama model, loaded once per process; never downloads.

    The tokenizer is found only when cache_dir is the package folder (load looks for
    <package>/tokenizer/, the wheel ships <package>/tokenizers/, and <cache_dir>/tokenizers/
    is the fallback).
    """
    try:
        wordllama = importlib.import_module("wordllama")  # untyped and optional: Any
    except ImportError as exc:
        raise SemanticUnavailable(
            f"ranking.semantic_weight is on but wordllama does not import ({exc})",
            f"Install the semantic extra: {INSTALL}; or set semantic_weight = 0",
        ) from None
    folder = Path(str(wordllama.__file__)).parent
    try:
        model = wordllama.WordLlama.load(cache_dir=folder, dim=DIM, disable_download=True)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise SemanticUnavailable(
            f"ranking.semantic_weight is on but wordllama's bundled model does not load ({exc})",
            f"Reinstall the semantic extra: {INSTALL}; or set semantic_weight = 0",
        ) from None
    return WordLlamaEmbedder(model)


def semantic_available() -> str:
    """Empty when the semantic view can run here, else how to get it (for reports)."""
    try:
        load_embedder()
    except SemanticUnavailable:
        return f"needs the semantic extra: {INSTALL}"
    return ""
