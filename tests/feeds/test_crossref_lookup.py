"""lookup_dois against Crossref /works answers served by the local feed server."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from feed_server import FeedServer

from recommender.errors import FeedHTTPError, FeedParseError, FeedUnreachable, InputError
from recommender.feeds.crossref_lookup import lookup_dois


def test_a_current_record_gives_title_authors_date_and_the_abstract_without_jats(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    found = lookup_dois(
        http_client, feed_server.url(""), ["https://doi.org/10.3390/FLUIDS9060120"], timeout=5.0
    )
    paper = found["10.3390/fluids9060120"]
    assert paper.key == "doi:10.3390/fluids9060120"
    assert paper.doi == "10.3390/fluids9060120"
    assert paper.arxiv_id is None
    assert paper.title == (
        "Environmental Hydraulics, Turbulence, and Sediment Transport, Second Edition"
    )
    assert paper.authors == ["Jaan H. Pu", "Manish Pandey", "Prashanth Reddy Hanmaiahgari"]
    assert paper.abstract.startswith("Within river systems, the process of bed-forming")
    assert "jats" not in paper.abstract
    assert paper.published == datetime(2024, 5, 22, tzinfo=UTC)
    assert paper.links == {"doi": "https://doi.org/10.3390/fluids9060120"}
    assert paper.sources == ["crossref-lookup"]
    # The DOI goes into the path as it is (slash kept), lower-cased.
    assert urlsplit(feed_server.requests[0].path).path == "/works/10.3390/fluids9060120"


def test_an_old_record_without_abstract_uses_issued_and_unescapes_the_doi(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    found = lookup_dois(
        http_client, feed_server.url(""), ["doi:10.1371/journal.pone.0033693"], timeout=5.0
    )
    paper = found["10.1371/journal.pone.0033693"]
    assert paper.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert paper.abstract == ""
    assert paper.authors[-1] == "Richard J. Smeyne"
    assert paper.published == datetime(2012, 3, 21, tzinfo=UTC)
    assert paper.categories[0] == "Agricultural and Biological Sciences(all)"


def test_unknown_dois_are_absent_one_request_per_doi_with_mailto(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    found = lookup_dois(
        http_client,
        feed_server.url(""),
        ["10.9999/no-such-work", "10.3390/fluids9060120", "10.3390/fluids9060120"],
        timeout=5.0,
        mailto="lab@example.org",
    )
    assert list(found) == ["10.3390/fluids9060120"]
    paths = [urlsplit(r.path) for r in feed_server.requests]
    assert [p.path for p in paths] == [
        "/works/10.9999/no-such-work",
        "/works/10.3390/fluids9060120",
    ]
    assert all(parse_qs(p.query) == {"mailto": ["lab@example.org"]} for p in paths)


def test_a_server_error_is_raised_like_the_arxiv_lookup_does(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(FeedHTTPError) as error:
        lookup_dois(http_client, feed_server.url("/status/503") + "?x=", ["10.1234/x"], timeout=5.0)
    assert error.value.status == 503


def test_an_answer_that_is_not_a_crossref_work_is_a_parse_error(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(FeedParseError, match=r"answer for 10\.1234/x is not JSON"):
        lookup_dois(http_client, feed_server.url("/html"), ["10.1234/x"], timeout=5.0)


def test_the_whole_lookup_has_a_deadline(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    slow = feed_server.url("/slow") + "?interval=0.2&chunks=30&x="  # the DOI path lands in x
    with pytest.raises(FeedUnreachable, match="deadline"):
        lookup_dois(http_client, slow, ["10.1234/x"], timeout=0.5)


def test_a_malformed_doi_is_refused_before_any_request(
    feed_server: FeedServer, http_client: httpx.Client
) -> None:
    with pytest.raises(InputError, match=r"'11\.2/x' is not a DOI"):
        lookup_dois(http_client, feed_server.url(""), ["11.2/x"], timeout=5.0)
    assert feed_server.requests == []
