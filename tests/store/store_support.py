"""Helpers for the store tests: papers built with real keys, a fixed clock, reopening a store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from recommender.identifiers import paper_key
from recommender.models import Paper
from recommender.store import Store, open_store

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


def make_paper(
    title: str = "Attention Is All You Need",
    *,
    arxiv_id: str | None = None,
    doi: str | None = None,
    **fields: Any,
) -> Paper:
    """A Paper whose key is computed the way the feeds compute it."""
    return Paper(
        key=paper_key(arxiv_id, doi, title), arxiv_id=arxiv_id, doi=doi, title=title, **fields
    )


def reopen(store: Store) -> Store:
    """A second, independent Store (own engine and connections) on the same database."""
    return open_store(store.engine.url.render_as_string(hide_password=False))
