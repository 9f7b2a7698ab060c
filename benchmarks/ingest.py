"""Ingest throughput: parse + store 10,000 arXiv RSS items on SQLite, then the same again.

    .venv/bin/python benchmarks/ingest.py [--items 10000] [--repeats 3]

The feed is built from the real captured arXiv RSS sample (tests/fixtures/feeds), its 40 items
repeated with new ids. Each repeat uses a fresh SQLite file. Prints a table of medians.
Targets on the 2-core machine: 10,000 new papers stored in under 10 s; the no-change run in
under 2 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from jobs.refresh_feeds import refresh_feed
from recommender.config import FeedSettings, Settings
from recommender.feeds.parse import parse_feed
from recommender.store.engine import open_store
from recommender.store.papers import save_papers

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "feeds" / "arxiv_rss2_stat_2024-03-26.xml"
ITEM = re.compile(rb"<item>.*?</item>", re.S)
ARXIV_ID = re.compile(rb"\d{4}\.\d{4,5}")
DOI = re.compile(rb"<arxiv:DOI>.*?</arxiv:DOI>", re.S)


def synthetic_feed(items: int) -> bytes:
    """The sample feed with its items repeated under fresh arXiv ids and distinct titles."""
    raw = SAMPLE.read_bytes()
    originals = ITEM.findall(raw)
    made = []
    for n in range(items):
        item = originals[n % len(originals)]
        new_id = f"{2403 + n // 90000:04d}.{n % 90000 + 10000:05d}".encode()
        item = ARXIV_ID.sub(new_id, item)
        # Journal DOIs would make the copies one paper; give each copy its own.
        item = DOI.sub(f"<arxiv:DOI>10.5555/bench.{n}</arxiv:DOI>".encode(), item)
        item = item.replace(b"<title>", f"<title>[{n}] ".encode(), 1)
        made.append(item)
    head = raw[: raw.index(originals[0])]
    tail = raw[raw.rindex(originals[-1]) + len(originals[-1]) :]
    return head + b"\n".join(made) + tail


def ingest(body: bytes, url: str) -> tuple[float, float, int, int]:
    """Seconds to parse and to store; how many papers were new and unchanged."""
    started = time.perf_counter()
    parsed = parse_feed(body, "arxiv-rss", "bench")
    parsed_at = time.perf_counter()
    store = open_store(url, migrate=True)
    try:
        with store.begin() as conn:
            saved = save_papers(conn, parsed.papers, datetime.now(UTC))
    finally:
        store.close()
    return parsed_at - started, time.perf_counter() - parsed_at, saved.new, saved.unchanged


def refresh_twice(body: bytes, folder: Path) -> tuple[float, float]:
    """`papersift refresh` of a file feed with these items, then again with the file unchanged."""
    feed_file = folder / "feed.xml"
    feed_file.write_bytes(body)
    feed = FeedSettings(name="bench", kind="file", path=str(feed_file), format="arxiv-rss")
    settings = Settings(feeds=[feed], storage={"url": f"sqlite:///{folder / 'refresh.db'}"})
    store = open_store(settings.database_url, migrate=True)
    times = []
    try:
        with httpx.Client() as client:
            for _ in range(2):
                started = time.perf_counter()
                refresh_feed(settings, store, feed, client, datetime.now(UTC))
                times.append(time.perf_counter() - started)
    finally:
        store.close()
    return times[0], times[1]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--items", type=int, default=10_000)
    options.add_argument("--repeats", type=int, default=3)
    args = options.parse_args()
    body = synthetic_feed(args.items)
    runs: dict[str, list[tuple[float, float, int, int]]] = {"new": [], "nothing new": []}
    refreshes: list[tuple[float, float]] = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            runs["new"].append(ingest(body, url))
            runs["nothing new"].append(ingest(body, url))
            refreshes.append(refresh_twice(body, Path(folder)))
        print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
    table = Table(title=f"Ingest: {args.items:,} arXiv RSS items, SQLite, median of {args.repeats}")
    for column in (
        "run",
        "papers new",
        "unchanged",
        "parse s",
        "store s",
        "total s",
        "papers/s",
        "target",
    ):
        table.add_column(column, justify="right")
    targets = {"new": 10.0, "nothing new": 2.0}
    for name, results in runs.items():
        parse_s = statistics.median(r[0] for r in results)
        store_s = statistics.median(r[1] for r in results)
        total = statistics.median(r[0] + r[1] for r in results)
        verdict = "ok" if total < targets[name] else "MISSED"
        table.add_row(
            name,
            f"{results[0][2]:,}",
            f"{results[0][3]:,}",
            f"{parse_s:.2f}",
            f"{store_s:.2f}",
            f"{total:.2f}",
            f"{args.items / total:,.0f}",
            f"< {targets[name]:.0f} s {verdict}",
        )
    Console(width=120).print(table)
    first = statistics.median(r[0] for r in refreshes)
    again = statistics.median(r[1] for r in refreshes)
    print(
        f"papersift refresh of the same feed (file kind): first run {first:.2f} s, "
        f"second run with the feed unchanged {again:.3f} s (content hash / conditional GET)"
    )


if __name__ == "__main__":
    main()
