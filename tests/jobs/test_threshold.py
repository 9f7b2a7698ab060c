"""`threshold` is a closeness: 0 a random new paper, 1 the user's typical liked paper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs_support import SEED_PAPERS, write_config

from jobs.library import sync_config_likes
from jobs.picks import rank_users
from recommender.config import load_settings
from recommender.digest.view import closeness
from recommender.models import Paper
from recommender.store.engine import open_store
from recommender.store.papers import save_papers

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_threshold_keeps_papers_at_least_that_close_to_the_likes(tmp_path: Path) -> None:
    def picks(threshold: float) -> list[float]:
        config = write_config(
            tmp_path,
            feeds=[{"name": "local", "kind": "file", "path": "feed.xml"}],
            users=[
                {
                    "id": "ann",
                    "email": "ann@example.org",
                    "likes": [10, 11, 12],
                    "max_papers": 60,
                    "threshold": threshold,
                }
            ],
        )
        settings = load_settings(config)
        assert not any(sync_config_likes(settings, store, NOW).values())
        _, ranked, _ = rank_users(settings, store, settings.users, NOW)
        return [closeness(s.score) for s in ranked["ann"]]

    with open_store(f"sqlite:///{tmp_path / 'db.sqlite'}", migrate=True) as store:
        papers = [
            Paper(key=f"title:seed{i}", title=p["title"], abstract=p["abstract"], sources=["local"])
            for i, p in enumerate(SEED_PAPERS[13:60])
        ]
        with store.begin() as conn:
            save_papers(conn, papers, NOW - timedelta(days=1))
        everything = picks(0.0)  # 0: no threshold
        cut = sorted(everything, reverse=True)[9]  # about ten papers pass
        kept = picks(cut)
        assert kept and all(r >= cut - 1e-9 for r in kept)
        assert len(kept) == sum(r >= cut - 1e-9 for r in everything) < len(everything)
