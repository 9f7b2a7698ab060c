"""The ranker's inputs: candidate papers and a user's profile signals (plain frozen data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """A paper that may be recommended: its key, its text (title + abstract), its authors."""

    key: str
    text: str
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class LikedText:
    """A paper a user liked or disliked, with its text."""

    key: str
    text: str
    authors: tuple[str, ...] = ()
    liked_at: datetime | None = None


@dataclass(frozen=True)
class ProfileInput:
    """Everything the ranker knows about one user; `liked` runs oldest to newest."""

    user_id: str
    liked: list[LikedText]
    disliked: list[LikedText] = field(default_factory=list)
    keywords: dict[str, float] = field(default_factory=dict)
    muted_keywords: list[str] = field(default_factory=list)
    muted_authors: list[str] = field(default_factory=list)
    followed_authors: list[str] = field(default_factory=list)
    exclude: set[str] = field(default_factory=set)


def normalise_author(name: str) -> str:
    """Compare author names case- and spacing-insensitively."""
    return " ".join(name.casefold().replace(".", " ").split())
