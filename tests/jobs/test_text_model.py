"""The fitted text model is kept in the database and refitted only when it is stale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jobs_support import SEED_PAPERS, write_config

from jobs.text_model import current_text_model
from recommender.config import load_settings
from recommender.identifiers import paper_key
from recommender.models import Paper
from recommender.ranking import Ranker, RankerConfig
from recommender.store.engine import Store, open_store
from recommender.store.papers import count_papers, save_papers
from recommender.store.ranker_models import latest_ranker_model

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"


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


def test_fitted_on_the_newest_papers_only_when_the_store_holds_more(store: Store) -> None:
    add_papers(store, 0, 60)
    fitted = current_text_model(store, Ranker(), NOW, sample=30)
    assert fitted.corpus_size == 30
    # A word of the oldest papers that none of the newest 30 uses is not in the vocabulary.
    vocabulary = fitted.vectorizer.vocabulary_
    newest = " ".join(f"{p['title']} {p['abstract']}" for p in SEED_PAPERS[30:60]).lower()
    oldest_only = {
        word
        for p in SEED_PAPERS[:30]
        for word in p["abstract"].lower().split()
        if word.isalpha() and len(word) > 6 and word not in newest
    }
    assert oldest_only and not oldest_only & set(vocabulary)


def test_a_sampled_model_is_stale_once_enough_papers_arrived_since(store: Store) -> None:
    add_papers(store, 0, 60)
    ranker = Ranker()
    current_text_model(store, ranker, NOW, sample=30)
    first = stored_model_ids(store)
    # The store holds twice the sample; only the papers stored since the fit count.
    add_papers(store, 60, 65)  # 5 new: less than a fifth of the 30 fitted on, still fresh
    assert current_text_model(store, ranker, NOW, sample=30).corpus_size == 30
    assert stored_model_ids(store) == first
    add_papers(store, 65, 72)  # 12 new: more than a fifth, refitted on the newest 30
    assert current_text_model(store, ranker, NOW, sample=30).corpus_size == 30
    assert stored_model_ids(store) != first


def test_the_live_job_fits_on_the_configured_sample(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    feeds = [
        {"name": "stat", "kind": "file", "path": str(FEEDS / "arxiv_rss2_stat_2024-03-26.xml")}
    ]
    users = [{"id": "rosa", "email": "rosa@example.org", "likes": list(range(78))}]
    extra = "\n[ranking]\nfit_sample = 100\n"
    config = write_config(tmp_path, feeds=feeds, users=users, extra=extra)
    assert cli("refresh", "--config", str(config)).exit_code == 0
    assert cli("recommend", "rosa", "--config", str(config)).exit_code == 0
    store = open_store(load_settings(config).database_url)
    try:
        with store.begin() as conn:
            row = latest_ranker_model(conn)
            stored = count_papers(conn)
    finally:
        store.close()
    assert stored > 100
    assert row is not None and row.corpus_size == 100
