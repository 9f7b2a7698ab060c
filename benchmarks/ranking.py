"""Papersift's ranker against its peers on citeulike-t, new-paper protocol: one command, one table.

    python benchmarks/ranking.py [--data DIR] [--folds 0,1] [--users N] [--svm-users N] [--seed S]

Per fold f: candidates = papers of fold f, profiles from each user's other papers; every method
ranks all candidates for every evaluated user; metrics are averaged over users, then folds.
The SVM (arxiv-sanity-lite) runs on a deterministic sample of --svm-users users per fold, and
every method is also reported on that same sample, overall and by library size (bands of the
user's liked train papers in the fold: 1-2, 3-5, 6-15, 16-50, >50), with Papersift/SVM ratios.

When wordllama imports (the `semantic` extra), the semantic view runs alone, and Papersift
with the view fused in by the ranker (the product's code path: RankerConfig.semantic_weight,
semantic_pivot) runs for each setting of --semantic, beside the default (view off).
Timing: ms/user of the ranking call without the fit, and with the fold's fit amortised over
the users the method ranked in that fold.
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
import semantic
from metrics import NAMES, macro, user_metrics

from recommender.offline import LikesLine, profiles_from_likes
from recommender.ranking import Candidate, LikedText, Ranker, RankerConfig
from recommender.ranking.semantic import Embedder

BASE = ["papersift", "arxiv-sanity-lite SVM", "zotero-arxiv-daily", "TF-IDF centroid", "random"]
SVM = "arxiv-sanity-lite SVM"
TOP = 100
Settings = list[tuple[float, float]]  # (semantic_weight, semantic_pivot) per fused row
DEFAULT_SEMANTIC = "0.3,1:2"
# Library size: the user's liked train papers in the fold, (label, lowest, highest).
BANDS = [("1-2", 1, 2), ("3-5", 3, 5), ("6-15", 6, 15), ("16-50", 16, 50), (">50", 51, 10**9)]
PerUser = dict[str, dict[str, dict[str, float]]]  # method -> user -> metrics
Users = list[tuple[str, list[str], set[str]]]  # (user, liked train papers, saved candidates)


def method_names(settings: Settings | None) -> list[str]:
    """Every method of the run, in table order (settings None: no semantic methods)."""
    if settings is None:
        return list(BASE)
    return [*BASE, semantic.ALONE, *(semantic.fused_name(w, a) for w, a in settings)]


def band_of(size: int) -> str:
    """The library-size band of a user with `size` liked train papers."""
    return next(label for label, low, high in BANDS if low <= size <= high)


def top_ids(scores: np.ndarray, keys: list[str]) -> list[list[str]]:
    """Best TOP keys per row; ties go to the earlier key (keys are sorted)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :TOP]
    return [[keys[j] for j in row] for row in order]


def evaluate_fold(
    dataset: data.Dataset,
    fold: int,
    users: Users,
    svm_users: set[str],
    seed: int,
    tick: Callable[[int], None],
    embedder: Embedder | None,
    settings: Settings,
) -> tuple[PerUser, dict[str, float], dict[str, float]]:
    """Per-user metrics of every method on one fold, ms per user, and fit seconds.

    `embedder` is the WordLlama model (None: no semantic methods).
    """
    train_keys, keys = dataset.split(fold)
    all_keys = train_keys + keys
    index = {k: i for i, k in enumerate(all_keys)}
    candidates = np.arange(len(train_keys), len(all_keys))
    texts = [dataset.texts[k] for k in all_keys]
    methods = method_names(settings if embedder is not None else None)
    ranked: dict[str, dict[str, list[str]]] = {m: {} for m in methods}
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
    crowd_start = time.perf_counter()
    crowd = ranker.fit_crowd(fitted, libraries)
    crowd_s = time.perf_counter() - crowd_start
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
    if embedder is not None:
        # The product's path: a ranker with the view on fits its own text model (the same
        # one, plus the corpus embeddings); the crowd model does not depend on the view.
        start = time.perf_counter()
        fitted_semantic = Ranker(semantic.config_for(*settings[0]), embedder).fit(texts)
        fit_semantic = time.perf_counter() - start
        fit_s[semantic.ALONE] = fit_semantic  # the text model's fit included (an upper bound)
        start = time.perf_counter()
        assert fitted_semantic.semantic is not None
        alone = semantic.alone_scores(
            fitted_semantic.semantic, embedder, texts, liked_rows, candidates
        )
        ranked[semantic.ALONE] = dict(zip(user_ids, top_ids(alone, keys), strict=True))
        ms[semantic.ALONE] = (time.perf_counter() - start) * 1000 / max(len(users), 1)
        for weight, pivot in settings:
            name = semantic.fused_name(weight, pivot)
            fused = Ranker(semantic.config_for(weight, pivot), embedder)
            start = time.perf_counter()
            out = fused.rank(fitted_semantic, profiles, pool, TOP, explain=False, crowd=crowd)
            ms[name] = (time.perf_counter() - start) * 1000 / max(len(users), 1)
            ranked[name] = {u: [p.paper_key for p in items] for u, items in out.items()}
            fit_s[name] = fit_semantic + crowd_s
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
    per_user = {m: {u: user_metrics(r, saved[u]) for u, r in ranked[m].items()} for m in methods}
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


