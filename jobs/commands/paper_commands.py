"""`papersift refresh | papers | search | feeds | migrate`: the stored papers and their feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from jobs import refresh_feeds
from jobs.cli_app import ConfigOption, command, finish, now_utc, out, table, working
from jobs.commands.config_commands import mask_url
from jobs.commands.worker_commands import WorkersOption, apply_task_schema, workers_mode
from jobs.context import migrate_database, open_settings, open_store_for
from jobs.library import PendingReport
from jobs.refresh_feeds import FeedOutcome
from recommender.effective import load_effective_settings
from recommender.errors import InputError
from recommender.store.feeds import all_feed_states
from recommender.store.papers import list_papers
from recommender.store.search import search_papers
from recommender.text import short_title


def parse_date(value: str) -> datetime:
    """A YYYY-MM-DD (or ISO) date given on the command line, as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"--since {value!r} is not a date", "Write it as YYYY-MM-DD, e.g. 2024-03-26"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def outcome_row(outcome: FeedOutcome) -> list[object]:
    """One line of the refresh table."""
    return [
        outcome.name,
        outcome.status,
        outcome.fetched,
        outcome.new,
        outcome.updated,
        outcome.unchanged,
        outcome.error or ("; ".join(outcome.warnings[:2]) if outcome.warnings else ""),
        f"{outcome.seconds:.2f}s",
    ]


def print_pending(pending: PendingReport) -> None:
    """One line about likes that waited for a lookup, when there were any."""
    parts = []
    if pending.resolved:
        parts.append(f"{len(pending.resolved)} resolved ({', '.join(pending.resolved)})")
    if pending.waiting:
        parts.append(f"{pending.waiting} still waiting (`papersift profile USER` says why)")
    if parts:
        out.print(f"Pending likes: {'; '.join(parts)}.", markup=False)


REFRESH_COLUMNS = ["feed", "status", "fetched", "new", "updated", "skipped", "errors", "time"]


@command("refresh")
def refresh(
    config: ConfigOption = None,
    due_only: Annotated[
        bool, typer.Option("--due-only", help="Only feeds whose interval has passed.")
    ] = False,
) -> None:
    """Fetch every feed, store new papers, and show per feed what happened.

    Uses conditional GET (ETag / Last-Modified), so a second run right away is cheap and
    stores nothing twice.

    Example: papersift refresh --config config.toml
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        # Invited users' pending likes are tried again too.
        settings = load_effective_settings(settings, store)
        with working("Refreshing feeds…"):
            report = refresh_feeds.run(settings, store, now_utc(), due_only=due_only)
    finally:
        store.close()
    out.print(table("Refresh", REFRESH_COLUMNS, [outcome_row(o) for o in report.outcomes]))
    print_pending(report.pending)
    finish([f"feed {o.name}: {o.error}" for o in report.failed])


@command("papers")
def papers(
    config: ConfigOption = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Text in the title, abstract or authors.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only papers stored since DATE (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per paper.")] = False,
) -> None:
    """List stored papers, newest published first (undated ones last).

    Example: papersift papers --search "reward model" --since 2024-03-01 --json
    """
    settings = open_settings(config)
    since_at = parse_date(since) if since else None
    store = open_store_for(settings)
    try:
        with store.begin() as conn:
            found = list_papers(conn, search=search, since=since_at, limit=limit or None)
    finally:
        store.close()
    if as_json:
        for paper in found:
            record = {
                "key": paper.key,
                "arxiv_id": paper.arxiv_id,
                "version": paper.version,
                "doi": paper.doi,
                "title": paper.title,
                "authors": paper.authors,
                "abstract": paper.abstract,
                "categories": paper.categories,
                "published": paper.published.isoformat() if paper.published else None,
                "updated": paper.updated.isoformat() if paper.updated else None,
                "links": paper.links,
                "sources": paper.sources,
                "first_seen": paper.first_seen.isoformat(),
            }
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    rows = [
        [
            p.arxiv_id or p.doi or p.key,
            short_title(p.title),
            ", ".join(p.authors[:2]) + (" et al." if len(p.authors) > 2 else ""),
            p.published.date() if p.published else "",
            ", ".join(p.sources),
        ]
        for p in found
    ]
    out.print(
        table(f"{len(found)} papers", ["id", "title", "authors", "published", "sources"], rows)
    )


@command("search")
def search(
    query: Annotated[
        str, typer.Argument(help='Words to find; "quotes" keep a phrase, word* a prefix.')
    ],
    config: ConfigOption = None,
    page: Annotated[int, typer.Option("--page", min=1, help="Which page of results.")] = 1,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Results per page.")] = 20,
) -> None:
    """Full-text search of the stored papers' title, abstract and authors, best match first.

    The same search as the web search page (SQLite FTS5 or PostgreSQL text search).

    Example: papersift search '"reward model" overoptim*' --page 2
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        with store.connect() as conn, conn.begin():
            found = search_papers(conn, query, page, limit)
    finally:
        store.close()
    rows = [
        [
            f"{hit.score:.3g}",
            hit.paper.arxiv_id or hit.paper.doi or hit.paper.key,
            short_title(hit.paper.title),
            ", ".join(hit.paper.authors[:2]) + (" et al." if len(hit.paper.authors) > 2 else ""),
            hit.paper.published.date() if hit.paper.published else "",
        ]
        for hit in found.hits
    ]
    more = f", more with --page {page + 1}" if found.has_next else ""
    title = f"{len(found.hits)} results, page {page}{more}"
    out.print(table(title, ["score", "id", "title", "authors", "published"], rows))
    if not found.terms:
        out.print("Nothing to search for: the query holds no letters or digits.", markup=False)


@command("feeds")
def feeds(config: ConfigOption = None) -> None:
    """Show each configured feed's state: last fetch, ETag, error count, last error.

    Example: papersift feeds
    """
    settings = open_settings(config)
    store = open_store_for(settings)
    try:
        with store.begin() as conn:
            states = {s.name: s for s in all_feed_states(conn)}
    finally:
        store.close()
    rows = []
    for feed in settings.feeds:
        state = states.get(feed.name)
        if state is None:
            rows.append([feed.name, feed.kind, "never", "", "", 0, ""])
            continue
        rows.append(
            [
                feed.name,
                feed.kind,
                _when(state.last_fetch_at),
                _when(state.last_success_at),
                state.etag or "",
                state.error_count,
                state.last_error or "",
            ]
        )
    columns = ["feed", "kind", "last fetch", "last success", "ETag", "errors", "last error"]
    out.print(table("Feeds", columns, rows))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


@command("migrate")
def migrate(config: ConfigOption = None, workers: WorkersOption = False) -> None:
    """Bring the database schema up to date (safe to run any time; keeps all data).

    In workers mode (PostgreSQL, a [workers] section or --workers) it also creates the task
    queue's tables (procrastinate's schema) once.

    Example: papersift migrate --config /etc/papersift/config.toml
    """
    settings = open_settings(config)
    shared = workers_mode(settings, workers)
    applied = migrate_database(settings.database_url)
    done = f" (applied: {', '.join(applied)})" if applied else " (nothing to apply)"
    if shared:
        done += f"; {apply_task_schema(settings)}"
    out.print(f"{mask_url(settings.database_url)}: schema up to date{done}")
