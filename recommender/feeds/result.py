"""What parsing one feed body yields, and the collector every format parser fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recommender.errors import InputError
from recommender.feeds.paper import build_paper, merge_papers
from recommender.models import Paper
from recommender.text import clean_text


@dataclass
class ParseResult:
    """Papers of one feed body (duplicates merged), warnings to record, items in the body."""

    papers: list[Paper] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    items_seen: int = 0
    # Paged APIs (bioRxiv `details`): where the next page starts, None on the last page.
    next_cursor: int | None = None


class Collector:
    """Builds a Paper per item, skips unusable items with a warning and merges duplicates."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.warnings: list[str] = []
        self.items_seen = 0
        self._papers: dict[str, Paper] = {}

    def add(self, label: str, **fields: Any) -> None:
        """Count one item; keep it as a Paper if it has a title, else record why it was skipped."""
        self.items_seen += 1
        if not clean_text(fields.get("title")):
            self.warnings.append(f"{label}: skipped, it has no title")
            return
        try:
            paper = build_paper(source=self.source, **fields)
        except InputError as exc:
            self.warnings.append(f"{label}: skipped, {exc.what}")
            return
        seen = self._papers.get(paper.key)
        self._papers[paper.key] = merge_papers(seen, paper) if seen else paper

    def skip(self, label: str, reason: str) -> None:
        """Count one item that cannot be read at all, with the reason."""
        self.items_seen += 1
        self.warnings.append(f"{label}: skipped, {reason}")

    def warn(self, message: str) -> None:
        """Record a warning about the feed as a whole."""
        self.warnings.append(message)

    def result(self) -> ParseResult:
        """The papers in first-seen order, with the warnings and the item count."""
        return ParseResult(list(self._papers.values()), self.warnings, self.items_seen)
