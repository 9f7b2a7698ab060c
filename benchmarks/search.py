"""Search speed over 300,000 stored papers on SQLite: FTS5 against a LIKE scan, one table.

    .venv/bin/python benchmarks/search.py [--papers 300000] [--repeats 7] [--data DIR]

The papers are synthetic but made of real text: each one takes the words of a citeulike-t
paper (real title + abstract vocabulary, as a bag of words, shared/data/citeulike-t), mixed
with a few words of another paper and the usual English function words, so term frequencies
and topics look like a real corpus'; authors come from a list of common names. The built
database is cached (in $XDG_CACHE_HOME or ~/.cache, papersift-bench/), so later runs start at
once. Each query runs `search_papers` (page 1 and page 5) `--repeats` times; the baseline is
the same query as a LIKE '%word%' scan over title, abstract and authors (every word required,
newest first), run in the same process on the same file. Target: search median < 100 ms.

`--similar` also times the search page's "similar to this" for 10 papers, with a text model
fitted on a 20,000-paper sample (stored once in the cached database).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pickle
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, insert, text

from recommender.identifiers import normalise_title
from recommender.ranking import Ranker
from recommender.store.engine import Store, open_store
from recommender.store.ranker_models import save_ranker_model, stored_text_model
from recommender.store.search import search_papers
from recommender.store.tables import papers
from recommender.web.search_page import similar_view

GENERATOR_VERSION = 1  # bump when the synthetic corpus changes, so the cache is rebuilt
BATCH = 5_000
TARGET_MS = 100.0
_FUNCTION = "the of and in to a we is for that this with on by are as an from be which our can"
_FIRST = (
    "Wei Maria Jan Anna Li Ahmed Sofia David Yuki Elena Carlos Priya Olga Chen Lucas Fatima "
    "Hiroshi Laura Ivan Mei Pedro Sara Tomas Aisha Noah Ines Raj Hana Mateo Zoe"
)
_LAST = (
    "Wang Smith Müller Garcia Kim Nguyen Rossi Ivanova Tanaka Silva Kowalski Johnson Chen "
    "Hansen Dubois Novak Patel Larsen Costa Yilmaz Schmidt Jones Lopez Sato Brown Moreau "
    "Fischer Horvath Andersson Okafor"
)
FUNCTION_WORDS, FIRST, LAST = (words.split() for words in (_FUNCTION, _FIRST, _LAST))
# Real queries a researcher types: common and rare words, phrases, prefixes, an author.
QUERIES = [
    "neural network",
    "gene expression",
    "protein structure prediction",
    "social network analysis",
    "bayesian inference",
    "reinforcement learning",
    "climate change",
    "cancer",
    "graph",
    "quantum",
    "machine learning",
    "evolution",
    '"gene expression"',
    "optimi*",
    "phylogenetic",
    "fmri",
    "Müller",
    "tanaka protein",
]


def find_data() -> Path:
    """shared/data/citeulike-t next to the checkout (or a worktree of it)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "citeulike-t"
        if candidate.exists():
            return candidate
    raise SystemExit("citeulike-t not found: pass --data DIR (the folder with items.jsonl.gz)")


def cache_path(count: int) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "papersift-bench" / f"search-{count}-v{GENERATOR_VERSION}.db"


