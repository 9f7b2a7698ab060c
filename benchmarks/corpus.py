"""A corpus that grows for years: fit, one cycle for 1,000 users and `recommend` at 25k, 300k, 1M.

    .venv/bin/python benchmarks/corpus.py [--sizes 25000,300000,1000000] [--users 1000]
                                          [--full-fit-up-to 300000] [--data DIR]

Each corpus is the real-text synthetic one of benchmarks/search.py (every paper takes the words
of a citeulike-t paper; one paper per 6 hours per 40, so the last 14 days, the candidate window,
hold about 2,240 papers whatever the size), written through the real schema (migrations, search
index) and cached. Each reader likes up to 20 older papers: the papers of one real citeulike-t
library. Every measurement runs in its own process on a copy of the cached database, so its
peak RSS is its own:

    fit        the text model as the live job fits it: the `[ranking] fit_sample` (50,000)
               newest papers
    full fit   the baseline, measured in the same run: the same fit on every stored paper (the
               behaviour before fit_sample), up to --full-fit-up-to papers
    cycle      `papersift run`'s cycle for --users readers (refresh, compose, digests written to
               the outbox folder), with the stored model, then `recommend` for one reader (the
               median of 5 calls)

Rows: papers, database size (and per 100,000 papers), seconds and peak RSS of each part. The
1M row must stay under 4 GB peak.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: sibling modules

from rich.console import Console
from rich.table import Table
from search import BATCH, build, cache_path, find_data, load_bags, synthetic_rows
from sqlalchemy import delete, func, insert, select, text

from jobs.cli import limit_threads
from jobs.cold_start import rank_and_rate
from jobs.run_cycle import run
from jobs.text_model import current_text_model, ranker_for
from recommender.config import Settings, settings_from_dict
from recommender.models import FeedbackKind, FeedbackOrigin
from recommender.store.engine import Store, open_store
from recommender.store.feedback import set_feedback
from recommender.store.tables import papers, ranker_models

FEED = "bench"  # the synthetic papers' source: the readers follow it
FEED_FILE = (
    Path(__file__).resolve().parents[1] / "tests/fixtures/feeds/arxiv_rss2_stat_2024-03-26.xml"
)
LIKES = 20
PEAK_LIMIT_MB = 4096
WINDOW_DAYS = 14


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reader_settings(data_dir: Path, users: int, sample: int) -> Settings:
    data = {
        "storage": {"data_dir": str(data_dir)},
        "web": {"base_url": "https://papersift.example.org", "secret_env": "PAPERSIFT_BENCH_NONE"},
        "ranking": {"fit_sample": sample, "candidate_window_days": WINDOW_DAYS},
        "feeds": [{"name": FEED, "kind": "file", "path": str(FEED_FILE)}],
        "users": [
            {"id": f"r{n:04d}", "email": f"r{n:04d}@example.org", "max_papers": 10}
            for n in range(users)
        ],
    }
    return settings_from_dict(data, str(data_dir / "config.toml"))


def newest_moment(store: Store) -> datetime:
    with store.connect() as conn:
        newest = conn.execute(select(func.max(papers.c.first_seen))).scalar_one()
    return newest + timedelta(hours=1)


def add_likes(store: Store, data: Path, users: int, now: datetime) -> int:
    """Reader n likes the older copies of the papers of citeulike-t library n (up to 20)."""
    with gzip.open(data / "items.jsonl.gz", "rt", encoding="utf-8") as handle:
        index = {json.loads(line)["id"]: i for i, line in enumerate(handle) if line.strip()}
    with gzip.open(data / "users.jsonl.gz", "rt", encoding="utf-8") as handle:
        libraries = [json.loads(line)["liked"] for line in handle if line.strip()]
    with store.begin() as conn:
        total = int(conn.execute(select(func.count()).select_from(papers)).scalar_one())
        # Papers older than the window: the synthetic corpus holds 40 papers per 6 hours.
        old = total - 40 * 4 * (WINDOW_DAYS + 1)
        liked = 0
        for reader in range(users):
            items = [index[i] for i in libraries[reader % len(libraries)] if i in index]
            for item in items[:LIKES]:
                copies = (old - 1 - item) // len(index)  # the newest older copy of it
                if copies < 0:
                    continue
                number = item + copies * len(index)
                found = conn.execute(select(papers.c.id).where(papers.c.key == f"bench:{number}"))
                paper_id = found.scalar_one()
                set_feedback(
                    conn,
                    f"r{reader:04d}",
                    paper_id,
                    FeedbackKind.LIKE,
                    FeedbackOrigin.IMPORT,
                    now - timedelta(days=30),
                )
                liked += 1
    return liked


def child_fit(db: Path, sample: int) -> dict[str, Any]:
    store = open_store(f"sqlite:///{db}", migrate=True)  # a cache built by an older schema
    try:
        with store.begin() as conn:
            conn.execute(delete(ranker_models))
        settings = reader_settings(db.parent, 1, sample)
        started = time.perf_counter()
        fitted = current_text_model(store, ranker_for(settings), newest_moment(store), sample)
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"seconds": seconds, "rss_mb": peak_rss_mb(), "fitted_on": fitted.corpus_size}


def child_cycle(db: Path, data: Path, users: int, sample: int) -> dict[str, Any]:
    folder = db.parent / "cycle"
    folder.mkdir(exist_ok=True)
    settings = reader_settings(folder, users, sample)
    store = open_store(f"sqlite:///{db}", migrate=True)
    try:
        now = newest_moment(store)
        likes = add_likes(store, data, users, now)
        started = time.perf_counter()
        report = run(settings, store, now)
        cycle = time.perf_counter() - started
        one = [settings.users[0]]
        times = []
        for _ in range(5):
            started = time.perf_counter()
            rank_and_rate(settings, store, one, now)
            times.append(time.perf_counter() - started)
    finally:
        store.close()
    outbox = folder / "outbox"
    written = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    return {
        "seconds": cycle,
        "recommend_ms": statistics.median(times) * 1000,
        "rss_mb": peak_rss_mb(),
        "likes": likes,
        "digests": written,
        "summary": report.summary(),
    }


def postgres_mb_per_100k(data: Path, count: int) -> tuple[float, float]:
    """MB per 100,000 papers on PostgreSQL (127.0.0.1:5432): `count` papers of the same
    synthetic corpus through the real schema (search index included) in a scratch database;
    returns (MB per 100k, seconds to store them). The empty schema's size is taken off."""
    import psycopg

    admin = {"host": "127.0.0.1", "port": 5432, "dbname": "test", "autocommit": True}
    name = f"papersift_corpus_{secrets.token_hex(4)}"
    user = next(u for u in ("postgres", "root") if _connects(u, admin))
    with psycopg.connect(user=user, **admin) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://{user}@127.0.0.1:5432/{name}"
    size = text("SELECT pg_database_size(current_database())")
    try:
        with open_store(url, migrate=True) as store:
            with store.connect() as conn:
                empty = int(conn.execute(size).scalar_one())
            started = time.perf_counter()
            bags = load_bags(data)
            rng = random.Random(1)
            for first in range(0, count, BATCH):
                rows = synthetic_rows(bags, first, min(BATCH, count - first), rng)
                with store.begin() as conn:
                    conn.execute(insert(papers), rows)
            seconds = time.perf_counter() - started
            quiet = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with quiet as conn:  # VACUUM runs outside a transaction
                conn.execute(text("VACUUM ANALYZE"))
                full = int(conn.execute(size).scalar_one())
    finally:
        with psycopg.connect(user=user, **admin) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return (full - empty) / 2**20 / count * 100_000, seconds


