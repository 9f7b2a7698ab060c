"""The arXiv API's Atom answers (legacy and post-2025 layouts), error documents included."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from recommender.errors import FeedParseError
from recommender.feeds.arxiv_rss import ANNOUNCE_PREFIX, element_text, first_doi
from recommender.feeds.dates import parse_date
from recommender.feeds.result import Collector, ParseResult
from recommender.feeds.safexml import load_xml, local_name
from recommender.identifiers import parse_arxiv_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def parse_arxiv_api(body: bytes, source: str) -> ParseResult:
    """Papers of an arXiv API answer; FeedParseError with the API's message for an error."""
    root = load_xml(body)
    if root.tag != f"{ATOM}feed":
        raise FeedParseError(
            f"expected an Atom feed from the arXiv API, got an XML document whose root is "
            f"<{local_name(root.tag)}>",
            "Set the feed's kind to 'auto' or to the kind of this document",
        )
    entries = root.findall(f"{ATOM}entry")
    _raise_for_error_entry(entries)
    collector = Collector(source)
    for index, entry in enumerate(entries, 1):
        _add_entry(collector, index, entry)
    total = _integer(root.findtext(f"{OPENSEARCH}totalResults"))
    start = _integer(root.findtext(f"{OPENSEARCH}startIndex")) or 0
    if not entries and total is not None and total > start:
        # The API is known to answer an overloaded request with an empty page.
        collector.warn(
            f"the API reported {total} results but sent none from index {start}; "
            "it may have been overloaded, the next fetch will ask again"
        )
    return collector.result()


def _raise_for_error_entry(entries: list[ET.Element]) -> None:
    # A bad query comes back (with HTTP 400) as a well-formed feed holding one "Error" entry.
    for entry in entries:
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        title = (entry.findtext(f"{ATOM}title") or "").strip()
        if "/api/errors" in entry_id or (title == "Error" and not parse_arxiv_id(entry_id)):
            message = " ".join(element_text(entry.find(f"{ATOM}summary")).split())
            raise FeedParseError(
                f"the arXiv API answered with an error: {message or entry_id}",
                "Fix the feed's query (or the ids asked for)",
            )


def _add_entry(collector: Collector, index: int, entry: ET.Element) -> None:
    entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
    ident = parse_arxiv_id(entry_id)
    summary = element_text(entry.find(f"{ATOM}summary"))
    prefix = ANNOUNCE_PREFIX.match(summary)
    primary = entry.find(f"{ARXIV}primary_category")
    categories = [primary.get("term", "")] if primary is not None else []
    categories += [c.get("term", "") for c in entry.iterfind(f"{ATOM}category")]
    doi = entry.findtext(f"{ARXIV}doi") or ""
    for link in entry.iterfind(f"{ATOM}link"):
        if not doi and link.get("title") == "doi":
            doi = link.get("href", "")
    collector.add(
        f"entry {index} ({entry_id or 'no id'})",
        title=element_text(entry.find(f"{ATOM}title")),
        arxiv_id=ident[0] if ident else None,
        version=ident[1] if ident else None,
        doi=first_doi(doi),
        abstract=summary[prefix.end() :] if prefix else summary,
        authors=[element_text(a.find(f"{ATOM}name")) for a in entry.iterfind(f"{ATOM}author")],
        categories=categories,
        published=parse_date(entry.findtext(f"{ATOM}published")),
        updated=parse_date(entry.findtext(f"{ATOM}updated")),
    )


def _integer(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None
