"""What a user sets on their settings page changes their real digest, preview and profile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jobs_support import ALICE_LIKES, SEED_PAPERS, write_config

from jobs import run_cycle
from jobs.library import sync_config_likes
from jobs.picks import rank_users
from recommender.config import Settings, load_settings
from recommender.effective import load_effective_settings
from recommender.models import Paper
from recommender.store.engine import Store, open_store
from recommender.store.outbox import digest_papers, recent_digests
from recommender.store.papers import save_papers
from recommender.store.self_service import save_settings

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, Settings, Store]]:
    users = [
        {"id": "alice", "email": "alice@example.org", "likes": ALICE_LIKES, "max_papers": 6},
        # Three likes: past the cold-start rating set, so the digest is its picks alone.
        {"id": "bob", "email": "bob@example.org", "likes": [2, 3, 15], "fixed": ["max_papers"]},
    ]
    feeds = [{"name": "local", "kind": "file", "path": "feed.xml"}]
    path = write_config(tmp_path, feeds=feeds, users=users)
    settings = load_settings(path)
    store = open_store(settings.database_url, migrate=True)
    candidates = [
        Paper(
            key=f"title:seed{i}",
            title=p["title"],
            abstract=p["abstract"],
            authors=[f"Author {i}"],
            sources=["local"],
        )
        for i, p in enumerate(SEED_PAPERS)
        if i not in ALICE_LIKES
    ]
    with store.begin() as conn:
        save_papers(conn, candidates, NOW - timedelta(days=1))
    sync_config_likes(settings, store, NOW)
    yield path, settings, store
    store.close()


def digest_keys(store: Store, user_id: str) -> list[str]:
    with store.begin() as conn:
        digest = recent_digests(conn, user_id, 1)[0]
        return [row.paper_key for row in digest_papers(conn, digest.id)]


def test_own_max_papers_and_a_muted_author_change_the_digest_that_is_sent(
    world: tuple[Path, Settings, Store],
) -> None:
    _, settings, store = world
    # What the config alone would send: six papers, the best by "Author N".
    _, ranked, papers = rank_users(settings, store, [settings.user("alice")], NOW)
    assert len(ranked["alice"]) == 6
    best = papers[ranked["alice"][0].paper_key]
    with store.begin() as conn:
        save_settings(conn, "alice", {"max_papers": 3, "muted_authors": best.authors}, NOW)
        save_settings(conn, "bob", {"max_papers": 1}, NOW)  # fixed by the admin: ignored
    report = run_cycle.run(settings, store, NOW, refresh=False)
    assert report.summary().startswith("cycle 1: 0 new papers, 2 digests: 2 delivered")
    sent = digest_keys(store, "alice")
    assert len(sent) == 3
    assert best.key not in sent
    assert len(digest_keys(store, "bob")) == 10  # the config's (default) max_papers holds


def test_recommend_and_profile_show_the_values_in_use_and_where_they_come_from(
    world: tuple[Path, Settings, Store], cli: Callable[..., Any]
) -> None:
    path, settings, store = world
    with store.begin() as conn:
        save_settings(conn, "alice", {"max_papers": 2, "frequency": "weekly"}, NOW)
        save_settings(conn, "bob", {"max_papers": 1}, NOW)
    preview = cli("recommend", "alice", "--config", str(path))
    assert preview.exit_code == 0, preview.stderr
    assert "alice: 2 of " in preview.stdout
    effective = load_effective_settings(settings, store)
    assert effective.user("alice").schedule == "0 7 * * mon"  # weekly, at the config's time
    profile = cli("profile", "alice", "--config", str(path))
    assert profile.exit_code == 0, profile.stderr
    rows = {line.split("│")[1].strip(): line for line in profile.stdout.splitlines() if "│" in line}
    assert [c.strip() for c in rows["max papers"].split("│")[2:5]] == ["2", "6", "self-service"]
    assert [c.strip() for c in rows["frequency"].split("│")[2:5]] == [
        "weekly",
        "daily",
        "self-service",
    ]
    assert [c.strip() for c in rows["muted authors"].split("│")[2:5]] == ["-", "-", "default"]
    bob = cli("profile", "bob", "--config", str(path)).stdout
    bob_rows = {line.split("│")[1].strip(): line for line in bob.splitlines() if "│" in line}
    assert [c.strip() for c in bob_rows["max papers"].split("│")[2:5]] == [
        "10",
        "10",
        "fixed by admin",
    ]
