"""`recommend USER` previews exactly the digest the next full run composes for USER."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_support import ALICE_LIKES, BOB_LIKES, SEED_PAPERS, write_config

from jobs.cold_start import rank_and_rate
from jobs.library import sync_config_likes
from jobs.picks import rank_users
from recommender.config import Settings, load_settings
from recommender.models import Paper
from recommender.store.engine import Store, open_store
from recommender.store.papers import save_papers

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
LIKED = set(ALICE_LIKES) | set(BOB_LIKES) | {40, 41, 42}


USERS = [
    # Different digest sizes: the run scores them together, the preview one at a time.
    {"id": "alice", "email": "alice@example.org", "likes": ALICE_LIKES, "max_papers": 12},
    {"id": "bob", "email": "bob@example.org", "likes": BOB_LIKES, "max_papers": 3},
    {"id": "gene", "email": "gene@example.org", "likes": [40, 41, 42], "max_papers": 5},
]
# New readers: their papers to rate are part of what the preview must show.
NEW_READERS = [
    {"id": "nell", "email": "nell@example.org", "max_papers": 4},
    {"id": "otto", "email": "otto@example.org", "likes": [40, 2], "keywords": {"regret": 1.0}},
]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Settings, Store]]:
    yield from make_world(tmp_path, USERS)


@pytest.fixture
def new_world(tmp_path: Path) -> Iterator[tuple[Settings, Store]]:
    yield from make_world(tmp_path, USERS + NEW_READERS)


def make_world(tmp_path: Path, users: list[dict[str, object]]) -> Iterator[tuple[Settings, Store]]:
    feeds = [{"name": "local", "kind": "file", "path": "feed.xml"}]
    settings = load_settings(write_config(tmp_path, feeds=feeds, users=users))
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True)
    candidates = [
        Paper(key=f"title:seed{i}", title=p["title"], abstract=p["abstract"], sources=["local"])
        for i, p in enumerate(SEED_PAPERS)
        if i not in LIKED
    ]
    with store.begin() as conn:
        save_papers(conn, candidates, NOW - timedelta(days=1))
    sync_config_likes(settings, store, NOW)
    yield settings, store
    store.close()


def test_each_users_preview_equals_their_part_of_the_full_run(
    world: tuple[Settings, Store],
) -> None:
    settings, store = world
    _, together, _ = rank_users(settings, store, list(settings.users), NOW)
    for user in settings.users:
        _, alone, _ = rank_users(settings, store, [user], NOW)
        assert together[user.id], user.id
        assert [s.paper_key for s in alone[user.id]] == [s.paper_key for s in together[user.id]], (
            user.id
        )
        # Scores agree to float32 precision (matrix products over other users' rows).
        assert [s.score for s in alone[user.id]] == pytest.approx(
            [s.score for s in together[user.id]], abs=1e-6
        )
        assert [s.reasons for s in alone[user.id]] == [s.reasons for s in together[user.id]]


def test_a_new_readers_preview_holds_the_same_papers_to_rate_as_the_full_run(
    new_world: tuple[Settings, Store],
) -> None:
    settings, store = new_world
    together, rated_together = rank_and_rate(settings, store, list(settings.users), NOW)
    assert set(rated_together) == {"nell", "otto"}
    for user in settings.users:
        alone, rated_alone = rank_and_rate(settings, store, [user], NOW)
        picks = [s.paper_key for s in alone.picks[user.id]]
        assert picks == [s.paper_key for s in together.picks[user.id]], user.id
        rating = rated_alone.get(user.id, [])
        assert [s.paper_key for s in rating] == [
            s.paper_key for s in rated_together.get(user.id, [])
        ], user.id
        assert [s.reasons for s in rating] == [s.reasons for s in rated_together.get(user.id, [])]
        assert not {s.paper_key for s in rating} & set(picks)
