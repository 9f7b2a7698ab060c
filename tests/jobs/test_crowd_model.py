"""The live job's crowd view: learnt from every configured user's stored likes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobs_support import write_config

from jobs.cli_app import now_utc
from jobs.crowd_model import crowd_model
from jobs.text_model import current_text_model
from recommender.config import load_settings
from recommender.ranking import Ranker, RankerConfig
from recommender.store.engine import open_store

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
STAT = ["2403.15527", "2403.15670", "2403.15720", "2403.15755", "2403.15778", "2403.15792"]


def test_crowd_model_learns_from_all_users_and_leaves_out_what_it_must(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    feeds = [
        {"name": "stat", "kind": "file", "path": str(FEEDS / "arxiv_rss2_stat_2024-03-26.xml")}
    ]
    users = [{"id": f"u{i}", "email": f"u{i}@example.org"} for i in range(4)]
    config = write_config(tmp_path, feeds=feeds, users=users)
    assert cli("refresh", "--config", str(config)).exit_code == 0
    for i in range(4):
        for arxiv_id in STAT[i : i + 3]:
            assert cli("like", f"u{i}", arxiv_id, "--config", str(config)).exit_code == 0
    settings = load_settings(config)
    store = open_store(settings.database_url)
    try:
        ranker = Ranker(RankerConfig(crowd_min_users=4))
        fitted = current_text_model(store, ranker, now_utc())
        model = crowd_model(settings, store, ranker, fitted)
        assert model is not None
        assert set(model.row) == {f"arxiv:{a}" for a in STAT}
        held = f"arxiv:{STAT[2]}"
        without = crowd_model(settings, store, ranker, fitted, leave_out={held})
        assert without is not None and held not in without.row
        # The default needs 300 users with likes: four are not enough.
        assert crowd_model(settings, store, Ranker(), fitted) is None
    finally:
        store.close()