def _connects(user: str, admin: dict[str, Any]) -> bool:
    import psycopg

    try:
        with psycopg.connect(user=user, **admin):
            return True
    except psycopg.Error:
        return False


def in_child(*args: str) -> dict[str, Any]:
    """Run this script's --child mode in a fresh process; its JSON answer."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    shown = {k: round(v, 1) if isinstance(v, float) else v for k, v in answer.items()}
    print(f"  {args[0]}: {shown}", flush=True)
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="25000,300000,1000000", help="stored papers, a list")
    parser.add_argument("--users", type=int, default=1000, help="readers in the cycle")
    parser.add_argument("--sample", type=int, default=50_000, help="[ranking] fit_sample")
    parser.add_argument("--full-fit-up-to", type=int, default=300_000, help="baseline sizes")
    parser.add_argument("--data", type=Path, default=None, help="citeulike-t folder")
    parser.add_argument(
        "--pg-papers", type=int, default=100_000, help="papers for the PostgreSQL size (0: none)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        limit_threads()  # as every papersift process does
        kind, db, *rest = args.child
        if kind == "fit":
            answer = child_fit(Path(db), int(rest[0]))
        else:
            answer = child_cycle(Path(db), Path(rest[0]), int(rest[1]), int(rest[2]))
        print(json.dumps(answer))
        return
    data = args.data or find_data()
    console = Console(width=150)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        cached = cache_path(size)
        if not cached.exists():
            build(cached, data, size)
        database_mb = cached.stat().st_size / 2**20
        with tempfile.TemporaryDirectory(prefix="papersift-corpus-") as folder:
            work = Path(folder) / "work.db"
            shutil.copyfile(cached, work)
            full = None
            if size <= args.full_fit_up_to:
                console.print(f"{size:,} papers: full fit (baseline)…")
                full = in_child("fit", str(work), str(size))
            console.print(f"{size:,} papers: fit on the newest {args.sample:,}…")
            fit = in_child("fit", str(work), str(args.sample))
            console.print(f"{size:,} papers: cycle for {args.users:,} readers…")
            cycle = in_child("cycle", str(work), str(data), str(args.users), str(args.sample))
        console.print(f"  {cycle['summary']}")
        rows.append((size, database_mb, full, fit, cycle))
    table = Table(
        title=f"Corpus growth: fit on the newest {args.sample:,}, one cycle for "
        f"{args.users:,} readers (SQLite, each part in its own process)"
    )
    for column in (
        "papers",
        "DB MB",
        "MB/100k",
        "full fit s",
        "full fit RSS MB",
        "fit s",
        "fit RSS MB",
        "cycle s",
        "cycle RSS MB",
        "recommend ms",
        "digests",
        "peak MB",
    ):
        table.add_column(column, justify="right")
    for size, database_mb, full, fit, cycle in rows:
        peak = max(fit["rss_mb"], cycle["rss_mb"])
        table.add_row(
            f"{size:,}",
            f"{database_mb:,.0f}",
            f"{database_mb / size * 100_000:,.0f}",
            f"{full['seconds']:.1f}" if full else "-",
            f"{full['rss_mb']:,.0f}" if full else "-",
            f"{fit['seconds']:.1f}",
            f"{fit['rss_mb']:,.0f}",
            f"{cycle['seconds']:.1f}",
            f"{cycle['rss_mb']:,.0f}",
            f"{cycle['recommend_ms']:,.0f}",
            f"{cycle['digests']:,}",
            f"{peak:,.0f}" + ("" if peak < PEAK_LIMIT_MB else " OVER"),
        )
    console.print(table)
    if args.pg_papers:
        per_100k, stored_in = postgres_mb_per_100k(data, args.pg_papers)
        console.print(
            f"PostgreSQL: {per_100k:,.0f} MB per 100,000 papers (tables, indexes and the search "
            f"index; {args.pg_papers:,} papers stored in {stored_in:.0f} s)"
        )
    biggest = rows[-1]
    peak = max(biggest[3]["rss_mb"], biggest[4]["rss_mb"])
    verdict = "ok" if peak < PEAK_LIMIT_MB else "MISSED"
    console.print(
        f"{biggest[0]:,} papers: peak {peak:,.0f} MB (target < {PEAK_LIMIT_MB:,} MB: {verdict}); "
        f"{sum(c['likes'] for *_, c in rows[-1:]):,} likes; now = newest paper + 1 h "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC run)"
    )


if __name__ == "__main__":
    main()
