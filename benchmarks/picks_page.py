"""Speed of the My picks page for one user: a 300,000-paper SQLite store with a stored text model.

    .venv/bin/python benchmarks/picks_page.py [--papers 300000] [--window 6000] [--runs 15]
                                              [--db FILE]

The corpus is the synthetic one of benchmarks/scoring.py (papers mixing a few of 300 topics),
saved with save_papers in batches a day apart; the last --window papers arrived within the
candidate window (14 days), the rest over the two years before. A lab of 20 readers has 30
likes each; the text model is fitted and stored once, as a digest run would. The pages are
served by uvicorn on 127.0.0.1 and fetched with httpx, each request ranking anew.

Rows (medians over --runs, after one warm-up): the picks page, its page 2, the Atom feed; the
baseline is the bare ranking of the same user (jobs.picks.rank with the model in memory: what
every page pays before rendering), and `recommend USER`'s rank_users (which reads and unpickles
the stored model on each call). The first page view of a fresh server, which unpickles the
model once, is timed apart. Target: the picks page < 300 ms median. --db keeps the built
store for later runs (it is reused when the file exists).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: sibling modules

from scoring import corpus

from jobs.picks import rank, rank_users
from jobs.text_model import current_text_model
from jobs.web_picks import StoredModelPicks
from recommender.config import Settings, settings_from_dict
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking import Ranker
from recommender.store.engine import Store, open_store
from recommender.store.feedback import set_feedback
from recommender.store.papers import count_papers, get_paper, save_papers
from recommender.store.ranker_models import stored_text_model
from recommender.web.app import create_app
from recommender.web.forms import page_url
from recommender.web.tokens import LinkSigner

NOW = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)
BASE_URL = "http://127.0.0.1"
FEED = "bench-feed"
READERS = 20
LIKES = 30
BATCH = 10_000


def lab_settings(data_dir: Path) -> Settings:
    users = [
        {"id": f"reader{i}", "email": f"reader{i}@example.org", "max_papers": 20}
        for i in range(READERS)
    ]
    data = {
        "storage": {"data_dir": str(data_dir)},
        "web": {"base_url": BASE_URL, "secret_env": "PAPERSIFT_BENCH_NO_SUCH_VAR"},
        "feeds": [{"name": FEED, "kind": "hf-daily"}],
        "users": users,
    }
    return settings_from_dict(data, str(data_dir / "config.toml"))


def build_store(store: Store, papers: int, window: int, say: Callable[[str], None]) -> None:
    """Save the corpus a batch a day, the likes, and the text model a digest run stores."""
    rng = np.random.default_rng(0)
    texts, main = corpus(papers, rng)
    old = papers - window
    # The old corpus in batches spread over the two years before the window; the window's
    # papers in 13 daily batches.
    bounds = [(first, min(first + BATCH, old)) for first in range(0, old, BATCH)]
    day = max(window // 13, 1)
    bounds += [(first, min(first + day, papers)) for first in range(old, papers, day)]
    start = time.perf_counter()
    for first, last in bounds:
        if first < old:
            seen = NOW - timedelta(days=15 + 730 * (1 - first / old))
        else:
            seen = NOW - timedelta(days=13 * (papers - first) / window)
        batch = [
            Paper(
                key=f"bench:{i}",
                title=f"{' '.join(texts[i].split()[:9])} ({i})",
                abstract=texts[i],
                authors=[f"Author {i % 5000}", f"Author {(i * 7) % 5000}"],
                published=seen - timedelta(days=1),
                sources=[FEED],
            )
            for i in range(first, last)
        ]
        with store.begin() as conn:
            save_papers(conn, batch, seen)
        if last % 50_000 < last - first or last == papers:
            say(f"saved {last:,} papers ({time.perf_counter() - start:.0f} s)")
    # Each reader likes papers of one or two topics, from the old corpus.
    by_topic = [np.flatnonzero(main[:old] == t) for t in range(main.max() + 1)]
    with store.begin() as conn:
        for reader in range(READERS):
            pool = np.concatenate([by_topic[t] for t in rng.integers(0, len(by_topic), 2)])
            for i in rng.choice(pool, min(LIKES, len(pool)), replace=False):
                paper = get_paper(conn, f"bench:{i}")
                assert paper is not None
                set_feedback(
                    conn,
                    f"reader{reader}",
                    paper.id,
                    FeedbackKind.LIKE,
                    FeedbackOrigin.IMPORT,
                    NOW - timedelta(days=30),
                )
    start = time.perf_counter()
    current_text_model(store, Ranker(), NOW)
    say(f"fitted and stored the text model ({time.perf_counter() - start:.0f} s)")


class Server:
    """uvicorn serving the app on a free loopback port, in a thread."""

    def __init__(self, app: object) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def timed(run: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls, after one warm-up call."""
    run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=300_000, help="stored papers")
    parser.add_argument("--window", type=int, default=6_000, help="of them in the window")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per row")
    parser.add_argument("--db", type=Path, default=None, help="keep (or reuse) the store here")
    args = parser.parse_args()
    console = Console()
    folder = Path(tempfile.mkdtemp(prefix="papersift-picks-bench-"))
    db = args.db or folder / "bench.db"
    fresh = not db.exists()
    store = open_store(f"sqlite:///{db}", migrate=True)
    settings = lab_settings(folder)
    try:
        if fresh:
            build_store(store, args.papers, args.window, console.print)
        with store.begin() as conn:
            stored = count_papers(conn)
            fitted = stored_text_model(conn)
        if fitted is None:
            raise SystemExit(f"{db}: no usable stored text model; delete the file to rebuild")
        user = settings.user("reader0")
        ranker = Ranker()
        signer = LinkSigner(["bench-secret"], timedelta(days=60))
        source = StoredModelPicks(settings, store, ranker)
        app = create_app(settings, store, lambda: NOW, signer=signer, picks=source)
        rows: list[tuple[str, list[float]]] = []
        with Server(app) as server, httpx.Client(timeout=60) as client:
            base = f"http://127.0.0.1:{server.port}"

            def get(path: str) -> Callable[[], object]:
                def fetch() -> None:
                    response = client.get(base + path)
                    response.raise_for_status()

                return fetch

            picks_path = page_url(signer, "", "picks", user.id, NOW)
            feed_path = page_url(signer, "", "feed", user.id, NOW)
            start = time.perf_counter()
            get(picks_path)()
            cold = (time.perf_counter() - start) * 1000
            rows.append(("picks page (GET /picks/…)", timed(get(picks_path), args.runs)))
            rows.append(("picks page 2 (?page=2)", timed(get(picks_path + "?page=2"), args.runs)))
            rows.append(("Atom feed (GET /feed/…)", timed(get(feed_path), args.runs)))
        in_window = rank(settings, store, [user], NOW, ranker, text_model=fitted).inputs[0]
        rows.append(
            (
                "baseline: bare ranking (model in memory)",
                timed(
                    lambda: rank(settings, store, [user], NOW, ranker, text_model=fitted), args.runs
                ),
            )
        )
        rows.append(
            (
                "recommend USER's rank_users (unpickles)",
                timed(lambda: rank_users(settings, store, [user], NOW, ranker), args.runs),
            )
        )
    finally:
        store.close()
    title = (
        f"My picks page: {stored:,} stored papers, {len(in_window.candidate_keys):,} open "
        f"candidates in the window, 1 of {READERS} readers ({args.runs} runs each)"
    )
    table = Table(title=title)
    for name in ("what", "median ms", "min ms", "max ms", "target"):
        table.add_column(name, justify="left" if name == "what" else "right")
    baseline = statistics.median(rows[3][1])
    for name, times in rows:
        median = statistics.median(times)
        target = ""
        if name.startswith("picks page (GET"):
            target = f"< 300: {'yes' if median < 300 else 'NO'}"
        elif not name.startswith("baseline"):
            target = f"{median / baseline:.2f}x baseline"
        table.add_row(name, f"{median:.0f}", f"{min(times):.0f}", f"{max(times):.0f}", target)
    table.add_row("first page view, fresh server (unpickles once)", f"{cold:.0f}", "", "", "")
    console.print(table)


if __name__ == "__main__":
    main()
