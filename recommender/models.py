"""The values Papersift passes between its layers: papers, feedback and ranked results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Paper(BaseModel):
    """One paper, the same shape for every source.

    `key` is stable across sources and versions: "arxiv:<bare id>" when the paper has an arXiv
    id, else "doi:<lower-case doi>", else "title:<16 hex of sha1(normalised title)>".
    """

    model_config = ConfigDict(extra="forbid")

    key: str
    arxiv_id: str | None = None  # bare, without version: "2401.01234", "astro-ph/0601001"
    version: int | None = None  # latest arXiv (or bioRxiv) version seen
    doi: str | None = None  # lower-case, without "https://doi.org/" or "doi:"
    title: str
    abstract: str = ""
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)  # primary first when known
    published: datetime | None = None  # UTC, first version / publication
    updated: datetime | None = None  # UTC, latest version
    links: dict[str, str] = Field(default_factory=dict)  # "abs", "pdf", "doi", "html"
    sources: list[str] = Field(default_factory=list)  # feed names (or "cli", "import", ...)

    @field_validator("published", "updated")
    @classmethod
    def _must_be_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("timestamps must be timezone-aware (UTC)")
        return value

    @property
    def text(self) -> str:
        """Title and abstract, the text the ranker reads."""
        return f"{self.title}. {self.abstract}".strip()


class FeedbackKind(StrEnum):
    LIKE = "like"
    DISLIKE = "dislike"


class FeedbackOrigin(StrEnum):
    CONFIG = "config"
    CLI = "cli"
    IMPORT = "import"
    EMAIL = "email"
    WEB = "web"


# Ranked results are plain dataclasses, not pydantic models: the ranker builds millions of them
# for 100,000 users from values it computed itself, so there is nothing to validate (and not
# frozen: a frozen dataclass is built more than twice as slowly).
@dataclass(slots=True)
class Reason:
    """Why a paper was picked, as data; `text` is what a reader sees."""

    # "terms" | "nearest_liked" | "keyword" | "followed_author" | "crowd" | "semantic" |
    # "interest"
    kind: str
    text: str
    terms: list[str] = field(default_factory=list)
    paper_key: str | None = None  # the liked paper it is closest to
    weight: float = 0.0


@dataclass(slots=True)
class ScoredPaper:
    """A candidate paper's score for one user, with its reasons."""

    paper_key: str
    score: float
    reasons: list[Reason] = field(default_factory=list)
