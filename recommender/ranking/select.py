"""Pick each user's top k: the best pool by score, then MMR so one topic cannot fill the list."""

from __future__ import annotations

import numpy as np

MAX_GRAM = 6000  # papers in one MMR similarity matrix (6000^2 float32 = 144 MB)


def top_pool(scores: np.ndarray, size: int) -> np.ndarray:
    """Indices of each row's `size` best columns, best first; ties go to the lower column."""
    size = min(size, scores.shape[1])
    # Columns are in key order, so a stable sort on -score breaks ties by key.
    if size * 8 >= scores.shape[1]:
        return np.argsort(-scores, axis=1, kind="stable")[:, :size]
    kth = -np.partition(-scores, size - 1, axis=1)[:, size - 1 : size]
    above = scores > kth
    at_kth = scores == kth
    room = size - above.sum(axis=1, keepdims=True)
    chosen = above | (at_kth & (np.cumsum(at_kth, axis=1) <= room))
    pool = np.nonzero(chosen)[1].reshape(scores.shape[0], size)
    order = np.argsort(-np.take_along_axis(scores, pool, axis=1), axis=1, kind="stable")
    return np.take_along_axis(pool, order, axis=1)


def diverse_top_k(
    scores: np.ndarray, topics: np.ndarray, k: int, diversity: float, depth: int, factor: int
) -> np.ndarray:
    """Column indices (users x k) of the picks, best score first; -1 pads.

    The first `depth` picks are made by MMR among the best, with value
    (1 - diversity) * score - diversity * (max topic cosine to a paper already picked);
    the rest follow the score. Removed papers carry score -inf and are never picked.
    """
    users = scores.shape[0]
    depth = min(depth, k) if diversity > 0 else 0
    pool = top_pool(scores, k + depth * (factor - 1))
    columns, local = np.unique(pool, return_inverse=True)
    if depth and len(columns) > MAX_GRAM and users > 1:
        half = users // 2  # keep the pool's similarity matrix small
        parts = (scores[:half], scores[half:])
        return np.vstack([diverse_top_k(p, topics, k, diversity, depth, factor) for p in parts])
    local = local.reshape(pool.shape)
    pool_scores = np.take_along_axis(scores, pool, axis=1)
    taken = np.zeros(pool.shape, dtype=bool)
    if depth:
        gram = topics[columns] @ topics[columns].T
        redundancy = np.zeros(pool.shape, dtype=np.float32)
        rows = np.arange(users)
        for step in range(depth):
            value = (1 - diversity) * pool_scores - diversity * redundancy
            value[taken | ~np.isfinite(pool_scores)] = -np.inf
            best = np.argmax(value, axis=1)  # first maximum: better score, then lower key
            ok = np.isfinite(value[rows, best])
            taken[rows[ok], best[ok]] = True
            similarity = gram[local, local[rows, best][:, None]]
            redundancy = np.maximum(redundancy, np.where(ok[:, None], similarity, 0.0))
    # Fill up with the best remaining papers (the pool is in score order).
    rest = np.argsort(taken, axis=1, kind="stable")  # untaken first, in score order
    need = k - taken.sum(axis=1, keepdims=True)
    fill = np.zeros(pool.shape, dtype=bool)
    np.put_along_axis(fill, rest, np.arange(pool.shape[1]) < need, axis=1)
    chosen = (taken | fill) & np.isfinite(pool_scores)
    # Show the picked set best score first (MMR order is not score order); -1 pads.
    ranked = np.where(chosen, pool_scores, -np.inf)
    order = np.argsort(-ranked, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(pool, order, axis=1)
    return np.where(np.take_along_axis(chosen, order, axis=1), picked, -1)
