"""The semantic view for the benchmark, through the product's code (recommender/ranking/semantic.py).

WordLlama (the `semantic` extra: pip install 'papersift[semantic]') embeds a text as the mean
of its tokens' static vectors (LLaMA-2-vocabulary codebook, 256 dimensions). The product
centres them on the corpus mean before the unit norm (the shared direction of all averaged
embeddings otherwise dominates the cosine: +3-4 points recall@100 on a quick look).

Two uses here: the view alone (a user's unit mean liked vector, cosine to each candidate)
and Papersift with the view fused in by the ranker itself (RankerConfig.semantic_weight and
semantic_pivot), one row per setting of --semantic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recommender.ranking import RankerConfig
from recommender.ranking.semantic import Embedder, SemanticModel, user_vectors
from recommender.semantic_model import SemanticUnavailable, load_embedder


def load_model() -> tuple[Embedder | None, str]:
    """(the product's WordLlama embedder, "") or (None, why it is skipped); never downloads."""
    try:
        return load_embedder(), ""
    except SemanticUnavailable as exc:
        return None, str(exc)


def parse_settings(text: str) -> list[tuple[float, float]]:
    """ "0.3,1:2" -> [(0.3, 0.0), (1.0, 2.0)]: semantic_weight, optionally :semantic_pivot."""
    out = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        weight, _, pivot = item.partition(":")
        out.append((float(weight), float(pivot or 0.0)))
    return out


def config_for(weight: float, pivot: float) -> RankerConfig:
    """The default config with the semantic view on."""
    return RankerConfig(semantic_weight=weight, semantic_pivot=pivot)


def fused_name(weight: float, pivot: float) -> str:
    """The table row of Papersift with the semantic view on (the product's path)."""
    scaled = f", pivot {pivot:g}: w x {pivot:g} / ({pivot:g} + likes)" if pivot else ""
    return f"papersift + semantic (w={weight:g}{scaled})"


ALONE = "semantic alone (wordllama)"


def alone_scores(
    model: SemanticModel,
    embedder: Embedder,
    texts: Sequence[str],
    liked_rows: Sequence[np.ndarray],
    candidates: np.ndarray,
) -> np.ndarray:
    """Users x candidates: cosine of a candidate to the unit mean of the liked papers."""
    vectors = model.vectors(embedder, texts)
    return np.asarray(user_vectors(vectors, liked_rows) @ vectors[candidates].T)
