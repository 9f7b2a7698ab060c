"""Refresh: fetch every configured feed, parse it, store new papers and the feed's state.

One bad feed never stops the others: each feed is its own transaction and its own outcome.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from jobs.library import PendingReport, resolve_pending_feedback
from jobs.outcomes import FeedStatus
from recommender.config import FeedSettings, Settings
from recommender.errors import FeedError, FeedHTTPError
from recommender.feeds.fetch import USER_AGENT, fetch_feed
from recommender.feeds.parse import ParseResult, parse_feed
from recommender.store.engine import Store
from recommender.store.feeds import (
    FeedState,
    get_feed_state,
    record_feed_failure,
    record_feed_not_modified,
    record_feed_success,
)
from recommender.store.papers import save_papers

MAX_BACKOFF = timedelta(hours=24)
MAX_PAGES = 50  # of a paged API in one refresh
# Statuses whose Retry-After we honour even when a person asks for a refresh right away.
BACKOFF_STATUSES = (429, 503)


@dataclass
class FeedOutcome:
    """What happened to one feed in one refresh."""

    name: str
    status: FeedStatus
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    error: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class RefreshReport:
    """Per-feed outcomes of one refresh."""

    outcomes: list[FeedOutcome] = field(default_factory=list)
    pending: PendingReport = field(default_factory=PendingReport)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.status == FeedStatus.FAILED]

    @property
    def new_papers(self) -> int:
        return sum(o.new for o in self.outcomes)


def feed_url(feed: FeedSettings) -> str:
    """The URL fetched for a feed, with the query parameters its kind needs."""
    url = feed.endpoint()
    if feed.kind == "arxiv-api" and feed.query and "search_query=" not in url:
        params = {
            "search_query": feed.query,
            "start": 0,
            "max_results": feed.max_results,
            "sortBy": "submittedDate",
            "sortOrder": "descending",
        }
        url += ("&" if "?" in url else "?") + urlencode(params)
    return url


def _waiting_note(state: FeedState | None, now: datetime, due_only: bool) -> str:
    """Why a feed is not fetched now, or "" when it should be."""
    if state is None or state.next_check_at is None or state.next_check_at <= now:
        return ""
    # A server's Retry-After is honoured even when a person asks for a refresh right away.
    if state.last_status in BACKOFF_STATUSES:
        return f"the server asked to wait until {state.next_check_at:%Y-%m-%d %H:%M} UTC"
    if due_only:
        return f"not due until {state.next_check_at:%Y-%m-%d %H:%M} UTC"
    return ""


def _backoff(feed: FeedSettings, error_count: int) -> timedelta:
    # Doubles the interval per consecutive failure, so a broken feed is not hammered.
    interval = timedelta(minutes=feed.interval_minutes)
    return min(interval * (2 ** min(error_count, 10)), MAX_BACKOFF)


def _read_file_feed(settings: Settings, feed: FeedSettings) -> bytes:
    path = settings.resolve(feed.path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FeedError(
            f"cannot read {path} ({exc.strerror})",  # the caller names the feed
            "Fix `path` in the feed's config",
        ) from None


def _remaining_pages(
    client: httpx.Client, feed: FeedSettings, url: str, first: ParseResult
) -> ParseResult:
    """Follow the bioRxiv `details` API's cursor (…/<interval>/<cursor>) to the last page."""
    papers, warnings, seen = list(first.papers), list(first.warnings), first.items_seen
    cursor, pages = first.next_cursor, 1
    base = url.rstrip("/")
    if base.rsplit("/", 1)[-1].isdigit():
        base = base.rsplit("/", 1)[0]
    while cursor is not None:
        if pages >= MAX_PAGES:
            warnings.append(f"stopped after {MAX_PAGES} pages; the rest waits for the next run")
            break
        page = fetch_feed(
            client,
            f"{base}/{cursor}",
            etag=None,
            last_modified=None,
            timeout=feed.timeout_seconds,
            max_bytes=feed.max_bytes,
        )
        parsed = parse_feed(page.body, "biorxiv", feed.name)
        papers += parsed.papers
        warnings += parsed.warnings
        seen += parsed.items_seen
        cursor, pages = parsed.next_cursor, pages + 1
    return ParseResult(papers=papers, warnings=warnings, items_seen=seen)


