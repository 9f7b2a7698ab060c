"""Refresh over real HTTP: Retry-After is honoured, paged APIs are followed to the end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from feed_server import FeedServer

from jobs import refresh_feeds
from recommender.config import FeedSettings, Settings
from recommender.store.engine import Store, open_store
from recommender.store.feeds import get_feed_state
from recommender.store.papers import count_papers

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"
NOW = datetime(2026, 9, 10, 6, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    yield opened
    opened.close()


def test_retry_after_is_honoured_even_by_a_manual_refresh(
    store: Store, feed_server: FeedServer
) -> None:
    feed = FeedSettings(
        name="busy", kind="rss", url=feed_server.url("/status/429?retry_after=7200")
    )
    settings = Settings(feeds=[feed])
    first = refresh_feeds.run(settings, store, NOW)
    assert first.outcomes[0].status == "failed" and "429" in first.outcomes[0].error
    with store.begin() as conn:
        state = get_feed_state(conn, "busy")
    assert state is not None and state.error_count == 1 and state.last_status == 429
    assert state.next_check_at is not None and state.next_check_at >= NOW + timedelta(seconds=7200)
    asked = len(feed_server.requests)
    second = refresh_feeds.run(settings, store, NOW + timedelta(minutes=5))
    assert second.outcomes[0].status == "skipped"
    assert second.outcomes[0].warnings == ["the server asked to wait until 2026-09-10 08:00 UTC"]
    assert len(feed_server.requests) == asked  # nothing was sent
    later = refresh_feeds.run(settings, store, NOW + timedelta(hours=3))
    assert later.outcomes[0].status == "failed"
    with store.begin() as conn:
        state = get_feed_state(conn, "busy")
    assert state is not None and state.error_count == 2


class PagedBiorxiv(BaseHTTPRequestHandler):
    """The bioRxiv `details` API: two records a page, the cursor as the last path segment."""

    records = json.loads(
        (FIXTURES / "biorxiv_details_api_cancer-biology_2026-09-07_trimmed.json").read_bytes()
    )

    def do_GET(self) -> None:
        cursor = int(self.path.rstrip("/").rsplit("/", 1)[-1])
        collection = self.records["collection"][cursor : cursor + 2]
        total = len(self.records["collection"])
        message = dict(
            self.records["messages"][0], cursor=cursor, count=len(collection), total=str(total)
        )
        body = json.dumps({"messages": [message], "collection": collection}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_paged_api_is_followed_to_its_last_page(store: Store) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PagedBiorxiv)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/details/biorxiv/2026-09-07/2026-09-09/0"
        settings = Settings(feeds=[FeedSettings(name="biorxiv", kind="biorxiv", url=url)])
        report = refresh_feeds.run(settings, store, NOW)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert report.outcomes[0].status == "ok", report.outcomes[0].error
    assert report.outcomes[0].fetched == 4 and report.outcomes[0].new == 4
    with store.begin() as conn:
        assert count_papers(conn) == 4


def test_a_failing_feed_backs_off_doubling_its_interval_up_to_a_day_and_recovers(
    store: Store, feed_server: FeedServer
) -> None:
    broken = FeedSettings(
        name="broken", kind="rss", url=feed_server.url("/status/500"), interval_minutes=60
    )
    settings = Settings(feeds=[broken])
    now, waits = NOW, []
    for _ in range(7):
        outcome = refresh_feeds.run(settings, store, now, due_only=True).outcomes[0]
        assert outcome.status == "failed" and "500" in outcome.error
        with store.begin() as conn:
            state = get_feed_state(conn, "broken")
        assert state is not None and state.next_check_at is not None
        waits.append(state.next_check_at - now)
        # A scheduled refresh before the wait is over does not ask the server again.
        asked = len(feed_server.requests)
        early = refresh_feeds.run(
            settings, store, state.next_check_at - timedelta(minutes=1), due_only=True
        )
        assert early.outcomes[0].status == "skipped" and len(feed_server.requests) == asked
        now = state.next_check_at
    assert [w / timedelta(hours=1) for w in waits] == [1, 2, 4, 8, 16, 24, 24]
    assert state.error_count == 7
    # Back to health: the error count resets and the next wait is the plain interval again.
    fixed = broken.model_copy(
        update={"url": feed_server.url("/feeds/arxiv_rss2_stat_2024-03-26.xml")}
    )
    healed = refresh_feeds.run(Settings(feeds=[fixed]), store, now, due_only=True).outcomes[0]
    assert healed.status == "ok", healed.error
    with store.begin() as conn:
        state = get_feed_state(conn, "broken")
    assert state is not None and state.error_count == 0
    assert state.next_check_at == now + timedelta(hours=1)
