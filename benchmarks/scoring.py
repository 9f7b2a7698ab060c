"""Speed and memory of Ranker.rank: 2,000 new papers for 10,000 and 100,000 users.

    python benchmarks/scoring.py [--users 10000,100000] [--papers 2000] [--corpus 50000]

Each size runs in its own process, so its peak memory (ru_maxrss) is its own. The corpus is
synthetic: papers mix a few of 300 topics, each a skewed distribution over words taken from
the citeulike-t vocabulary when the data is present, else made-up words. Users like 5-50
papers drawn from 1-3 topics. Target: 100,000 users in under 30 s and under 4 GB. The text
model and the crowd model (learnt from all the users' likes) are fitted first, timed apart.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "citeulike-t"
TOPICS = 300


def vocabulary(rng: np.random.Generator) -> list[str]:
    """Words of the citeulike-t vocabulary if present, else 20,000 synthetic words."""
    items = DATA / "items.jsonl.gz"
    if items.exists():
        with gzip.open(items, "rt", encoding="utf-8") as handle:
            words = {w for line in handle for w in json.loads(line)["text"].split()}
        return sorted(words)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return sorted({"".join(rng.choice(letters, rng.integers(4, 10))) for _ in range(20000)})


def corpus(size: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Texts of `size` papers and the main topic of each."""
    words = np.array(vocabulary(rng))
    # Each topic favours 60 words; papers draw 80 tokens from 1-2 topics plus background.
    favoured = rng.integers(0, len(words), size=(TOPICS, 60))
    main = rng.integers(0, TOPICS, size)
    texts = []
    for topic in main:
        second = rng.integers(0, TOPICS)
        tokens = np.concatenate(
            [
                words[rng.choice(favoured[topic], 45)],
                words[rng.choice(favoured[second], 15)],
                words[rng.integers(0, len(words), 20)],
            ]
        )
        texts.append(" ".join(tokens))
    return texts, main


def worker(users: int, papers: int, corpus_size: int) -> dict[str, float]:
    """Fit on the corpus + new papers, rank for `users` synthetic users; timings and memory."""
    from recommender.ranking import Candidate, LikedText, ProfileInput, Ranker

    rng = np.random.default_rng(0)
    texts, main = corpus(corpus_size + papers, rng)
    old, new = texts[:corpus_size], texts[corpus_size:]
    docs = [LikedText(f"p{i}", t) for i, t in enumerate(old)]
    by_topic = [np.flatnonzero(main[:corpus_size] == t) for t in range(TOPICS)]
    profiles = []
    for u in range(users):
        topics = rng.integers(0, TOPICS, rng.integers(1, 4))
        pool = np.concatenate([by_topic[t] for t in topics])
        count = min(int(rng.integers(5, 51)), len(pool))
        liked = [docs[i] for i in rng.choice(pool, count, replace=False)]
        profiles.append(ProfileInput(f"u{u}", liked))
    candidates = [Candidate(f"n{i}", t) for i, t in enumerate(new)]
    ranker = Ranker()
    start = time.perf_counter()
    fitted = ranker.fit(texts)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    crowd = ranker.fit_crowd(fitted, [p.liked for p in profiles])
    crowd_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    result = ranker.rank(fitted, profiles, candidates, k=10, crowd=crowd)
    rank_s, rank_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(result) == users
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "users": users,
        "fit_s": fit_s,
        "crowd_s": crowd_s,
        "rank_s": rank_s,
        "rank_cpu": rank_cpu,
        "peak_mb": peak_mb,
    }


def main() -> None:
    """Run each size in a subprocess and print one table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--users", default="10000,100000", help="comma-separated user counts")
    parser.add_argument("--papers", type=int, default=2000, help="new papers to rank")
    parser.add_argument("--corpus", type=int, default=50000, help="papers users liked from")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.papers, args.corpus)))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Ranker.rank: {args.papers} new papers, k = 10, corpus {args.corpus}")
    for name in (
        "users",
        "fit s",
        "crowd fit s",
        "rank s (wall)",
        "rank s (CPU)",
        "load",
        "peak RSS MB",
    ):
        table.add_column(name, justify="right")
    for users in (int(u) for u in args.users.split(",")):
        command = [
            sys.executable,
            __file__,
            "--worker",
            str(users),
            "--papers",
            str(args.papers),
            "--corpus",
            str(args.corpus),
        ]
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        table.add_row(
            f"{users:,}",
            f"{out['fit_s']:.1f}",
            f"{out['crowd_s']:.1f}",
            f"{out['rank_s']:.1f}",
            f"{out['rank_cpu']:.1f}",
            f"{os.getloadavg()[0]:.1f}",
            f"{out['peak_mb']:.0f}",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
