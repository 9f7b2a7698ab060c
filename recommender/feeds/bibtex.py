"""BibTeX exports (Zotero, Mendeley) to Papers, with a problem listed for each unusable entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import NormalizeFieldKeys
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from recommender.feeds.dates import parse_date
from recommender.feeds.result import Collector
from recommender.identifiers import normalise_doi, parse_arxiv_id
from recommender.models import Paper
from recommender.text import flip_name

# Math stays as written ("$\alpha$"), accents and escapes ({\"u}, \&) become characters.
_LATEX = LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False)
_ARXIV_IN_JOURNAL = re.compile(r"(?:arXiv:\s*|abs/)(\S+)", re.IGNORECASE)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


@dataclass
class BibtexResult:
    """Papers from the entries that could be read, and a line per problem found."""

    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_bibtex(text: str, source: str) -> BibtexResult:
    """Papers of a BibTeX file; bad entries are reported in `problems` and the rest imported."""
    library = parse_string(text, append_middleware=[NormalizeFieldKeys()])
    problems = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(f"{source}:{line}: duplicate entry key {block.key!r}; it was skipped")
        elif isinstance(block, ParsingFailedBlock):
            error = block.error
            reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
            problems.append(f"{source}:{line}: unreadable BibTeX ({reason}); it was skipped")
    collector = Collector(source)
    for entry in library.entries:
        _add_entry(collector, entry, source, problems)
    result = collector.result()
    return BibtexResult(result.papers, sorted(problems + result.warnings, key=_line_of))


def _line_of(problem: str) -> int:
    match = re.search(r":(\d+): ", problem)
    return int(match[1]) if match else 0


def _decode(value: str) -> str:
    # A bare % starts a TeX comment and would swallow the rest of the field.
    text: str = _LATEX.latex_to_text(re.sub(r"(?<!\\)%", r"\\%", value))
    return text.strip()


def _split_names(value: str) -> list[str]:
    """Names joined by " and " outside braces ("{Barnes and Noble}" stays one name)."""
    names, depth, start = [], 0, 0
    for match in re.finditer(r"[{}]|\s+and\s+", value):
        token = match[0]
        if token in "{}":
            depth += 1 if token == "{" else -1
        elif depth == 0:
            names.append(value[start : match.start()])
            start = match.end()
    names.append(value[start:])
    return [flip_name(_decode(n)) for n in names if n.strip()]


def _arxiv(fields: dict[str, str]) -> tuple[str, int | None] | None:
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    candidates = [fields.get("eprint", "") if prefix == "arxiv" else ""]
    candidates += [m[1] for m in _ARXIV_IN_JOURNAL.finditer(fields.get("journal", ""))]
    candidates += [fields.get("url", ""), fields.get("doi", "")]
    for candidate in candidates:
        parsed = parse_arxiv_id(candidate) if candidate else None
        if parsed:
            return parsed
    return None


def _published(fields: dict[str, str]) -> datetime | None:
    if fields.get("date"):
        return parse_date(fields["date"]) or parse_date(f"{fields['date']}-01")
    year = fields.get("year", "").strip()
    if not year.isdigit():
        return None
    try:
        # The first of the month (or January): BibTeX gives no day.
        return datetime(int(year), _month(fields.get("month", "")), 1, tzinfo=UTC)
    except ValueError:
        return None


def _month(text: str) -> int:
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    return _MONTHS.index(value[:3]) + 1 if value[:3] in _MONTHS else 1


def _add_entry(collector: Collector, entry: Entry, source: str, problems: list[str]) -> None:
    fields = {f.key: str(f.value) for f in entry.fields}
    label = f"{source}:{(entry.start_line or 0) + 1}: entry {entry.key!r}"
    arxiv = _arxiv(fields)
    doi = normalise_doi(fields["doi"]) if fields.get("doi") else None
    if fields.get("doi") and doi is None:
        line = (entry.fields_dict["doi"].start_line or 0) + 1
        problems.append(
            f"{source}:{line}: entry {entry.key!r}: {fields['doi']!r} is not a DOI; "
            "imported without it"
        )
    url = fields.get("url", "").strip()
    collector.add(
        label,
        title=_decode(fields.get("title", "")),
        arxiv_id=arxiv[0] if arxiv else None,
        version=arxiv[1] if arxiv else None,
        doi=doi,
        abstract=_decode(fields.get("abstract", "")),
        authors=_split_names(fields.get("author", "")),
        categories=[fields.get("primaryclass", "").strip()],
        published=_published(fields),
        links={"abs": url} if url and not arxiv else {},
    )
