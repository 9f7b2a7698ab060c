"""The live job's crowd view: learnt from every configured user's stored likes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jobs_support import SEED_PAPERS, write_config
from sqlalchemy import func, select

from jobs import crowd_model as crowd_module
from jobs.cli_app import now_utc
from jobs.crowd_model import crowd_model
from jobs.text_model import current_text_model
from recommender.config import load_settings, settings_from_dict
from recommender.identifiers import paper_key
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking import Ranker, RankerConfig
from recommender.store.engine import Store, open_store
from recommender.store.feedback import set_feedback
from recommender.store.papers import get_paper, save_papers
from recommender.store.tables import crowd_models

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


def test_the_crowd_model_is_fitted_once_per_state_of_the_likes_and_stored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    papers = [
        Paper(key=paper_key(None, None, p["title"]), title=p["title"], abstract=p["abstract"])
        for p in SEED_PAPERS
    ]
    with store.begin() as conn:
        save_papers(conn, papers, now)
        ids = {p.key: get_paper(conn, p.key).id for p in papers}  # type: ignore[union-attr]

    def like(user: str, index: int) -> None:
        with store.begin() as conn:
            set_feedback(
                conn, user, ids[papers[index].key], FeedbackKind.LIKE, FeedbackOrigin.WEB, now
            )

    for user in range(4):
        for index in range(user * 5, user * 5 + 6):
            like(f"u{user}", index)
    users = [{"id": f"u{i}", "email": f"u{i}@example.org"} for i in range(4)]
    settings = settings_from_dict({"users": users}, "test.toml")
    ranker = Ranker(RankerConfig(crowd_min_users=4))
    fitted = current_text_model(store, ranker, now)

    def stored() -> int:
        with store.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(crowd_models)).scalar_one())

    first = crowd_model(settings, store, ranker, fitted)
    assert first is not None and stored() == 1

    # Another process (nothing in memory) loads it: no fit.
    fit = Ranker.fit_crowd
    monkeypatch.setattr(Ranker, "fit_crowd", lambda *_: pytest.fail("fitted again"))
    crowd_module._last.clear()
    loaded = crowd_model(settings, store, ranker, fitted)
    assert loaded is not None and loaded is not first
    assert np.array_equal(loaded.coef, first.coef) and loaded.row == first.row

    # A new like is a new state: fitted again and stored beside it.
    monkeypatch.setattr(Ranker, "fit_crowd", fit)
    like("u0", 40)
    changed = crowd_model(settings, store, ranker, fitted)
    assert changed is not None and f"{papers[40].key}" in changed.row and stored() == 2

    # An evaluation's leave-out is fitted for it alone, never stored.
    held = crowd_model(settings, store, ranker, fitted, leave_out={papers[40].key})
    assert held is not None and papers[40].key not in held.row and stored() == 2
