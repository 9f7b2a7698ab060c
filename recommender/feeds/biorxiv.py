"""bioRxiv / medRxiv `details` API pages: JSON records keyed by DOI, highest version kept."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from recommender.errors import FeedParseError
from recommender.feeds.dates import parse_day
from recommender.feeds.jsondoc import load_json
from recommender.feeds.result import Collector, ParseResult
from recommender.text import split_surname_first

EXPECTED = "a bioRxiv/medRxiv details API answer (JSON with a 'collection')"

# JATS flattening debris: O_/C_ open and close markers of list items, boxed subheadings, small caps.
_MARKERS = re.compile(r"[OC]_(?:ST_ABS|LI|SCPLOW|SCPCAP|FLOAT_NO|FIG|TBL|NOTE)")
_MARKER_TEXT = {"O_ST_ABS": "\n", "C_ST_ABS": "\n", "O_LI": "\n• ", "C_LI": "\n"}
_GREEK_NAME = re.compile(r"\{([A-Za-z]+)\}")
_HEADINGS = (
    "Background|Objectives?|Aims?|Purpose|Importance|Introduction|Context|Motivation|Methods?|"
    "Design|Setting|Participants|Exposures?|Interventions?|Measurements?|Results?|Findings|"
    "Interpretation|Discussion|Limitations|Conclusions?|Significance|Funding|Highlights|Summary"
)
# "BackgroundThe modified..." at a paragraph start: a heading glued to its first sentence.
_GLUED_HEADING = re.compile(rf"(^|\n)[ \t]*({_HEADINGS})(?=[A-Z][a-z])")


def clean_jats_debris(text: str) -> str:
    """Abstract text with JATS markers, `{rho}`-style Greek and glued section headings repaired."""
    text = _MARKERS.sub(lambda m: _MARKER_TEXT.get(m[0], ""), text)
    text = _GREEK_NAME.sub(_greek, text)
    return _GLUED_HEADING.sub(r"\1\2: ", text)


def _greek(match: re.Match[str]) -> str:
    name = match[1]
    case = "CAPITAL" if name[0].isupper() else "SMALL"
    try:
        return unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")
    except KeyError:
        return match[0]


def parse_biorxiv(body: bytes, source: str) -> ParseResult:
    """Papers of one details API page; warns when more pages follow."""
    data = load_json(body, EXPECTED)
    if not isinstance(data, dict) or not isinstance(data.get("collection"), list):
        raise FeedParseError(f"expected {EXPECTED}", "Check the feed's URL and kind")
    messages = data.get("messages")
    message = messages[0] if isinstance(messages, list) and messages else {}
    message = message if isinstance(message, dict) else {}
    status = str(message.get("status", "ok"))
    if not data["collection"] and status != "ok" and "no posts found" not in status.lower():
        raise FeedParseError(f"the bioRxiv API answered: {status}", "Check the feed's URL")
    collector = Collector(source)
    for index, record in enumerate(data["collection"], 1):
        if isinstance(record, dict):
            _add_record(collector, index, record)
        else:
            collector.skip(f"record {index}", "it is not a JSON object")
    result = collector.result()
    cursor, count, total = (_integer(message.get(k)) for k in ("cursor", "count", "total"))
    if cursor is not None and count is not None and total is not None and cursor + count < total:
        result.next_cursor = cursor + count
    return result


def _add_record(collector: Collector, index: int, record: dict[str, Any]) -> None:
    doi = str(record.get("doi") or "")
    version = _integer(record.get("version"))
    day = parse_day(str(record.get("date") or ""))
    host = (
        "www.medrxiv.org"
        if "medrxiv" in str(record.get("server", "")).lower()
        else "www.biorxiv.org"
    )
    page = f"https://{host}/content/{doi}v{version}" if doi and version else ""
    collector.add(
        f"record {index} ({doi or 'no doi'})",
        title=str(record.get("title") or ""),
        doi=doi,
        version=version,
        abstract=clean_jats_debris(str(record.get("abstract") or "")),
        authors=split_surname_first(str(record.get("authors") or "")),
        categories=[str(record.get("category") or "")],
        # `date` is the date of this version: a publication date only for version 1.
        published=day if version in (1, None) else None,
        updated=day,
        links={"abs": page, "pdf": f"{page}.full.pdf" if page else ""},
    )


def _integer(value: Any) -> int | None:
    # The API sends some counts as strings ("18") and others as numbers.
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
