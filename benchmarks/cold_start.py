"""Speed of the cold-start rating set: what a new reader's profile page and digest add.

    python benchmarks/cold_start.py [--corpus 20000] [--windows 500,2000,8000] [--repeats 5]

The corpus is synthetic (benchmarks/scoring.py: papers mixing topics over real or made-up
words). The text model is fitted once and pickled, as the run cycle stores it, so vectorising
the window costs what it costs on a profile page. For each window size, medians of:
baseline, vectorising the window (CandidateSet, what any ranking of it costs); the whole
rating set from nothing (RatingPool: newest `pool_limit` papers, k-means, one reader); and one
more reader's set from a pool already built (what each extra new reader costs a cycle).
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from scoring import corpus

from recommender.ranking import Candidate, ProfileInput, Ranker
from recommender.ranking.candidates import CandidateSet
from recommender.ranking.cold_start import RatingPool

NOW = datetime(2026, 3, 2, tzinfo=UTC)
SINCE = NOW - timedelta(days=14)


def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=int, default=20000)
    parser.add_argument("--windows", default="500,2000,8000")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    texts, _ = corpus(args.corpus, rng)
    start = time.perf_counter()
    fitted = pickle.loads(pickle.dumps(Ranker().fit(texts)))  # as stored: no fit-time cache
    print(f"text model fitted on {args.corpus} papers in {time.perf_counter() - start:.1f} s")
    reader = ProfileInput("new", [])
    keyword = ProfileInput("kw", [], keywords={texts[0].split()[0]: 1.0})
    rows = []
    for size in [int(s) for s in args.windows.split(",")]:
        window = [Candidate(f"p{i:06d}", texts[-1 - i]) for i in range(size)]
        seen = {c.key: NOW - timedelta(minutes=i) for i, c in enumerate(window)}
        baseline = median_ms(lambda w=window: CandidateSet(fitted, w), args.repeats)
        whole = median_ms(
            lambda w=window, s=seen: RatingPool(fitted, w, s, SINCE).rating_set(reader),
            args.repeats,
        )
        pool = RatingPool(fitted, window, seen, SINCE)
        pool.rating_set(reader)  # clusters once, as the first reader of a cycle does
        extra = median_ms(lambda p=pool: p.rating_set(keyword), args.repeats)
        rows.append((size, len(pool), baseline, whole, extra))
    print()
    print(
        "| window papers | clustered | baseline: vectorise (ms) | rating set (ms) | each more reader (ms) |"
    )
    print("|---|---|---|---|---|")
    for size, clustered, baseline, whole, extra in rows:
        print(f"| {size} | {clustered} | {baseline:.1f} | {whole:.1f} | {extra:.1f} |")


if __name__ == "__main__":
    main()
