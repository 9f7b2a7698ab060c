"""Pick each user's top k: the best pool by score, then MMR so one topic cannot fill the list."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Users are picked for in batches whose pool topic vectors (users x pool x d float32) take at
# most 4 MB: the MMR steps re-read them `depth` times, from a core's cache rather than memory
# (a third faster than one 128 MB batch at 1,024 users, the same picks).
MAX_POOL_FLOATS = 1 << 20


def top_pool(scores: np.ndarray, size: int) -> np.ndarray:
    """Indices of each row's `size` best columns, best first; ties go to the lower column."""
    size = min(size, scores.shape[1])
    # Columns are in key order, so a stable sort on -score breaks ties by key.
    if size * 8 >= scores.shape[1]:
        return np.argsort(-scores, axis=1, kind="stable")[:, :size]
    kth = -np.partition(-scores, size - 1, axis=1)[:, size - 1 : size]
    chosen = scores >= kth
    tied = np.flatnonzero(chosen.sum(axis=1) > size)  # more papers at the k-th score than room
    if len(tied):  # rare: keep the lowest columns among those at the k-th score
        part, bar = scores[tied], kth[tied]
        above, at_kth = part > bar, part == bar
        room = size - above.sum(axis=1, keepdims=True)
        chosen[tied] = above | (at_kth & (np.cumsum(at_kth, axis=1) <= room))
    pool = np.nonzero(chosen)[1].reshape(scores.shape[0], size)
    order = np.argsort(-np.take_along_axis(scores, pool, axis=1), axis=1, kind="stable")
    return np.take_along_axis(pool, order, axis=1)


def diverse_top_k(
    closeness: np.ndarray,
    to_score: Callable[[np.ndarray], np.ndarray],
    topics: np.ndarray,
    k: int,
    diversity: float,
    depth: int,
    factor: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Picks (users x k column indices, -1 pads) and their shown scores, best first.

    `to_score` maps closeness to score monotonically, so only the pool needs mapping.

    Shown score = score * (1 - diversity * redundancy), redundancy = the largest topic cosine
    (floored at 0) to a paper listed above it. The first `depth` picks are greedy (MMR); the
    rest are ranked against those `depth` only, which keeps k = 100 cheap. Greedy picking only
    lowers the others' shown scores, so the list comes out sorted. -inf scores are never picked.
    """
    users = closeness.shape[0]
    depth = min(depth, k) if diversity > 0 else 0
    size = min(k + depth * (factor - 1), closeness.shape[1])
    if depth and users > 1 and users * size * topics.shape[1] > MAX_POOL_FLOATS:
        half = users // 2  # keep the pool's topic vectors (users x pool x d) small
        parts = [
            diverse_top_k(part, to_score, topics, k, diversity, depth, factor)
            for part in (closeness[:half], closeness[half:])
        ]
        return np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])
    pool = top_pool(closeness, size)
    near = np.take_along_axis(closeness, pool, axis=1)
    value = np.where(np.isfinite(near), to_score(near), -np.inf)
    shown = np.full(pool.shape, -np.inf)
    if depth:
        pool_topics = topics[pool]  # (users, pool, d)
        redundancy = np.zeros(pool.shape)
        base = value.copy()
        rows = np.arange(users)
        for _ in range(depth):
            current = np.where(np.isfinite(shown), -np.inf, base * (1 - diversity * redundancy))
            best = np.argmax(current, axis=1)  # first maximum: better score, then lower key
            live = np.isfinite(current[rows, best])  # rows with nothing left pick nothing
            if not live.any():
                break
            shown[rows[live], best[live]] = current[rows[live], best[live]]
            similarity = np.matmul(pool_topics, pool_topics[rows, best][:, :, None])[:, :, 0]
            similarity = np.maximum(similarity, 0.0)
            redundancy = np.where(live[:, None], np.maximum(redundancy, similarity), redundancy)
        value = np.where(np.isfinite(shown), shown, base * (1 - diversity * redundancy))
    order = np.argsort(-value, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(pool, order, axis=1)
    values = np.take_along_axis(value, order, axis=1)
    return np.where(np.isfinite(values), picked, -1), values
