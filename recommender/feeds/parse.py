"""Feed bytes to papers: choose the parser for a feed kind, or sniff the kind from the bytes."""

from __future__ import annotations

import re
from collections.abc import Callable

from recommender.errors import FeedParseError
from recommender.feeds.arxiv_api import ATOM, parse_arxiv_api
from recommender.feeds.arxiv_rss import RDF, RSS1, parse_arxiv_rss
from recommender.feeds.biorxiv import parse_biorxiv
from recommender.feeds.generic import parse_generic
from recommender.feeds.hf_daily import parse_hf_daily
from recommender.feeds.jsondoc import load_json
from recommender.feeds.result import ParseResult
from recommender.feeds.safexml import NotWellFormed, load_xml

Parser = Callable[[bytes, str], ParseResult]
PARSERS: dict[str, Parser] = {
    "arxiv-rss": parse_arxiv_rss,
    "arxiv-api": parse_arxiv_api,
    "hf-daily": parse_hf_daily,
    "biorxiv": parse_biorxiv,
    "rss": parse_generic,
    "atom": parse_generic,
}
_HTML = re.compile(rb"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def parse_feed(body: bytes, kind: str, source: str) -> ParseResult:
    """Papers in `body`, read as `kind` ("auto" sniffs it); FeedParseError if it is no feed."""
    head = _head(body)
    if not head:
        raise FeedParseError(
            "the body is empty", "The server answered without a feed; it is tried again later"
        )
    if _HTML.match(head):
        raise FeedParseError(
            "the body is an HTML page, not a feed",
            "Check the feed URL; the site may show an error or login page, or have moved the feed",
        )
    if kind == "auto":
        kind = detect_kind(body)
    elif kind == "biorxiv" and head.startswith(b"<"):
        kind = "rss"  # bioRxiv's subject-collection RSS rather than its JSON API
    parser = PARSERS.get(kind)
    if parser is None:
        known = ", ".join([*PARSERS, "auto"])
        raise FeedParseError(f"unknown feed kind {kind!r}", f"Use one of {known}")
    return parser(body, source)


def _head(body: bytes) -> bytes:
    head = body[:4096]
    for bom in _BOMS:
        head = head.removeprefix(bom)
    return head.lstrip()


def detect_kind(body: bytes) -> str:
    """The feed kind of a body, from its first bytes and (for XML) its root element."""
    head = _head(body)
    if head[:1] in (b"[", b"{"):
        data = load_json(body, "a JSON feed")
        if isinstance(data, dict) and "collection" in data:
            return "biorxiv"
        # A list is a daily-papers page; an {"error": ...} object is its error answer.
        if isinstance(data, list) or (isinstance(data, dict) and "error" in data):
            return "hf-daily"
        raise FeedParseError(
            "JSON that is neither a Hugging Face daily papers page nor a bioRxiv API answer",
            "Set the feed's kind explicitly or check its URL",
        )
    if not (head.startswith(b"<") or body.startswith(_BOMS[1:])):
        raise FeedParseError(
            "the body is neither XML nor JSON, so not a feed", "Check the feed URL"
        )
    try:
        root = load_xml(body)
    except NotWellFormed as exc:
        if exc.truncated:
            raise
        return "rss"  # the lenient generic reader may still get items out of it
    if root.tag == f"{ATOM}feed":
        feed_id = root.findtext(f"{ATOM}id") or ""
        return "arxiv-api" if "arxiv.org" in feed_id else "atom"
    if root.tag == "rss":
        channel_link = root.findtext("channel/link") or ""
        guids = [g.text or "" for g in root.iterfind("channel/item/guid")]
        arxiv = "arxiv.org" in channel_link or any(g.startswith("oai:arXiv.org:") for g in guids)
        return "arxiv-rss" if arxiv else "rss"
    if root.tag == f"{RDF}RDF":
        channel = root.find(f"{RSS1}channel")
        about = channel.get(f"{RDF}about", "") if channel is not None else ""
        return "arxiv-rss" if re.match(r"https?://(?:www\.)?arxiv\.org", about) else "rss"
    return "rss"  # RSS 0.9 and other dialects: the generic reader decides
