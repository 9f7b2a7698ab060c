"""Papers for DOIs (e.g. liked papers) from Crossref's REST API, one `/works/{doi}` each."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from recommender.errors import FeedHTTPError, FeedParseError, InputError
from recommender.feeds.fetch import fetch_feed
from recommender.identifiers import normalise_doi, paper_key
from recommender.models import Paper
from recommender.text import clean_text

MAX_BYTES = 5_000_000
# Abstracts come as JATS XML; its section titles ("Abstract", "Background") are not text.
_JATS_TITLE = re.compile(r"<jats:title[^>]*>.*?</jats:title>", re.IGNORECASE | re.DOTALL)
_JATS_TAG = re.compile(r"</?jats:[^>]*>", re.IGNORECASE)


def lookup_dois(
    client: httpx.Client,
    api_url: str,
    dois: list[str],
    timeout: float,
    *,
    mailto: str | None = None,
    source: str = "crossref-lookup",
) -> dict[str, Paper]:
    """Papers keyed by normalised DOI; DOIs Crossref does not know (404) are simply absent.

    Raises FeedError (unreachable, too slow, HTTP error other than 404, not a work) as the
    arXiv lookup does, so callers treat both the same.
    """
    wanted: list[str] = []
    for text in dois:
        doi = normalise_doi(text)
        if doi is None:
            raise InputError(f"{text!r} is not a DOI", "Give e.g. 10.1038/s41586-024-07000-0")
        wanted.append(doi)
    found: dict[str, Paper] = {}
    for doi in dict.fromkeys(wanted):
        url = f"{api_url.rstrip('/')}/works/{quote(doi, safe='/')}"
        if mailto:  # Crossref's "polite pool": faster, and they can reach us about problems
            url += "?" + urlencode({"mailto": mailto})
        try:
            fetched = fetch_feed(
                client, url, etag=None, last_modified=None, timeout=timeout, max_bytes=MAX_BYTES
            )
        except FeedHTTPError as exc:
            if exc.status == 404:
                continue
            raise
        found[doi] = parse_crossref_work(fetched.body, doi, source)
    return found


def parse_crossref_work(body: bytes, doi: str, source: str = "crossref-lookup") -> Paper:
    """The Paper in a Crossref `/works/{doi}` answer; FeedParseError if it is not one."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(
            f"Crossref's answer for {doi} is not JSON ({exc})", "Check [crossref] api_url"
        ) from None
    message = document.get("message") if isinstance(document, dict) else None
    if not isinstance(message, dict) or document.get("message-type") != "work":
        raise FeedParseError(
            f"Crossref's answer for {doi} is not a work record", "Check [crossref] api_url"
        )
    title = clean_text(_first(message.get("title")))
    if not title:
        raise FeedParseError(f"Crossref's record for {doi} has no title", "")
    abstract = clean_text(_JATS_TAG.sub(" ", _JATS_TITLE.sub(" ", message.get("abstract") or "")))
    record_doi = normalise_doi(str(message.get("DOI") or "")) or doi
    return Paper(
        key=paper_key(None, record_doi, title),
        doi=record_doi,
        title=title,
        abstract=abstract,
        authors=[name for name in map(_author_name, message.get("author") or []) if name],
        categories=[str(s) for s in message.get("subject") or []],
        published=_published(message),
        links={"doi": f"https://doi.org/{record_doi}"},
        sources=[source],
    )


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def _author_name(author: Any) -> str:
    if not isinstance(author, dict):
        return ""
    if author.get("name"):  # a consortium or group author
        return clean_text(str(author["name"]))
    return clean_text(f"{author.get('given') or ''} {author.get('family') or ''}")


def _published(message: dict[str, Any]) -> datetime | None:
    # Crossref's `published` is the earlier of print and online; older records only have the rest.
    for key in ("published", "published-online", "published-print", "issued", "created"):
        parts = (message.get(key) or {}).get("date-parts") or [[]]
        first = [p for p in parts[0] if isinstance(p, int)] if parts and parts[0] else []
        if first:
            year, month, day = [*first, 1, 1][:3]
            try:
                return datetime(year, month, day, tzinfo=UTC)
            except ValueError:
                continue
    return None
