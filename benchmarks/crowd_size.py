"""How many users the crowd view needs: Papersift with and without it, for groups of N users.

    python benchmarks/crowd_size.py [--data DIR] [--sizes 50,100,200,300,1000] [--folds 0,1,2]

Per fold and size N: draw N of the fold's evaluated users (deterministically), learn the crowd
view from those N libraries only, rank the fold's candidates for those N users with and
without it. Draws repeat until about --user-folds users per size and fold are evaluated, so
small groups are not judged on a handful of users. Prints recall@100 and nDCG@10 both ways.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: sibling modules

import data
from metrics import macro, user_metrics
from ranking import TOP, fold_users

from recommender.offline import LikesLine, profiles_from_likes
from recommender.ranking import Candidate, Ranker, RankerConfig

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "citeulike-t"


def main() -> None:
    """Evaluate each group size with and without the crowd view; print one table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="citeulike-t folder")
    parser.add_argument("--sizes", default="50,100,200,300,1000", help="group sizes N")
    parser.add_argument("--folds", default="0,1,2", help="comma-separated folds")
    parser.add_argument("--user-folds", type=int, default=1500, help="users per size and fold")
    args = parser.parse_args()
    dataset = data.load(args.data)
    sizes = [int(n) for n in args.sizes.split(",")]
    results: dict[int, dict[str, list]] = {n: {"without": [], "with": []} for n in sizes}
    # The crowd view switched on for any group: the point is to see where it starts to pay.
    ranker = Ranker(RankerConfig(crowd_min_users=2))
    for fold in (int(f) for f in args.folds.split(",")):
        everyone = fold_users(dataset, fold, None, 0)
        train, keys = dataset.split(fold)
        fitted = ranker.fit([dataset.texts[k] for k in train + keys])
        papers = {k: dataset.texts[k] for k in train}
        pool = [Candidate(k, dataset.texts[k]) for k in keys]
        rng = np.random.default_rng(fold)
        for n in sizes:
            for _ in range(max(1, args.user_folds // n)):
                group = [everyone[i] for i in rng.choice(len(everyone), n, replace=False)]
                lines = [LikesLine(user, liked) for user, liked, _ in group]
                profiles, _ = profiles_from_likes(papers, lines)
                crowd = ranker.fit_crowd(fitted, [p.liked for p in profiles])
                saved = {user: test for user, _, test in group}
                for label, model in (("without", None), ("with", crowd)):
                    ranked = ranker.rank(fitted, profiles, pool, TOP, explain=False, crowd=model)
                    results[n][label].append(
                        [
                            user_metrics([p.paper_key for p in r], saved[u])
                            for u, r in ranked.items()
                        ]
                    )
        print(f"fold {fold} done", file=sys.stderr, flush=True)
    table = Table(title="Papersift without / with the crowd view, by group size")
    for name in (
        "users N",
        "recall@100",
        "with crowd",
        "change",
        "nDCG@10",
        "with crowd",
        "change",
    ):
        table.add_column(name, justify="right")
    for n in sizes:
        off, on = macro(results[n]["without"]), macro(results[n]["with"])
        cells = [f"{n:,}"]
        for metric in ("recall@100", "nDCG@10"):
            cells += [
                f"{off[metric]:.4f}",
                f"{on[metric]:.4f}",
                f"{on[metric] / off[metric] - 1:+.1%}",
            ]
        table.add_row(*cells)
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
