"""Any RSS 0.9/1.0/2.0 or Atom journal feed (Science, MDPI, bioRxiv RSS...), read by feedparser."""

from __future__ import annotations

import io
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from recommender.errors import FeedParseError
from recommender.feeds.dates import parse_date
from recommender.feeds.result import Collector, ParseResult
from recommender.feeds.safexml import NotWellFormed, load_xml, local_name
from recommender.identifiers import normalise_doi, parse_arxiv_id
from recommender.text import clean_text, split_authors

DC = "http://purl.org/dc/elements/1.1/"
ATOM = "{http://www.w3.org/2005/Atom}"
# Publisher landing pages often carry the DOI: /doi/10.1126/..., /doi/abs/10.1002/...
_DOI_IN_URL = re.compile(r"/doi/(?:abs/|full/|pdf/|epdf/)?(10\.\d{4,9}/[^?#\s]+)")
_PREPRINT_VERSION = re.compile(r"(?:biorxiv|medrxiv)\.org/.*v(\d+)(?:[?#/.]|$)")


@dataclass
class _Extras:
    """What feedparser drops: every dc:identifier and prism:doi, and the plain dc:title."""

    identifiers: list[str] = field(default_factory=list)
    dc_title: str = ""


def parse_generic(body: bytes, source: str) -> ParseResult:
    """Papers of an RSS or Atom feed; a broken but readable feed gives a warning, not an error."""
    collector = Collector(source)
    extras: list[_Extras] = []
    try:
        root = load_xml(body)
    except NotWellFormed as exc:
        if exc.truncated:
            raise
        problem: NotWellFormed | None = exc
    else:
        problem = None
        extras = _read_extras(root)
        if local_name(root.tag) not in ("rss", "RDF", "feed"):
            raise FeedParseError(
                f"not an RSS or Atom feed: the XML root is <{local_name(root.tag)}>",
                "Check the feed URL; the site may have moved its feed",
            )
    # A file object, never bytes: feedparser would try to open bytes as a local path first.
    parsed = feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=True)
    if problem is not None:
        if not parsed.entries:
            raise problem
        collector.warn(f"{problem.what}; read {len(parsed.entries)} item(s) with a lenient parser")
    for index, entry in enumerate(parsed.entries):
        extra = extras[index] if index < len(extras) else _Extras()
        _add_entry(collector, index + 1, entry, extra)
    return collector.result()


def _read_extras(root: ET.Element) -> list[_Extras]:
    name = local_name(root.tag)
    if name == "feed":
        items = root.findall(f"{ATOM}entry")
    elif name == "rss":
        items = root.findall("channel/item")
    else:  # RSS 0.9 / 1.0: items are children of rdf:RDF, in any namespace version
        items = [e for e in root if local_name(e.tag) == "item"]
    extras = []
    for item in items:
        extra = _Extras()
        for child in item:
            namespace, _, tag = child.tag[1:].partition("}") if "}" in child.tag else ("", "", "")
            text = "".join(child.itertext()).strip()
            if (namespace == DC and tag == "identifier") or ("prism" in namespace and tag == "doi"):
                extra.identifiers.append(text)
            elif namespace == DC and tag == "title":
                extra.dc_title = clean_text(text)
        extras.append(extra)
    return extras


def _raw(entry: Any, key: str) -> Any:
    # dict.get skips feedparser's deprecated updated->published fallback (and its warning).
    return dict.get(entry, key)


def _date(entry: Any, key: str) -> datetime | None:
    parsed = parse_date(_raw(entry, key))
    stamp: time.struct_time | None = _raw(entry, f"{key}_parsed")
    if parsed is None and stamp is not None:
        parsed = datetime(*stamp[:6], tzinfo=UTC)  # feedparser's own parsers, already UTC
    return parsed


def _find_doi(entry: Any, extra: _Extras) -> str | None:
    candidates = [*extra.identifiers, _raw(entry, "prism_doi"), _raw(entry, "dc_identifier")]
    candidates += [_raw(entry, "id")]
    for candidate in candidates:
        doi = normalise_doi(candidate) if isinstance(candidate, str) else None
        if doi:
            return doi
    for link in [_raw(entry, "link"), *(link.get("href") for link in _raw(entry, "links") or [])]:
        match = _DOI_IN_URL.search(link or "") or re.search(r"doi\.org/(10\.\S+)", link or "")
        if match and normalise_doi(match[1]):
            return normalise_doi(match[1])
    return None


def _add_entry(collector: Collector, index: int, entry: Any, extra: _Extras) -> None:
    link = str(_raw(entry, "link") or "").strip()
    ident = parse_arxiv_id(link) or parse_arxiv_id(str(_raw(entry, "id") or ""))
    title = clean_text(_raw(entry, "title"))
    if extra.dc_title and title.endswith(extra.dc_title):
        title = extra.dc_title  # MDPI prefixes "Fluids, Vol. 9, Pages 120: " to <title>
    texts = [clean_text(_raw(entry, "summary"))]
    texts += [clean_text(c.get("value")) for c in _raw(entry, "content") or []]
    names = [clean_text(a.get("name")) for a in _raw(entry, "authors") or []]
    names = [n for n in names if n]
    version = _PREPRINT_VERSION.search(link)
    collector.add(
        f"item {index} ({link or _raw(entry, 'id') or 'no link'})",
        title=title,
        arxiv_id=ident[0] if ident else None,
        version=ident[1] if ident else (int(version[1]) if version else None),
        doi=_find_doi(entry, extra),
        abstract=max(texts, key=len),
        # One string holding every author ("A, B, C") is split; repeated elements are kept.
        authors=split_authors(names[0]) if len(names) == 1 else names,
        categories=[t.get("term") or "" for t in _raw(entry, "tags") or []],
        published=_date(entry, "published") or _date(entry, "updated"),
        updated=_date(entry, "updated"),
        links={"abs": link},
    )
