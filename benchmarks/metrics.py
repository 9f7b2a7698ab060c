"""Ranking metrics of the citeulike-t protocol, per user: recall@k, nDCG@k (binary), MRR."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RECALL_AT = (10, 20, 50, 100)
NDCG_AT = (10, 20)
NAMES = [*(f"recall@{k}" for k in RECALL_AT), *(f"nDCG@{k}" for k in NDCG_AT), "MRR"]


def user_metrics(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    """Metrics of one ranked list against the user's saved candidates (non-empty).

    MRR uses the first saved candidate within the list (0 when none is in it); the benchmark
    passes every method's best 100, so it is MRR@100 for all of them alike.
    """
    if not relevant:
        raise ValueError("a user is evaluated only with at least one saved candidate")
    hits = np.array([key in relevant for key in ranked], dtype=float)
    out: dict[str, float] = {}
    for k in RECALL_AT:
        out[f"recall@{k}"] = hits[:k].sum() / len(relevant)
    discounts = 1.0 / np.log2(np.arange(2, len(hits) + 2))
    for k in NDCG_AT:
        ideal = (1.0 / np.log2(np.arange(2, min(k, len(relevant)) + 2))).sum()
        out[f"nDCG@{k}"] = float((hits[:k] * discounts[:k]).sum() / ideal)
    first = np.flatnonzero(hits)
    out["MRR"] = 1.0 / (first[0] + 1) if len(first) else 0.0
    return out


def macro(per_fold: Sequence[Sequence[dict[str, float]]]) -> dict[str, float]:
    """Mean over users within each fold, then mean over the folds (folds without users skipped)."""
    folds = [
        {name: float(np.mean([u[name] for u in users])) for name in NAMES}
        for users in per_fold
        if users
    ]
    return {name: float(np.mean([f[name] for f in folds])) for name in NAMES} if folds else {}
