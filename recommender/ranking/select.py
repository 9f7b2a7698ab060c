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
    tied = (scores == kth) & (np.cumsum(scores == kth, axis=1) <= size - above.sum(1, keepdims=True))
    rows, cols = np.nonzero(above | tied)
    pool = cols.reshape(scores.shape[0], size)
    order = np.argsort(-np.take_along_axis(scores, pool, axis=1), axis=1, kind="stable")
    return np.take_along_axis(pool, order, axis=1)


def diverse_top_k(
    scores: np.ndarray, topics: np.ndarray, k: int, diversity: float, pool_factor: int
) -> np.ndarray:
    """Column indices (users x k') chosen by MMR, returned best score first; -1 pads.

    MMR value = (1 - diversity) * score - diversity * (max topic cosine to a picked paper);
    removed papers carry score -inf and are never picked.
    """
    users = scores.shape[0]
    pool = top_pool(scores, k * pool_factor if diversity > 0 else k)
    columns, local = np.unique(pool, return_inverse=True)
    if diversity > 0 and len(columns) > MAX_GRAM and users > 1:
        half = users // 2  # keep the pool's similarity matrix small
        return np.vstack(
            [
                diverse_top_k(part, topics, k, diversity, pool_factor)
                for part in (scores[:half], scores[half:])
            ]
        )
    local = local.reshape(pool.shape)
    pool_scores = np.take_along_axis(scores, pool, axis=1)
    k = min(k, pool.shape[1])
    picked = np.full((users, k), -1, dtype=np.int64)
    if k == 0:
        return picked
    taken = ~np.isfinite(pool_scores)
    redundancy = np.full(pool.shape, -1.0, dtype=np.float32)
    rows = np.arange(users)
    gram = topics[columns] @ topics[columns].T if diversity > 0 else None
    for step in range(k):
        value = (1 - diversity) * pool_scores - diversity * np.maximum(redundancy, 0.0)
        value[taken] = -np.inf
        best = np.argmax(value, axis=1)  # first maximum: the better-scored, lower-key paper
        ok = np.isfinite(value[rows, best])
        picked[ok, step] = pool[rows[ok], best[ok]]
        taken[rows, best] = True
        if gram is not None:
            similarity = gram[local, local[rows, best][:, None]]
            redundancy = np.where(ok[:, None], np.maximum(redundancy, similarity), redundancy)
    # Show the picked set best score first (MMR order is not score order); -1 last.
    picked_scores = np.where(picked >= 0, scores[rows[:, None], np.maximum(picked, 0)], -np.inf)
    order = np.lexsort((np.where(picked >= 0, picked, scores.shape[1]), -picked_scores), axis=1)
    return np.take_along_axis(picked, order, axis=1)
