"""Journal front matter and items without an abstract are stored but never offered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_support import SEED_PAPERS, offered_papers

from recommender.feeds.parse import parse_feed
from recommender.front_matter import is_front_matter
from recommender.models import Paper
from recommender.store.engine import Store, open_store
from recommender.store.papers import count_papers, save_papers

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
SCIENCE = (
    Path(__file__).parents[1] / "fixtures" / "feeds" / "science_current_issue_rss1_2021-05-21.rdf"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    science = parse_feed(SCIENCE.read_bytes(), "rss", "science").papers
    assert {p.title for p in science} == {'"The Descent of Man," 150 years on', "News at a glance"}
    real = Paper(
        key="title:seed0",
        title=SEED_PAPERS[0]["title"],
        abstract=SEED_PAPERS[0]["abstract"],
        sources=["science"],
    )
    notice = Paper(
        key="title:correction",
        title=f"Correction: {SEED_PAPERS[1]['title']}",
        abstract=SEED_PAPERS[1]["abstract"],
        sources=["science"],
    )
    with opened.begin() as conn:
        save_papers(conn, [*science, real, notice], NOW - timedelta(days=1))
    yield opened
    opened.close()


def offered(tmp_path: Path, store: Store, extra: str = "") -> set[str]:
    return {p.title for p in offered_papers(tmp_path, store, "science", extra, NOW)}


def test_editorials_news_and_notices_are_stored_but_not_offered(
    tmp_path: Path, store: Store
) -> None:
    with store.begin() as conn:
        assert count_papers(conn) == 4  # nothing already stored is lost
    assert offered(tmp_path, store) == {SEED_PAPERS[0]["title"]}


def test_title_only_items_are_offered_when_asked_for_front_matter_never(
    tmp_path: Path, store: Store
) -> None:
    extra = "\n[ranking]\nscore_title_only = true\n"
    assert offered(tmp_path, store, extra) == {
        SEED_PAPERS[0]["title"],
        '"The Descent of Man," 150 years on',
    }


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("News at a glance", True),
        ("In Brief", True),
        ("Editorial", True),
        ("Correction: Reward models and RLHF", True),
        ("Author Correction: A map of the brain", True),
        ("Retraction Note: Superconductivity at room temperature", True),
        ("Erratum", True),
        ("Table of Contents", True),
        ("This Week in Science", True),
        ('"The Descent of Man," 150 years on', False),
        ("Error correction for surface codes", False),
        ("Editorial decisions and peer review: a causal study", False),
        ("Contents of the human gut microbiome", False),
    ],
)
def test_front_matter_is_told_from_papers(title: str, expected: bool) -> None:
    assert is_front_matter(title) is expected
