"""Library upload: the "Add papers" page's upload path vs `papersift import` on the same file.

    .venv/bin/python benchmarks/library_upload.py [--entries 1000 5000] [--repeats 3]

Builds a Zotero-like BibTeX export of N entries (title, authors, DOI, abstract), then on a
fresh SQLite file per repeat runs the page's path (read_library_export: detect, decode, parse;
then save_and_like: store and like as one batch, noting what each like replaced) and, as the
baseline in the same run, jobs.library.import_bibtex (the CLI's import of the same file).
Also times the batch's Undo. Prints medians. No target is set for uploads; the table shows
what the batch bookkeeping costs over the plain import.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jobs.library import import_bibtex
from recommender.config import UserSettings
from recommender.feeds.library_file import read_library_export
from recommender.models import FeedbackOrigin
from recommender.store.engine import open_store
from recommender.store.like_batches import LikeBatch, UndoItem, save_and_like, undo_batch

NOW = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)


def export(entries: int) -> bytes:
    """A BibTeX export shaped like Zotero's, one entry per distinct paper."""
    return "".join(
        f"@article{{paper_{n}_2024,\n\ttitle = {{A study of question {n} in sparse networks}},\n"
        f"\tauthor = {{Doe, Jane and Roe, Richard and Moe, Mary}},\n\tdoi = {{10.5555/bench.{n}}},\n"
        f"\tabstract = {{We study question {n} on sparse random graphs with spectral methods "
        "and report bounds, simulations and data from three settings.}},\n"
        "\tjournal = {Journal of Benchmarks},\n\tyear = {2024},\n}\n\n"
        for n in range(entries)
    ).encode()


def page_path(folder: Path, data: bytes) -> tuple[float, float, float]:
    """Seconds to parse, to store and like as a batch, and to undo it."""
    store = open_store(f"sqlite:///{folder / 'page.db'}", migrate=True)
    try:
        started = time.perf_counter()
        parsed = read_library_export(data, "export.bib").parsed
        parsed_at = time.perf_counter()
        batch = LikeBatch(at=NOW, origin=FeedbackOrigin.IMPORT)
        with store.begin() as conn:
            save_and_like(conn, "alice", parsed.papers, batch)
        stored_at = time.perf_counter()
        items = [UndoItem(item.paper.key) for item in batch.added]
        with store.begin() as conn:
            undo_batch(conn, "alice", batch.origin, NOW, items, [], NOW + timedelta(minutes=1))
        return parsed_at - started, stored_at - parsed_at, time.perf_counter() - stored_at
    finally:
        store.close()


def cli_import(folder: Path, data: bytes) -> float:
    """Seconds for `papersift import`'s import_bibtex (parse, store, like) of the same file."""
    path = folder / "export.bib"
    path.write_bytes(data)
    store = open_store(f"sqlite:///{folder / 'cli.db'}", migrate=True)
    user = UserSettings(id="alice", email="alice@example.org")
    try:
        started = time.perf_counter()
        import_bibtex(store, user, path, NOW, FeedbackOrigin.IMPORT)
        return time.perf_counter() - started
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    table = Table(title=f"Library upload on SQLite (median of {args.repeats})")
    for column in ("entries", "KB", "parse s", "store+like s", "page total s", "undo s",
                   "papersift import s"):  # fmt: skip
        table.add_column(column, justify="right")
    for entries in args.entries:
        data = export(entries)
        page: list[tuple[float, float, float]] = []
        cli: list[float] = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix="papersift-bench-") as folder:
                page.append(page_path(Path(folder), data))
                cli.append(cli_import(Path(folder), data))
        parse, store, undo = (statistics.median(run[i] for run in page) for i in range(3))
        table.add_row(
            str(entries),
            f"{len(data) / 1000:.0f}",
            f"{parse:.2f}",
            f"{store:.2f}",
            f"{parse + store:.2f}",
            f"{undo:.2f}",
            f"{statistics.median(cli):.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
