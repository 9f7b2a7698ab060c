"""Papersift's ranker against its peers on citeulike-t, new-paper protocol: one command, one table.

    python benchmarks/ranking.py [--data DIR] [--folds 0,1] [--users N] [--svm-users N] [--seed S]

Per fold f: candidates = papers of fold f, profiles from each user's other papers; every method
ranks all candidates for every evaluated user; metrics are averaged over users, then folds.
The SVM (arxiv-sanity-lite) runs on a deterministic sample of --svm-users users per fold, and
every method is also reported on that same sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: sibling modules

import data
import peers
from metrics import NAMES, macro, user_metrics

from recommender.offline import LikesLine, profiles_from_likes
from recommender.ranking import Candidate, LikedText, Ranker, RankerConfig

METHODS = ["papersift", "arxiv-sanity-lite SVM", "zotero-arxiv-daily", "TF-IDF centroid", "random"]
TOP = 100
PerUser = dict[str, dict[str, dict[str, float]]]  # method -> user -> metrics


def top_ids(scores: np.ndarray, keys: list[str]) -> list[list[str]]:
    """Best TOP keys per row; ties go to the earlier key (keys are sorted)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :TOP]
    return [[keys[j] for j in row] for row in order]


def evaluate_fold(
    dataset: data.Dataset,
    fold: int,
    users: list[tuple[str, list[str], set[str]]],
    svm_users: set[str],
    seed: int,
    tick: Callable[[int], None],
) -> tuple[PerUser, dict[str, float], dict[str, float]]:
    """Per-user metrics of every method on one fold, ms per user, and fit seconds."""
    train_keys, keys = dataset.split(fold)
    all_keys = train_keys + keys
    index = {k: i for i, k in enumerate(all_keys)}
    candidates = np.arange(len(train_keys), len(all_keys))
    texts = [dataset.texts[k] for k in all_keys]
    ranked: dict[str, dict[str, list[str]]] = {m: {} for m in METHODS}
    ms: dict[str, float] = {}
    fit_s: dict[str, float] = {}

    # (e) Papersift through the rank-offline code path: default config, fit on P + C texts.
    start = time.perf_counter()
    ranker = Ranker(RankerConfig())
    fitted = ranker.fit(texts)
    papers = {k: dataset.texts[k] for k in train_keys}
    lines = [LikesLine(user, liked) for user, liked, _ in users]
    profiles, _ = profiles_from_likes(papers, lines)
    # The crowd view learns from every library's train papers (rank-offline: every line of L),
    # also those of users with nothing saved in this fold; never from a candidate's likers.
    libraries = [
        [LikedText(k, papers[k]) for k in liked if k in papers] for _, liked in dataset.users
    ]
    crowd = ranker.fit_crowd(fitted, libraries)
    fit_s["papersift"] = time.perf_counter() - start
    pool = [Candidate(k, dataset.texts[k]) for k in keys]
    start = time.perf_counter()
    done = [0]

    def advance(finished: int, _total: int) -> None:
        tick(finished - done[0])
        done[0] = finished

    # As rank-offline calls it: the order only, no reasons (see RESULTS.md for both timings).
    result = ranker.rank(fitted, profiles, pool, TOP, progress=advance, explain=False, crowd=crowd)
    ms["papersift"] = (time.perf_counter() - start) * 1000 / max(len(users), 1)
    ranked["papersift"] = {u: [p.paper_key for p in items] for u, items in result.items()}
    # The live job's call, with reasons: timed too, and it must pick the very same papers.
    start = time.perf_counter()
    explained = ranker.rank(fitted, profiles, pool, TOP, crowd=crowd)
    ms["papersift, with reasons"] = (time.perf_counter() - start) * 1000 / max(len(users), 1)
    if any([p.paper_key for p in explained[u]] != r for u, r in ranked["papersift"].items()):
        raise SystemExit("rank with and without reasons disagree: a bug")

    # (b), (c), (d): matrix products over all users at once.
    start = time.perf_counter()
    vectors = peers.plain_tfidf(texts)
    fit_s["zotero-arxiv-daily"] = fit_s["TF-IDF centroid"] = time.perf_counter() - start
    liked_rows = [np.array([index[k] for k in liked]) for _, liked, _ in users]
    user_ids = [u for u, _, _ in users]
    for method, weights, score in (
        ("zotero-arxiv-daily", "recency", peers.recency_scores),
        ("TF-IDF centroid", "mean", peers.centroid_scores),
    ):
        start = time.perf_counter()
        likes = peers.likes_matrix(liked_rows, len(all_keys), weights)
        ranked[method] = dict(
            zip(user_ids, top_ids(score(likes, vectors, candidates), keys), strict=True)
        )
        ms[method] = (time.perf_counter() - start) * 1000 / max(len(users), 1)
    start = time.perf_counter()
    rng = np.random.default_rng([seed, fold])
    scores = peers.random_scores(len(users), len(keys), rng)
    ranked["random"] = dict(zip(user_ids, top_ids(scores, keys), strict=True))
    ms["random"] = (time.perf_counter() - start) * 1000 / max(len(users), 1)

    # (a) arxiv-sanity-lite: one LinearSVC per sampled user.
    start = time.perf_counter()
    sanity = peers.sanity_tfidf(texts)
    fit_s["arxiv-sanity-lite SVM"] = time.perf_counter() - start
    train, cand = sanity[: len(train_keys)], sanity[len(train_keys) :]
    start = time.perf_counter()
    sampled = [(u, rows) for u, rows in zip(user_ids, liked_rows, strict=True) if u in svm_users]
    for user, rows in sampled:
        scores = peers.svm_scores(train, rows, cand)[None, :]
        ranked["arxiv-sanity-lite SVM"][user] = top_ids(scores, keys)[0]
        tick(1)
    ms["arxiv-sanity-lite SVM"] = (time.perf_counter() - start) * 1000 / max(len(sampled), 1)

    saved = {u: test for u, _, test in users}
    per_user = {m: {u: user_metrics(r, saved[u]) for u, r in ranked[m].items()} for m in METHODS}
    return per_user, ms, fit_s