def refresh_feed(
    settings: Settings, store: Store, feed: FeedSettings, client: httpx.Client, now: datetime
) -> FeedOutcome:
    """Fetch, parse and store one feed; errors are recorded on the feed row, not raised."""
    started = time.monotonic()
    outcome = FeedOutcome(feed.name, FeedStatus.OK)
    with store.begin() as conn:
        state = get_feed_state(conn, feed.name)
    etag = state.etag if state else None
    last_modified = state.last_modified if state else None
    url = feed_url(feed) if feed.kind != "file" else str(settings.resolve(feed.path))
    next_check = now + timedelta(minutes=feed.interval_minutes)
    try:
        if feed.kind == "file":
            body = _read_file_feed(settings, feed)
            digest = '"sha256:' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if digest == etag:
                status, body = 304, b""
            else:
                status, etag = 200, digest
        else:
            result = fetch_feed(
                client,
                url,
                etag=etag,
                last_modified=last_modified,
                timeout=feed.timeout_seconds,
                max_bytes=feed.max_bytes,
            )
            status, body = result.status, result.body
            etag, last_modified = result.etag or etag, result.last_modified or last_modified
        if status == 304:
            outcome.status = FeedStatus.NOT_MODIFIED
            with store.begin() as conn:
                record_feed_not_modified(
                    conn, feed.name, feed.kind, url, now=now, next_check_at=next_check
                )
            return outcome
        kind = feed.format if feed.kind == "file" else feed.kind
        parsed: ParseResult = parse_feed(body, kind, feed.name)
        if feed.kind == "biorxiv":
            parsed = _remaining_pages(client, feed, url, parsed)
        outcome.fetched = parsed.items_seen
        outcome.warnings = list(parsed.warnings)
        # Papers and the feed's new validators commit together: a crash in between would
        # otherwise leave an ETag that hides papers we never stored.
        with store.begin() as conn:
            saved = save_papers(conn, parsed.papers, now)
            record_feed_success(
                conn,
                feed.name,
                feed.kind,
                url,
                etag=etag,
                last_modified=last_modified,
                now=now,
                next_check_at=next_check,
                papers_total=len(parsed.papers),
            )
        outcome.new, outcome.updated, outcome.unchanged = saved.new, saved.updated, saved.unchanged
    except FeedError as exc:
        outcome.status = FeedStatus.FAILED
        outcome.error = str(exc)
        errors_so_far = (state.error_count if state else 0) + 1
        retry_at = now + _backoff(feed, errors_so_far - 1)
        status_code = exc.status if isinstance(exc, FeedHTTPError) else None
        if isinstance(exc, FeedHTTPError) and exc.retry_after is not None:
            retry_at = max(retry_at, now + timedelta(seconds=exc.retry_after))
        with store.begin() as conn:
            record_feed_failure(
                conn,
                feed.name,
                feed.kind,
                url,
                error=str(exc),
                status=status_code,
                now=now,
                next_check_at=retry_at,
            )
    finally:
        outcome.seconds = time.monotonic() - started
    return outcome


def run(
    settings: Settings,
    store: Store,
    now: datetime,
    *,
    due_only: bool = False,
    client: httpx.Client | None = None,
    on_feed: Callable[[FeedOutcome], None] | None = None,
) -> RefreshReport:
    """Refresh every configured feed (only those due, with `due_only`)."""
    report = RefreshReport()
    own_client = client is None
    client = client or httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    try:
        for feed in settings.feeds:
            with store.begin() as conn:
                state = get_feed_state(conn, feed.name)
            waiting = _waiting_note(state, now, due_only)
            if waiting:
                outcome = FeedOutcome(feed.name, FeedStatus.SKIPPED, warnings=[waiting])
            else:
                outcome = refresh_feed(settings, store, feed, client, now)
            report.outcomes.append(outcome)
            if on_feed:
                on_feed(outcome)
        # After the feeds: a paper one of them just brought needs no lookup.
        report.pending = resolve_pending_feedback(settings, store, now, client)
    finally:
        if own_client:
            client.close()
    return report
