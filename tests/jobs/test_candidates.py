"""The candidate pool: only papers first seen within `[ranking] candidate_window_days`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_support import SEED_PAPERS, offered_papers, write_config

from recommender.config import load_settings
from recommender.models import Paper
from recommender.store.engine import Store, open_store
from recommender.store.papers import save_papers

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
# Seed paper index -> days before NOW it was first seen on the feed.
AGES = {0: 1, 1: 6, 2: 13, 3: 15, 4: 29, 5: 45}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    for index, days in AGES.items():
        paper = SEED_PAPERS[index]
        stored = Paper(
            key=f"title:seed{index}",
            title=paper["title"],
            abstract=paper["abstract"],
            sources=["local"],
        )
        with opened.begin() as conn:
            save_papers(conn, [stored], NOW - timedelta(days=days))
    yield opened
    opened.close()


def offered(tmp_path: Path, store: Store, extra: str) -> list[str]:
    return sorted(p.key for p in offered_papers(tmp_path, store, "local", extra, NOW))


@pytest.mark.parametrize(
    ("extra", "seeds"),
    [
        ("", [0, 1, 2]),  # the default: 14 days
        ("\n[ranking]\ncandidate_window_days = 7\n", [0, 1]),
        ("\n[ranking]\ncandidate_window_days = 30\n", [0, 1, 2, 3, 4]),
    ],
)
def test_only_papers_first_seen_within_the_window_are_offered(
    tmp_path: Path, store: Store, extra: str, seeds: list[int]
) -> None:
    assert offered(tmp_path, store, extra) == [f"title:seed{i}" for i in seeds]


def test_a_window_below_one_day_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    from recommender.errors import ConfigError

    config = write_config(
        tmp_path, feeds=[], users=[], extra="\n[ranking]\ncandidate_window_days = 0\n"
    )
    with pytest.raises(ConfigError, match=r"ranking\.candidate_window_days"):
        load_settings(config)