def load_bags(data: Path) -> list[list[str]]:
    with gzip.open(data / "items.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line)["text"].split() for line in handle if line.strip()]


def synthetic_rows(
    bags: list[list[str]], first: int, count: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Paper rows first..first+count, each made of one real paper's vocabulary."""
    start = datetime(2021, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(first, first + count):
        words = list(bags[n % len(bags)])
        rng.shuffle(words)
        extra = bags[rng.randrange(len(bags))]
        distinct = list(dict.fromkeys(words))
        title = " ".join(distinct[: rng.randint(5, 11)]).capitalize()
        abstract_words: list[str] = []
        for word in words + rng.sample(extra, min(len(extra), 10)):
            while rng.random() < 0.45:
                abstract_words.append(rng.choice(FUNCTION_WORDS))
            abstract_words.append(word)
        authors = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 6))]
        # Some papers share a publication date, as a feed's daily batch does.
        published = start + timedelta(hours=(n // 40) * 6)
        rows.append(
            {
                "key": f"bench:{n}",
                "arxiv_id": None,
                "version": None,
                "doi": None,
                "title_norm": normalise_title(title)[:500],
                "title": title,
                "abstract": " ".join(abstract_words).capitalize() + ".",
                "authors": authors,
                "categories": [],
                "published": published,
                "updated": None,
                "links": {},
                "sources": ["bench"],
                "first_seen": published,
                "last_seen": published,
            }
        )
    return rows


def build(path: Path, data: Path, count: int) -> None:
    """Write the corpus through the real schema (migrations, FTS5 triggers) into `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    print(f"building {count:,} papers into {path} (once; cached after)", flush=True)
    started = time.perf_counter()
    bags = load_bags(data)
    rng = random.Random(GENERATOR_VERSION)
    store = open_store(f"sqlite:///{partial}", migrate=True)
    try:
        for first in range(0, count, BATCH):
            rows = synthetic_rows(bags, first, min(BATCH, count - first), rng)
            with store.begin() as conn:
                conn.execute(insert(papers), rows)
            if (first // BATCH) % 10 == 9:
                done = first + BATCH
                print(f"  {done:,} papers, {time.perf_counter() - started:.0f} s", flush=True)
        with store.begin() as conn:
            conn.execute(text("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')"))
            conn.execute(text("ANALYZE"))
    finally:
        store.close()
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def like_scan(conn: Connection, query: str) -> int:
    """The baseline: every word as LIKE '%word%' on title, abstract or authors, newest first."""
    words = [w.strip('"*') for w in query.split() if w.strip('"*')]
    clauses = " AND ".join(
        f"(title LIKE :w{i} OR abstract LIKE :w{i} OR authors LIKE :w{i})"
        for i in range(len(words))
    )
    statement = text(
        f"SELECT id, title FROM papers WHERE {clauses} ORDER BY published DESC, id DESC LIMIT 21"
    )
    return len(conn.execute(statement, {f"w{i}": f"%{w}%" for i, w in enumerate(words)}).all())


def timed(call: Callable[[], Any], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_similar(store: Store, repeats: int) -> list[float]:
    """ms of similar_view for 10 papers spread over the corpus (fits a model once if needed)."""
    import sklearn

    with store.connect() as conn:
        fitted = stored_text_model(conn)
        sample = conn.execute(
            text("SELECT key, title, abstract FROM papers WHERE id % 15 = 0")
        ).all()
    if fitted is None:
        print(f"fitting a text model on {len(sample):,} papers (once)", flush=True)
        model = Ranker().fit([f"{row.title}. {row.abstract}" for row in sample])
        with store.begin() as conn:
            blob = pickle.dumps(model)
            now = datetime.now(UTC)
            save_ranker_model(
                conn, model.params(), model.corpus_size, sklearn.__version__, blob, now
            )
    keys = [row.key for row in sample[:: max(1, len(sample) // 10)][:10]]
    similar_view(store, "bench", keys[0], 1)  # warm up
    times: list[float] = []
    for key in keys:
        times += timed(lambda k=key: similar_view(store, "bench", k, 1), repeats)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=7, help="runs of each search")
    parser.add_argument("--like-repeats", type=int, default=2, help="runs of each LIKE scan")
    parser.add_argument("--data", type=Path, default=None, help="citeulike-t folder")
    parser.add_argument("--similar", action="store_true", help='also time "similar to this"')
    args = parser.parse_args()
    path = cache_path(args.papers)
    if not path.exists():
        build(path, args.data or find_data(), args.papers)
    store = open_store(f"sqlite:///{path}", migrate=True)  # a cache made by an older schema
    table = Table(
        title=f"Search over {args.papers:,} papers, SQLite FTS5, ms "
        f"(search x{args.repeats}, LIKE x{args.like_repeats})"
    )
    for column in ("query", "matches≥", "search med", "search p95", "page 5 med", "LIKE med"):
        table.add_column(column, justify="right")
    every_search: list[float] = []
    every_like: list[float] = []
    try:
        with store.connect() as conn:
            search_papers(conn, "warm up the page cache")
            for query in QUERIES:
                first = search_papers(conn, query, 1, 20)
                found = len(first.hits) if not first.has_next else 21
                searched = timed(lambda q=query: search_papers(conn, q, 1, 20), args.repeats)
                paged = timed(lambda q=query: search_papers(conn, q, 5, 20), args.repeats)
                liked = timed(lambda q=query: like_scan(conn, q), args.like_repeats)
                every_search += searched
                every_like += liked
                table.add_row(
                    query,
                    f"{found}{'+' if first.has_next else ''}",
                    f"{statistics.median(searched):.1f}",
                    f"{p95(searched):.1f}",
                    f"{statistics.median(paged):.1f}",
                    f"{statistics.median(liked):.0f}",
                )
        similar = time_similar(store, 3) if args.similar else []
    finally:
        store.close()
    median = statistics.median(every_search)
    verdict = "ok" if median < TARGET_MS else "MISSED"
    table.add_row(
        "all queries",
        "",
        f"{median:.1f}",
        f"{p95(every_search):.1f}",
        "",
        f"{statistics.median(every_like):.0f}",
        style="bold",
    )
    Console(width=120).print(table)
    print(
        f"search median {median:.1f} ms (target < {TARGET_MS:.0f} ms: {verdict}); "
        f"LIKE scan median {statistics.median(every_like):.0f} ms; database {path}"
    )
    if similar:
        print(
            f'"similar to this" page content: median {statistics.median(similar):.0f} ms, '
            f"p95 {p95(similar):.0f} ms over {len(similar)} runs (10 papers)"
        )


if __name__ == "__main__":
    main()
