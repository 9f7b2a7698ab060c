"""lookup_arxiv against recorded arXiv API answers served by the local feed server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from feed_server import FeedServer

from recommender.errors import FeedHTTPError, InputError
from recommender.feeds import lookup_arxiv


def asked_ids(server: FeedServer) -> list[str]:
    return [parse_qs(urlsplit(r.path).query)["id_list"][0] for r in server.requests]


def test_known_and_unknown_ids_in_one_batch(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    found = lookup_arxiv(
        http_client,
        feed_server.url("/api/query"),
        ["arXiv:astro-ph/0601001v1", "0808.05394"],
        timeout=5.0,
    )
    assert list(found) == ["astro-ph/0601001"]  # 0808.05394 does not exist: simply absent
    paper = found["astro-ph/0601001"]
    assert paper.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys Toward "
        "the Galactic Bulge and Carina"
    )
    assert paper.authors[0] == "Andrew Gould"
    assert paper.sources == ["arxiv-lookup"]
    assert asked_ids(feed_server) == ["astro-ph/0601001,0808.05394"]  # bare ids, one request
    query = parse_qs(urlsplit(feed_server.requests[0].path).query)
    assert query["max_results"] == ["2"]


def test_batches_and_duplicates(feed_server: FeedServer, http_client: httpx.Client) -> None:
    found = lookup_arxiv(
        http_client,
        feed_server.url("/api/query"),
        ["0808.05394", "astro-ph/0601001", "https://arxiv.org/abs/astro-ph/0601001v1"],
        timeout=5.0,
        batch_size=1,
        pause_seconds=0.0,
    )
    assert list(found) == ["astro-ph/0601001"]
    assert asked_ids(feed_server) == ["0808.05394", "astro-ph/0601001"]


def test_nothing_to_look_up_makes_no_request(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    assert lookup_arxiv(http_client, feed_server.url("/api/query"), [], timeout=5.0) == {}
    assert feed_server.requests == []


def test_malformed_id_is_refused_before_asking(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(InputError, match="'abc' is not an arXiv id"):
        lookup_arxiv(http_client, feed_server.url("/api/query"), ["2401.01234", "abc"], timeout=5.0)
    assert feed_server.requests == []


def test_api_errors_surface_as_http_errors(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(FeedHTTPError) as caught:
        lookup_arxiv(
            http_client, feed_server.url("/status/503?retry_after=30"), ["2401.01234"], timeout=5.0
        )
    assert (caught.value.status, caught.value.retry_after) == (503, 30.0)
