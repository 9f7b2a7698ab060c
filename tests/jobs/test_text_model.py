"""The fitted text model is kept in the database and refitted only when it is stale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jobs_support import SEED_PAPERS

from jobs.text_model import current_text_model
from recommender.identifiers import paper_key
from recommender.models import Paper
from recommender.ranking import Ranker, RankerConfig
from recommender.store.engine import Store, open_store
from recommender.store.papers import save_papers
from recommender.store.ranker_models import latest_ranker_model

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    yield opened
    opened.close()


def add_papers(store: Store, first: int, last: int) -> None:
    papers = [
        Paper(key=paper_key(None, None, p["title"]), title=p["title"], abstract=p["abstract"])
        for p in SEED_PAPERS[first:last]
    ]
    with store.begin() as conn:
        save_papers(conn, papers, NOW)


def stored_model_ids(store: Store) -> int | None:
    with store.begin() as conn:
        row = latest_ranker_model(conn)
    return row.id if row else None


def test_kept_reused_and_refitted_when_the_corpus_grew(store: Store) -> None:
    add_papers(store, 0, 50)
    ranker = Ranker()
    fitted = current_text_model(store, ranker, NOW)
    first = stored_model_ids(store)
    assert first is not None and fitted.corpus_size == 50
    with store.begin() as conn:
        row = latest_ranker_model(conn)
    assert row is not None and row.corpus_size == 50 and row.params

    add_papers(store, 50, 55)  # 10% more: still fresh
    assert current_text_model(store, ranker, NOW).corpus_size == 50
    assert stored_model_ids(store) == first

    add_papers(store, 55, 78)  # 56% more than the fit: stale, refitted and stored anew
    assert current_text_model(store, ranker, NOW).corpus_size == 78
    assert stored_model_ids(store) != first


def test_other_settings_are_not_trusted(store: Store) -> None:
    add_papers(store, 0, 50)
    current_text_model(store, Ranker(), NOW)
    first = stored_model_ids(store)
    other = Ranker(RankerConfig(min_df=1))
    assert current_text_model(store, other, NOW).config.min_df == 1
    assert stored_model_ids(store) != first
