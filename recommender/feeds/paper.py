"""Build a `Paper` from a feed item's raw fields, and merge two sightings of the same paper."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from recommender.identifiers import normalise_doi, paper_key, parse_arxiv_id
from recommender.models import Paper
from recommender.text import clean_text


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def build_paper(
    *,
    source: str,
    title: str | None,
    arxiv_id: str | None = None,
    version: int | None = None,
    doi: str | None = None,
    abstract: str | None = None,
    authors: Iterable[str] = (),
    categories: Iterable[str] = (),
    published: datetime | None = None,
    updated: datetime | None = None,
    links: dict[str, str] | None = None,
) -> Paper:
    """A Paper with cleaned text, bare arXiv id, normalised DOI, canonical links and its key."""
    parsed = parse_arxiv_id(arxiv_id) if arxiv_id else None
    bare = parsed[0] if parsed else None
    if parsed and version is None:
        version = parsed[1]
    normal_doi = normalise_doi(doi) if doi else None
    clean_title = clean_text(title)
    all_links = dict(links or {})
    if bare:
        all_links["abs"] = f"https://arxiv.org/abs/{bare}"
        all_links["pdf"] = f"https://arxiv.org/pdf/{bare}"
    if normal_doi:
        all_links["doi"] = f"https://doi.org/{normal_doi}"
    return Paper(
        key=paper_key(bare, normal_doi, clean_title),
        arxiv_id=bare,
        version=version,
        doi=normal_doi,
        title=clean_title,
        abstract=clean_text(abstract),
        authors=_unique(clean_text(a) for a in authors),
        categories=_unique(c.strip() for c in categories),
        published=published,
        updated=updated,
        links={k: v for k, v in all_links.items() if v},
        sources=[source],
    )


def merge_papers(first: Paper, second: Paper) -> Paper:
    """One Paper from two sightings: the higher version wins, gaps are filled from the other."""
    newer, older = (
        (second, first) if (second.version or 0) > (first.version or 0) else (first, second)
    )
    dates = [d for d in (first.published, second.published) if d]
    updates = [d for d in (first.updated, second.updated) if d]
    return Paper(
        key=first.key,
        arxiv_id=newer.arxiv_id or older.arxiv_id,
        version=newer.version or older.version,
        doi=newer.doi or older.doi,
        title=newer.title or older.title,
        abstract=newer.abstract or older.abstract,
        authors=newer.authors or older.authors,
        categories=_unique([*newer.categories, *older.categories]),
        published=min(dates) if dates else None,
        updated=max(updates) if updates else None,
        links={**older.links, **newer.links},
        sources=_unique([*first.sources, *second.sources]),
    )
