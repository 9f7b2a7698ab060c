"""arXiv RSS: the current RSS 2.0 of rss.arxiv.org (since 2024) and the old RSS 1.0 / RDF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from recommender.errors import FeedParseError
from recommender.feeds.dates import parse_date
from recommender.feeds.result import Collector, ParseResult
from recommender.feeds.safexml import load_xml, local_name
from recommender.identifiers import normalise_doi, parse_arxiv_id
from recommender.text import split_anchor_authors, split_authors

ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

# "arXiv:2403.15527v1 Announce Type: new \nAbstract: ..." opens every current description.
ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*Abstract:\s*", re.DOTALL
)
# Old RDF titles end in "(arXiv:1502.02921v2 [cs.DC] UPDATED)"; new items have no status.
_RDF_SUFFIX = re.compile(
    r"\.?\s*\(arXiv:(?P<id>\S+?)\s+\[(?P<category>[^\]]+)\](?:\s+(?P<status>[A-Z][A-Z ]*?))?\)\s*$"
)
_FEED_CATEGORY = re.compile(r"^(?P<categories>.+?) updates on arXiv\.org")


def element_text(element: ET.Element | None) -> str:
    """All text inside an element (its children's too), or "" when it is missing."""
    return "".join(element.itertext()) if element is not None else ""


def first_doi(text: str) -> str | None:
    """The first DOI in a field that may hold several, separated by spaces or commas."""
    for part in re.split(r"[\s,;]+", text):
        doi = normalise_doi(part)
        if doi:
            return doi
    return None


def parse_arxiv_rss(body: bytes, source: str) -> ParseResult:
    """Papers of an arXiv RSS feed, either format."""
    root = load_xml(body)
    if root.tag == "rss":
        return _parse_rss2(root, source)
    if root.tag == f"{RDF}RDF":
        return _parse_rdf(root, source)
    raise FeedParseError(
        f"expected an arXiv RSS feed, got an XML document whose root is <{local_name(root.tag)}>",
        "Set the feed's kind to 'auto' or to the kind of this document",
    )


def _parse_rss2(root: ET.Element, source: str) -> ParseResult:
    collector = Collector(source)
    channel = root.find("channel")
    if channel is None:
        raise FeedParseError("RSS document without a <channel>", "Check the feed URL")
    announced = parse_date(channel.findtext("pubDate"))
    for index, item in enumerate(channel.iterfind("item"), 1):
        guid = (item.findtext("guid") or "").strip()
        link = (item.findtext("link") or "").strip()
        description = element_text(item.find("description"))
        prefix = ANNOUNCE_PREFIX.match(description)
        ident = (
            parse_arxiv_id(guid)
            or (parse_arxiv_id(prefix["id"]) if prefix else None)
            or parse_arxiv_id(link)
        )
        version = ident[1] if ident else None
        day = parse_date(item.findtext("pubDate")) or announced
        collector.add(
            f"item {index} ({guid or link or 'no guid'})",
            title=element_text(item.find("title")),
            arxiv_id=ident[0] if ident else None,
            version=version,
            doi=first_doi(item.findtext(f"{ARXIV}DOI") or ""),
            abstract=description[prefix.end() :] if prefix else description,
            authors=split_authors(item.findtext(f"{DC}creator")),
            categories=[(c.text or "").strip() for c in item.iterfind("category")],
            # The announcement day is the publication day only of a first version.
            published=day if version in (1, None) else None,
            updated=day,
        )
    return collector.result()


def _parse_rdf(root: ET.Element, source: str) -> ParseResult:
    collector = Collector(source)
    channel = root.find(f"{RSS1}channel")
    if channel is None:
        raise FeedParseError("RSS 1.0 document without a <channel>", "Check the feed URL")
    day = parse_date(channel.findtext(f"{DC}date"))
    feed_title = _FEED_CATEGORY.match((channel.findtext(f"{RSS1}title") or "").strip())
    feed_categories = feed_title["categories"].split(", ") if feed_title else []
    for index, item in enumerate(root.iterfind(f"{RSS1}item"), 1):
        link = (item.findtext(f"{RSS1}link") or item.get(f"{RDF}about") or "").strip()
        title = element_text(item.find(f"{RSS1}title"))
        suffix = _RDF_SUFFIX.search(title)
        ident = parse_arxiv_id(suffix["id"]) if suffix else parse_arxiv_id(link)
        version = ident[1] if ident else None
        collector.add(
            f"item {index} ({link or 'no link'})",
            title=title[: suffix.start()] if suffix else title,
            arxiv_id=ident[0] if ident else None,
            version=version,
            abstract=element_text(item.find(f"{RSS1}description")),
            authors=split_anchor_authors(element_text(item.find(f"{DC}creator"))),
            categories=[suffix["category"], *feed_categories] if suffix else feed_categories,
            published=day if version in (1, None) else None,
            updated=day,
        )
    return collector.result()