def subset(
    per_fold: list[PerUser], method: str, keep: list[set[str]]
) -> list[list[dict[str, float]]]:
    """Per fold, the method's per-user metrics of the users in that fold's `keep`."""
    return [[v for u, v in r[method].items() if u in keep[i]] for i, r in enumerate(per_fold)]


def band_tables(
    per_fold: list[PerUser],
    methods: list[str],
    samples: list[set[str]],
    sizes: list[dict[str, int]],
) -> list[Table]:
    """User counts per band, every method per band on the SVM sample, Papersift/SVM ratios."""
    counts = Table(title="users per library-size band (liked train papers in the fold)")
    for name in ("band", "all evaluated users", "SVM sample"):
        counts.add_column(name, justify="right")
    ratios = Table(title="Papersift / SVM per band, SVM sample (same users)")
    ratios.add_column("method")
    ratios.add_column("band")
    ratios.add_column("users", justify="right")
    for name in ("recall@20", "recall@100", "nDCG@10"):
        ratios.add_column(f"{name} papersift / SVM", justify="right")
    out = [counts]
    for label, _, _ in [("all", 0, 0), *BANDS]:
        members = [{u for u, n in s.items() if label in ("all", band_of(n))} for s in sizes]
        everyone = sum(len(m) for m in members)
        keep = [m & sample for m, sample in zip(members, samples, strict=True)]
        rows = {m: macro(subset(per_fold, m, keep)) for m in methods}
        users = sum(len(f) for f in subset(per_fold, SVM, keep))
        if label != "all":
            counts.add_row(label, str(everyone), str(users))
            if users:
                extra = {m: [str(users), "", ""] for m in methods}
                out.append(table(f"SVM sample, library size {label}", rows, extra))
        for method in (m for m in methods if m.startswith("papersift")):
            if not users:
                continue
            ratios.add_row(
                method,
                label,
                str(users),
                *(
                    f"{rows[method][n]:.4f} / {rows[SVM][n]:.4f} = "
                    f"{rows[method][n] / max(rows[SVM][n], 1e-12):.3f}"
                    for n in ("recall@20", "recall@100", "nDCG@10")
                ),
            )
    return [*out, ratios]


def delta_table(per_fold: list[PerUser], methods: list[str], sizes: list[dict[str, int]]) -> Table:
    """Each semantic setting minus the default, in points, on every evaluated user, by band.

    The spread over folds (max - min of the per-fold difference) says how far to trust it.
    """
    metrics = ("recall@10", "recall@20", "recall@100", "nDCG@10")
    out = Table(title="papersift + semantic minus papersift, points, all evaluated users")
    for name in ("method", "band", "users", *metrics):
        out.add_column(name, justify="left" if name == "method" else "right")
    for method in (m for m in methods if m.startswith("papersift + semantic")):
        for label, _, _ in [("all", 0, 0), *BANDS]:
            keep = [{u for u, n in s.items() if label in ("all", band_of(n))} for s in sizes]
            cells = []
            for metric in metrics:
                diffs = [
                    100 * (macro([b])[metric] - macro([a])[metric])
                    for a, b in zip(
                        subset(per_fold, "papersift", keep),
                        subset(per_fold, method, keep),
                        strict=True,
                    )
                    if a
                ]
                cells.append(f"{np.mean(diffs):+.2f} ({min(diffs):+.1f}..{max(diffs):+.1f})")
            out.add_row(method, label, str(sum(len(k) for k in keep)), *cells)
    return out


