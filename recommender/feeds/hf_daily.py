"""Hugging Face daily papers (`/api/daily_papers`): a JSON array of arXiv papers."""

from __future__ import annotations

from typing import Any

from recommender.errors import FeedParseError
from recommender.feeds.dates import parse_date
from recommender.feeds.jsondoc import load_json
from recommender.feeds.result import Collector, ParseResult
from recommender.identifiers import parse_arxiv_id

EXPECTED = "a JSON array from the Hugging Face daily papers API"


def parse_hf_daily(body: bytes, source: str) -> ParseResult:
    """Papers of a daily-papers answer; `[]` is an empty day, an error object raises."""
    data = load_json(body, EXPECTED)
    if isinstance(data, dict):
        message = data.get("error") or data.get("message")
        if message:
            raise FeedParseError(
                f"the Hugging Face API answered with an error: {message}",
                "Check the feed's URL (and its date parameter, if any)",
            )
        raise FeedParseError(
            f"expected {EXPECTED}, got an object with keys {sorted(data)[:5]}",
            "Check the feed's URL and kind",
        )
    if not isinstance(data, list):
        raise FeedParseError(f"expected {EXPECTED}, got {type(data).__name__}", "Check the URL")
    collector = Collector(source)
    for index, item in enumerate(data, 1):
        if not isinstance(item, dict):
            collector.skip(f"item {index}", f"it is a JSON {type(item).__name__}, not an object")
            continue
        _add_item(collector, index, item)
    return collector.result()


def _add_item(collector: Collector, index: int, item: dict[str, Any]) -> None:
    # Daily entries wrap the paper in "paper"; the /api/papers endpoints give it bare.
    paper = item["paper"] if isinstance(item.get("paper"), dict) else item
    raw_id = str(paper.get("id") or "")
    ident = parse_arxiv_id(raw_id)
    authors = paper.get("authors")
    authors = authors if isinstance(authors, list) else []
    collector.add(
        f"item {index} ({raw_id or 'no id'})",
        title=_string(paper.get("title")) or _string(item.get("title")),
        arxiv_id=ident[0] if ident else None,
        version=ident[1] if ident else None,
        abstract=_string(paper.get("summary")),
        authors=[_string(a.get("name")) for a in authors if isinstance(a, dict)],
        # paper.publishedAt is the arXiv date; the item's own publishedAt is its Daily post.
        published=parse_date(_string(paper.get("publishedAt"))),
    )


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
