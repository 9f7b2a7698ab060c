"""How incoming papers are matched to stored ones and merged, without touching the database.

A paper is the same paper as a stored one when it has the same key or arXiv id, else the same
DOI, else the same normalised title, unless their arXiv ids or DOIs say otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from recommender.identifiers import normalise_title
from recommender.models import Paper
from recommender.store.tables import TITLE_NORM_MAX

# Columns save_papers compares and writes; key, id, first_seen and last_seen are managed apart.
CONTENT_COLUMNS = (
    "arxiv_id",
    "version",
    "doi",
    "title_norm",
    "title",
    "abstract",
    "authors",
    "categories",
    "published",
    "updated",
    "links",
    "sources",
)


def _without_nul(text: str) -> str:
    # PostgreSQL cannot store NUL in text; dropping it everywhere keeps both backends alike.
    return text.replace("\x00", "")


def incoming_values(paper: Paper) -> dict[str, Any]:
    """The content columns of a paper about to be saved."""
    title = _without_nul(paper.title)
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "doi": paper.doi.lower() if paper.doi else None,  # Paper promises lower case; make sure
        "title_norm": None,  # computed by title_norm() only when needed: it is the slow part
        "title": title,
        "abstract": _without_nul(paper.abstract),
        "authors": [_without_nul(a) for a in paper.authors],
        "categories": list(paper.categories),
        "published": paper.published,
        "updated": paper.updated,
        "links": dict(paper.links),
        "sources": list(dict.fromkeys(paper.sources)),
    }


def title_norm(values: dict[str, Any]) -> str:
    """The normalised title of incoming values, computed once."""
    if values["title_norm"] is None:
        values["title_norm"] = normalise_title(values["title"])[:TITLE_NORM_MAX]
    return str(values["title_norm"])


@dataclass
class PaperRecord:
    """A stored (id set) or to-be-inserted (id None) paper row being merged into."""

    id: int | None
    key: str
    values: dict[str, Any]
    original: dict[str, Any] | None  # the stored content; None for a new row

    @property
    def changed(self) -> bool:
        """Whether a stored row's content differs from what the database holds."""
        return self.original is not None and self.values != self.original


def _compatible(record: PaperRecord, values: dict[str, Any]) -> bool:
    stored = record.values
    for column in ("arxiv_id", "doi"):
        if stored[column] and values[column] and stored[column] != values[column]:
            return False
    return True


def _is_newer(values: dict[str, Any], stored: dict[str, Any]) -> bool:
    if values["version"] is not None and stored["version"] is not None:
        return bool(values["version"] > stored["version"])
    if values["version"] is None and stored["version"] is None:
        return bool(
            values["updated"] and stored["updated"] and values["updated"] > stored["updated"]
        )
    return False


class PaperIndex:
    """Stored and pending rows by key, arXiv id, DOI and normalised title."""

    def __init__(self) -> None:
        self.by_key: dict[str, PaperRecord] = {}
        self.by_arxiv: dict[str, PaperRecord] = {}
        self.by_doi: dict[str, PaperRecord] = {}
        self.by_title: dict[str, list[PaperRecord]] = {}
        self.records: list[PaperRecord] = []

    def add(self, record: PaperRecord) -> None:
        """Index a row (stored or new)."""
        if record.key in self.by_key:
            return
        self.records.append(record)
        self.by_key[record.key] = record
        self._index_ids(record)

    def _index_ids(self, record: PaperRecord) -> None:
        values = record.values
        if values["arxiv_id"]:
            self.by_arxiv.setdefault(values["arxiv_id"], record)
        if values["doi"]:
            self.by_doi.setdefault(values["doi"], record)
        if values["title_norm"]:
            same_title = self.by_title.setdefault(values["title_norm"], [])
            if record not in same_title:
                same_title.append(record)

    def match(self, key: str, values: dict[str, Any]) -> PaperRecord | None:
        """The row this paper is, or None when it is a new paper."""
        if key in self.by_key:
            return self.by_key[key]
        if values["arxiv_id"] and values["arxiv_id"] in self.by_arxiv:
            return self.by_arxiv[values["arxiv_id"]]
        by_doi = self.by_doi.get(values["doi"]) if values["doi"] else None
        if by_doi is not None and _compatible(by_doi, values):
            return by_doi
        for record in self.by_title.get(title_norm(values), []) if title_norm(values) else []:
            if _compatible(record, values):
                return record
        return None

    def insert(self, key: str, values: dict[str, Any]) -> PaperRecord:
        """A new row; a DOI another paper already holds is left out (it is unique)."""
        values = dict(values)
        title_norm(values)
        if values["doi"] and values["doi"] in self.by_doi:
            values["doi"] = None
        if values["arxiv_id"] and values["arxiv_id"] in self.by_arxiv:
            values["arxiv_id"] = None
        record = PaperRecord(id=None, key=key, values=values, original=None)
        self.add(record)
        return record

    def merge(self, record: PaperRecord, values: dict[str, Any]) -> None:
        """Merge an incoming paper into `record` following the rules in the module docstring."""
        stored = record.values
        if _is_newer(values, stored):
            stored["title"], stored["title_norm"] = values["title"], title_norm(values)
            stored["abstract"] = values["abstract"] or stored["abstract"]
            stored["updated"] = values["updated"] or stored["updated"]
            stored["version"] = (
                values["version"] if values["version"] is not None else stored["version"]
            )
            stored["links"] = {**stored["links"], **values["links"]}
        else:
            stored["links"] = {**values["links"], **stored["links"]}
        if stored["version"] is None:
            stored["version"] = values["version"]
        for column in ("arxiv_id", "doi"):
            owners = self.by_arxiv if column == "arxiv_id" else self.by_doi
            if not stored[column] and values[column] and values[column] not in owners:
                stored[column] = values[column]
        for column in ("abstract", "authors", "categories", "updated"):
            if not stored[column] and values[column]:
                stored[column] = values[column]
        if values["published"] and (
            not stored["published"] or values["published"] < stored["published"]
        ):
            stored["published"] = values["published"]
        stored["sources"] = list(dict.fromkeys([*stored["sources"], *values["sources"]]))
        self._index_ids(record)


def record_from_row(row: Sequence[Any]) -> PaperRecord:
    """A row (id, key, *CONTENT_COLUMNS) as a PaperRecord; `original` keeps its content."""
    values = dict(zip(CONTENT_COLUMNS, row[2:], strict=True))
    for column in ("authors", "categories", "sources"):
        values[column] = list(values[column] or [])
    values["links"] = dict(values["links"] or {})
    # A shallow copy is enough: merge() replaces lists and dicts, it never edits them in place.
    return PaperRecord(id=row[0], key=row[1], values=values, original=dict(values))