def timing_table(
    methods: list[str],
    ms: dict[str, list[float]],
    fit_s: dict[str, list[float]],
    ranked_users: dict[str, list[int]],
) -> Table:
    """ms/user without the fit and with the fold's fit amortised over its ranked users."""
    out = Table(title="time per user, mean over folds (fit amortised over the fold's users)")
    for name in (
        "method",
        "ms/user, no fit",
        "fit s per fold",
        "users per fold",
        "ms/user with fit",
    ):
        out.add_column(name, justify="right" if name != "method" else "left")
    for m in methods:
        with_fit = [
            rank + 1000 * fit / max(n, 1)
            for rank, fit, n in zip(ms[m], fit_s[m], ranked_users[m], strict=True)
        ]
        # The SVM fits one LinearSVC per user inside its ranking call: no time without a fit.
        alone = "- (fit per user)" if m == SVM else f"{np.mean(ms[m]):.2f}"
        out.add_row(
            m,
            alone,
            f"{np.mean(fit_s[m]):.2f}",
            f"{np.mean(ranked_users[m]):.0f}",
            f"{np.mean(with_fit):.2f}",
        )
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
    parser.add_argument(
        "--semantic",
        default=DEFAULT_SEMANTIC,
        help="semantic view settings to run, w or w:pivot, comma-separated (needs wordllama)",
    )
    args = parser.parse_args(argv)
    settings = semantic.parse_settings(args.semantic)
    console = Console(width=200)
    try:
        dataset = data.load(args.data)
    except FileNotFoundError as exc:
        parser.exit(2, f"error: {exc}\n")
    start = time.perf_counter()
    embedder, why = semantic.load_model()
    if embedder is None or not settings:
        console.print(f"semantic (wordllama) methods skipped: {why or 'no --semantic'}")
        embedder = None
    else:
        console.print(f"wordllama loaded offline in {time.perf_counter() - start:.2f} s")
    methods = method_names(settings if embedder is not None else None)
    folds = [int(f) for f in args.folds.split(",")]
    per_fold: list[PerUser] = []
    samples: list[set[str]] = []
    sizes: list[dict[str, int]] = []
    ms: dict[str, list[float]] = {m: [] for m in [*methods, "papersift, with reasons"]}
    fit_s: dict[str, list[float]] = {m: [] for m in methods}
    ranked_users: dict[str, list[int]] = {m: [] for m in methods}
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
                dataset,
                fold,
                users,
                sample,
                args.seed,
                lambda n: progress.advance(task, n),
                embedder,
                settings,
            )
            per_fold.append(result)
            samples.append(sample)
            sizes.append({user: len(train) for user, train, _ in users})
            for m in ms:
                ms[m].append(fold_ms.get(m, 0.0))
            for m in methods:
                fit_s[m].append(fold_fit.get(m, 0.0))
                ranked_users[m].append(len(result[m]))
    for title, pick in (
        (f"all evaluated users, folds {args.folds} (SVM: its sample only)", None),
        (f"SVM sample ({args.svm_users} users per fold), every method", samples),
    ):
        rows, extra = {}, {}
        keep = pick or [set(s) for s in sizes]
        for m in methods:
            folds_users = subset(per_fold, m, keep)
            rows[m] = macro(folds_users)
            extra[m] = [
                str(sum(len(f) for f in folds_users)),
                f"{np.mean(ms[m]):.2f}",
                f"{np.mean(fit_s[m]):.1f}",
            ]
        console.print(table(title, rows, extra))
    with_reasons = np.mean(ms["papersift, with reasons"])
    console.print(f"papersift with reasons built (the live job's call): {with_reasons:.2f} ms/user")
    if embedder is not None:
        console.print(delta_table(per_fold, methods, sizes))
    for band in band_tables(per_fold, methods, samples, sizes):
        console.print(band)
    console.print(timing_table(methods, ms, fit_s, ranked_users))


if __name__ == "__main__":
    main()