def fold_users(
    dataset: data.Dataset, fold: int, limit: int | None, seed: int
) -> list[tuple[str, list[str], set[str]]]:
    """Users with >= 1 train and >= 1 candidate paper: (user, train likes, saved candidates)."""
    out = []
    for user, liked in dataset.users:
        known = [k for k in liked if k in dataset.folds]
        train = [k for k in known if dataset.folds[k] != fold]
        test = {k for k in known if dataset.folds[k] == fold}
        if train and test:
            out.append((user, train, test))
    if limit is not None and limit < len(out):
        picked = np.random.default_rng([seed, fold]).choice(len(out), limit, replace=False)
        out = [out[i] for i in sorted(picked)]
    return out


def table(title: str, rows: dict[str, dict[str, float]], extra: dict[str, list[str]]) -> Table:
    """One rich table: a row per method, a column per metric plus the extra columns."""
    out = Table(title=title)
    out.add_column("method")
    for name in NAMES:
        out.add_column(name, justify="right")
    for name in ("users", "ms/user", "fit s"):
        out.add_column(name, justify="right")
    for method, values in rows.items():
        out.add_row(method, *(f"{values[n]:.4f}" for n in NAMES), *extra[method])
    return out


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run the folds, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    default_data = Path(__file__).resolve().parents[2] / "shared" / "data" / "citeulike-t"
    parser.add_argument("--data", type=Path, default=default_data, help="citeulike-t folder")
    parser.add_argument("--folds", default="0,1,2,3,4", help="comma-separated folds")
    parser.add_argument("--users", type=int, default=None, help="sample N users per fold")
    parser.add_argument("--svm-users", type=int, default=200, help="SVM sample per fold")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples")
    args = parser.parse_args(argv)
    console = Console(width=200)
    try:
        dataset = data.load(args.data)
    except FileNotFoundError as exc:
        parser.exit(2, f"error: {exc}\n")
    folds = [int(f) for f in args.folds.split(",")]
    per_fold: list[PerUser] = []
    samples: list[set[str]] = []
    ms: dict[str, list[float]] = {m: [] for m in [*METHODS, "papersift, with reasons"]}
    fit_s: dict[str, list[float]] = {m: [0.0] for m in METHODS}
    plan = {f: fold_users(dataset, f, args.users, args.seed) for f in folds}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(
            "ranking", total=sum(len(u) + min(len(u), args.svm_users) for u in plan.values())
        )
        for fold in folds:
            users = plan[fold]
            rng = np.random.default_rng([args.seed, fold, 1])
            picked = rng.choice(len(users), min(args.svm_users, len(users)), replace=False)
            sample = {users[i][0] for i in picked}
            progress.update(task, description=f"fold {fold}")
            result, fold_ms, fold_fit = evaluate_fold(
                dataset, fold, users, sample, args.seed, lambda n: progress.advance(task, n)
            )
            per_fold.append(result)
            samples.append(sample)
            for m in ms:
                ms[m].append(fold_ms.get(m, 0.0))
            for m in METHODS:
                fit_s[m].append(fold_fit.get(m, 0.0))
    for title, pick in (
        (f"all evaluated users, folds {args.folds} (SVM: its sample only)", None),
        (f"SVM sample ({args.svm_users} users per fold), every method", samples),
    ):
        rows, extra = {}, {}
        for m in METHODS:
            folds_users = [
                [v for u, v in result[m].items() if pick is None or u in pick[i]]
                for i, result in enumerate(per_fold)
            ]
            rows[m] = macro(folds_users)
            extra[m] = [
                str(sum(len(f) for f in folds_users)),
                f"{np.mean(ms[m]):.2f}",
                f"{np.mean(fit_s[m][1:]):.1f}",
            ]
        console.print(table(title, rows, extra))
    with_reasons = np.mean(ms["papersift, with reasons"])
    console.print(f"papersift with reasons built (the live job's call): {with_reasons:.2f} ms/user")


if __name__ == "__main__":
    main()
