"""Papers for arXiv ids (e.g. liked papers) from the arXiv API's id_list, in batches."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx

from recommender.errors import InputError
from recommender.feeds.arxiv_api import parse_arxiv_api
from recommender.feeds.fetch import fetch_feed
from recommender.identifiers import parse_arxiv_id
from recommender.models import Paper

MAX_BYTES = 20_000_000


def lookup_arxiv(
    client: httpx.Client,
    api_url: str,
    ids: list[str],
    timeout: float,
    *,
    batch_size: int = 100,
    pause_seconds: float = 3.0,
    source: str = "arxiv-lookup",
) -> dict[str, Paper]:
    """Latest-version Papers keyed by bare id; ids arXiv does not know are simply absent."""
    bare_ids: list[str] = []
    for text in ids:
        parsed = parse_arxiv_id(text)
        if parsed is None:
            # One malformed id makes the API reject its whole batch, so refuse it up front.
            raise InputError(
                f"{text!r} is not an arXiv id", "Give e.g. 2401.01234 or hep-th/9901001"
            )
        bare_ids.append(parsed[0])
    wanted = list(dict.fromkeys(bare_ids))
    found: dict[str, Paper] = {}
    for start in range(0, len(wanted), batch_size):
        if start:
            time.sleep(pause_seconds)  # arXiv asks API clients for 3 s between requests
        batch = wanted[start : start + batch_size]
        query = urlencode(
            {"id_list": ",".join(batch), "start": 0, "max_results": len(batch)}, safe="/,"
        )
        separator = "&" if "?" in api_url else "?"
        fetched = fetch_feed(
            client,
            f"{api_url}{separator}{query}",
            etag=None,
            last_modified=None,
            timeout=timeout,
            max_bytes=MAX_BYTES,
        )
        for paper in parse_arxiv_api(fetched.body, source).papers:
            if paper.arxiv_id in batch:
                found[paper.arxiv_id] = paper
    return found
