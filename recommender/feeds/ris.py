"""RIS exports (Zotero, Mendeley, EndNote) to Papers, with a problem listed per unusable record.

rispy reads the tags; this module maps them the way bibtex.py maps BibTeX fields: title,
abstract, authors, DOI, an arXiv id found in the DOI, a URL or the notes, and the date.
rispy gives no line numbers, so each record is labelled by the line of its `TY` tag.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import rispy

from recommender.feeds.bibtex import BibtexResult
from recommender.feeds.result import Collector
from recommender.identifiers import normalise_doi, parse_arxiv_id
from recommender.text import flip_name

# A record starts with "TY  - " (two spaces, a hyphen, a space); some writers drop a space.
RIS_START = re.compile(r"^\s*TY  ?- ", re.MULTILINE)
_ARXIV_IN_TEXT = re.compile(r"(?:arXiv:\s*|arxiv\.org/abs/)(\S+)", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})(?:[/-](\d{1,2}))?(?:[/-](\d{1,2}))?")


def parse_ris(text: str, source: str) -> BibtexResult:
    """Papers of an RIS file; records without a title are reported and the rest imported."""
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if RIS_START.match(line)]
    records = rispy.loads(text)
    problems: list[str] = []
    collector = Collector(source)
    for number, record in enumerate(records):
        line = lines[number] if number < len(lines) else 0
        _add_record(collector, record, f"{source}:{line}: record {number + 1}", problems)
    # rispy drops a record that never reaches its `ER  - ` line (a file cut short): say so.
    for number in range(len(records), len(lines)):
        problems.append(
            f"{source}:{lines[number]}: record {number + 1}: cut short (no “ER  - ” line "
            "ends it); it was skipped"
        )
    result = collector.result()
    return BibtexResult(result.papers, problems + result.warnings)


def _first(record: dict[str, Any], *tags: str) -> str:
    for tag in tags:
        value = record.get(tag)
        if isinstance(value, list):
            value = next((v for v in value if str(v).strip()), "")
        if value and str(value).strip():
            return str(value).strip()
    return ""


def _arxiv(record: dict[str, Any]) -> tuple[str, int | None] | None:
    candidates = [str(record.get("doi", "")), *map(str, record.get("urls", []))]
    notes = [*map(str, record.get("notes", [])), str(record.get("secondary_title", ""))]
    candidates += [m[1] for note in notes for m in _ARXIV_IN_TEXT.finditer(note)]
    for candidate in candidates:
        parsed = parse_arxiv_id(candidate.strip().rstrip(".,;")) if candidate.strip() else None
        if parsed:
            return parsed
    return None


def _published(record: dict[str, Any]) -> datetime | None:
    # DA is the full date ("2024/03/22/"), PY often the year alone ("2024" or "2024///").
    for text in (_first(record, "date"), _first(record, "year", "publication_year")):
        match = _DATE.match(text)
        if match is None:
            continue
        try:
            return datetime(
                int(match[1]), int(match[2] or 1), int(match[3] or 1), tzinfo=UTC
            )  # the first of the month (or January) when the export gives no day
        except ValueError:
            continue
    return None


def _add_record(
    collector: Collector, record: dict[str, Any], label: str, problems: list[str]
) -> None:
    raw_doi = _first(record, "doi")
    doi = normalise_doi(raw_doi) if raw_doi else None
    arxiv = _arxiv(record)
    if raw_doi and doi is None and arxiv is None:
        problems.append(f"{label}: {raw_doi!r} is not a DOI; imported without it")
    authors = [*record.get("authors", []), *record.get("first_authors", [])]
    url = next((u.strip() for u in record.get("urls", []) if str(u).startswith("http")), "")
    collector.add(
        label,
        title=_first(record, "title", "primary_title", "short_title"),
        arxiv_id=arxiv[0] if arxiv else None,
        version=arxiv[1] if arxiv else None,
        doi=doi,
        abstract=_first(record, "abstract", "notes_abstract"),
        authors=[flip_name(str(name)) for name in dict.fromkeys(authors) if str(name).strip()],
        published=_published(record),
        links={"abs": url} if url and not arxiv else {},
    )
