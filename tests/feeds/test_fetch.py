"""fetch_feed against a real HTTP server on 127.0.0.1 (see tests/feed_server.py)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
from feed_server import LAST_MODIFIED, FeedServer

from recommender.errors import FeedHTTPError, FeedParseError, FeedTooLarge, FeedUnreachable
from recommender.feeds import FetchResult, fetch_feed, parse_feed
from recommender.feeds.fetch import retry_after_seconds

STAT = "/feeds/arxiv_rss2_stat_2024-03-26.xml"


def fetch(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 5.0,
    max_bytes: int = 20_000_000,
) -> FetchResult:
    return fetch_feed(
        client, url, etag=etag, last_modified=last_modified, timeout=timeout, max_bytes=max_bytes
    )


def test_200_returns_body_and_validators(
    feed_server: FeedServer, http_client: httpx.Client, fixtures_dir: Path
) -> None:
    result = fetch(http_client, feed_server.url(STAT))
    assert result.status == 200
    assert result.body == (fixtures_dir / STAT.rsplit("/", 1)[1]).read_bytes()
    assert result.etag is not None and result.etag.startswith('"')
    assert result.last_modified == LAST_MODIFIED
    assert result.url == feed_server.url(STAT)
    assert len(parse_feed(result.body, "auto", "stat").papers) == 40


def test_conditional_requests_get_304(feed_server: FeedServer, http_client: httpx.Client) -> None:
    first = fetch(http_client, feed_server.url(STAT))
    by_etag = fetch(http_client, feed_server.url(STAT), etag=first.etag)
    assert (by_etag.status, by_etag.body) == (304, b"")
    assert by_etag.etag == first.etag
    by_date = fetch(http_client, feed_server.url(STAT), last_modified=first.last_modified)
    assert (by_date.status, by_date.body) == (304, b"")
    changed = fetch(http_client, feed_server.url(STAT), etag='"stale"')
    assert changed.status == 200 and changed.body
    sent = feed_server.requests
    assert sent[1].headers["If-None-Match"] == first.etag
    assert sent[2].headers["If-Modified-Since"] == LAST_MODIFIED
    assert "If-None-Match" not in sent[2].headers


def test_redirects_are_followed_and_the_final_url_reported(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    result = fetch(http_client, feed_server.url(f"/redirect?to={STAT}"))
    assert result.status == 200
    assert result.url == feed_server.url(STAT)


def test_429_with_retry_after_seconds(feed_server: FeedServer, http_client: httpx.Client) -> None:
    with pytest.raises(FeedHTTPError) as caught:
        fetch(http_client, feed_server.url("/status/429?retry_after=120"))
    error = caught.value
    assert (error.status, error.retry_after) == (429, 120.0)
    assert (
        error.what
        == f"HTTP 429 Too Many Requests from {feed_server.url('/status/429?retry_after=120')}"
    )
    assert error.hint == "The server is rate-limiting; Papersift waits before asking again"


def test_429_with_retry_after_http_date(feed_server: FeedServer, http_client: httpx.Client) -> None:
    with pytest.raises(FeedHTTPError) as caught:
        fetch(http_client, feed_server.url("/status/429?retry_after_in=90"))
    assert caught.value.retry_after == 90.0


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (500, "The server has a problem; the feed is tried again later"),
        (503, "The server has a problem; the feed is tried again later"),
        (404, "Check the feed URL; the feed may have moved"),
    ],
)
def test_error_statuses(
    feed_server: FeedServer, http_client: httpx.Client, status: int, hint: str
) -> None:
    with pytest.raises(FeedHTTPError) as caught:
        fetch(http_client, feed_server.url(f"/status/{status}"))
    assert caught.value.status == status
    assert caught.value.retry_after is None
    assert caught.value.hint == hint


def test_missing_feed_file_is_404(feed_server: FeedServer, http_client: httpx.Client) -> None:
    with pytest.raises(FeedHTTPError) as caught:
        fetch(http_client, feed_server.url("/feeds/no-such-feed.xml"))
    assert caught.value.status == 404


def test_arxiv_api_400_carries_the_api_message(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(FeedHTTPError) as caught:
        fetch(http_client, feed_server.url("/api/query?id_list=abc"))
    assert caught.value.status == 400
    assert caught.value.what.endswith(": incorrect id format for abc")


def test_slow_drip_is_cut_at_the_deadline(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    # 20 bytes, one every 0.7 s: each read is well within the timeout, the body would take 14 s;
    # checking the clock only when a byte arrives would give up at 1.4 s, not at the deadline.
    url = feed_server.url("/slow?interval=0.7&chunks=20")
    started = time.monotonic()
    with pytest.raises(FeedUnreachable) as caught:
        fetch(http_client, url, timeout=1.0)
    elapsed = time.monotonic() - started
    assert 0.95 < elapsed < 1.3
    assert caught.value.what == f"{url} did not send the whole feed within the 1 s deadline"
    # The cut connection is dropped from the pool; the same client keeps working.
    assert fetch(http_client, feed_server.url(STAT)).status == 200


def test_dripped_headers_are_cut_at_the_deadline(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    url = feed_server.url("/drip-headers?interval=0.3&count=20")
    started = time.monotonic()
    with pytest.raises(FeedUnreachable, match="within the 1 s deadline"):
        fetch(http_client, url, timeout=1.0)
    assert time.monotonic() - started < 1.3


def test_a_slow_but_timely_body_is_fine(feed_server: FeedServer, http_client: httpx.Client) -> None:
    result = fetch(http_client, feed_server.url("/slow?interval=0.05&chunks=5"), timeout=3.0)
    assert result.body == b"     "


def test_oversized_body_with_content_length(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(FeedTooLarge) as caught:
        fetch(http_client, feed_server.url("/big?size=300000"), max_bytes=100_000)
    assert str(caught.value) == (
        "feed body is larger than 100000 bytes. Raise max_bytes for this feed or check the URL"
    )


def test_oversized_body_without_content_length(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(FeedTooLarge, match="larger than 100000 bytes"):
        fetch(http_client, feed_server.url("/big?size=300000&length=no"), max_bytes=100_000)


def test_body_without_content_length_under_the_cap(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    result = fetch(http_client, feed_server.url("/big?size=5000&length=no"), max_bytes=100_000)
    assert len(result.body) == 5000


def test_html_page_is_fetched_then_refused_by_the_parser(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    result = fetch(http_client, feed_server.url("/html"))
    assert result.status == 200
    with pytest.raises(FeedParseError, match="the body is an HTML page, not a feed"):
        parse_feed(result.body, "auto", "journal")


def test_unreachable_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"  # the port was free a moment ago, nobody listens
    with httpx.Client() as client, pytest.raises(FeedUnreachable) as caught:
        fetch(client, url)
    assert caught.value.what.startswith(f"cannot reach {url} (")


def test_retry_after_parsing_unit() -> None:
    def response(**headers: str) -> httpx.Response:
        return httpx.Response(429, headers=headers)

    assert retry_after_seconds(response()) is None
    assert retry_after_seconds(response(**{"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(response(**{"Retry-After": "-3"})) == 0.0
    assert retry_after_seconds(response(**{"Retry-After": "soon"})) is None
    dated = {
        "Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT",
        "Date": "Wed, 21 Oct 2026 07:27:30 GMT",
    }
    assert retry_after_seconds(response(**dated)) == 30.0
    past = {"Retry-After": "Wed, 21 Oct 2026 07:00:00 GMT", "Date": "Wed, 21 Oct 2026 07:27:30 GMT"}
    assert retry_after_seconds(response(**past)) == 0.0


def test_response_handling_with_a_mock_transport() -> None:
    # A unit test of one response shape only; every network behaviour above uses the server.
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(410, content=b'{"error": "feed retired"}', request=request)

    with (
        httpx.Client(transport=httpx.MockTransport(answer)) as client,
        pytest.raises(FeedHTTPError) as caught,
    ):
        fetch(client, "https://journal.example/rss")
    assert caught.value.what == "HTTP 410 Gone from https://journal.example/rss: feed retired"
    assert caught.value.hint == "The feed is gone for good; remove it from the config"
