"""`recommend USER --all`: every paper of the window, the picks first, each other one with why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_support import SEED_PAPERS, write_config
from typer.testing import CliRunner

from jobs import run_cycle
from jobs.cli import app
from jobs.library import sync_config_likes
from jobs.picks import Verdict, judge_window, rank_users
from recommender.config import Settings, load_settings
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking.score import score_for
from recommender.store.engine import Store, open_store
from recommender.store.feedback import set_feedback
from recommender.store.papers import get_paper, save_papers

# Relative to the clock: the command reads it, and the window is the last 14 days.
NOW = datetime.now(UTC) - timedelta(hours=3)
LATER = NOW + timedelta(hours=2)
THRESHOLD = 0.1


def _paper(key: str, title: str, abstract: str, authors: list[str] | None = None) -> Paper:
    return Paper(key=key, title=title, abstract=abstract, authors=authors or [], sources=["local"])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Settings, Store, Path]]:
    user = {
        "id": "ann",
        "email": "ann@example.org",
        "likes": [5, 13, 19],
        "max_papers": 3,
        "threshold": THRESHOLD,
        "muted_authors": ["Mona Muted"],
    }
    feeds = [{"name": "local", "kind": "file", "path": "feed.xml"}]
    config = write_config(tmp_path, feeds=feeds, users=[user])
    settings = load_settings(config)
    store = open_store(settings.database_url, migrate=True)
    first = [
        _paper(f"title:a{i}", p["title"], p["abstract"]) for i, p in enumerate(SEED_PAPERS[20:35])
    ]
    with store.begin() as conn:
        save_papers(conn, first, NOW - timedelta(days=1))
    # A digest at NOW: its picks are "already sent", the rest of that batch passed over.
    report = run_cycle.run(settings, store, NOW, refresh=False)
    assert report.compose.outcomes[0].picked, report.summary()
    second = [
        _paper(f"title:b{i}", p["title"], p["abstract"]) for i, p in enumerate(SEED_PAPERS[36:78])
    ]
    # Three takes on one liked paper: diversity keeps them from filling the digest.
    liked = SEED_PAPERS[5]
    second += [
        _paper(f"title:twin{i}", f"{liked['title']} ({label})", liked["abstract"])
        for i, label in enumerate(["extended", "revisited", "a replication"])
    ]
    second += [
        _paper("title:news", "News at a glance", "Short items from this week."),
        _paper("title:bare", "An editorial on reviewing", ""),
        _paper(
            "title:muted",
            SEED_PAPERS[6]["title"],
            SEED_PAPERS[6]["abstract"],
            authors=["Mona Muted", "Other Person"],
        ),
    ]
    with store.begin() as conn:
        save_papers(conn, second, NOW + timedelta(hours=1))
        disliked = get_paper(conn, "title:b0")
        assert disliked is not None
        set_feedback(conn, "ann", disliked.id, FeedbackKind.DISLIKE, FeedbackOrigin.CLI, LATER)
    sync_config_likes(settings, store, LATER)
    yield settings, store, config
    store.close()


def _by_key(verdicts: list[Verdict]) -> dict[str, Verdict]:
    return {v.paper.key: v for v in verdicts}


def test_the_picks_come_first_and_equal_the_preview(world: tuple[Settings, Store, Path]) -> None:
    settings, store, _ = world
    user = settings.user("ann")
    verdicts = judge_window(settings, store, user, LATER)
    _, ranked, _ = rank_users(settings, store, [user], LATER)
    picks = [v for v in verdicts if v.rank is not None]
    assert [v.paper.key for v in picks] == [s.paper_key for s in ranked["ann"]]
    assert [v.rank for v in picks] == list(range(1, len(picks) + 1))
    assert verdicts[: len(picks)] == picks
    assert all(v.kind == "picked" and v.why for v in picks)
    # Every paper first seen in the window is listed once.
    assert len(_by_key(verdicts)) == len(verdicts) == 15 + 42 + 3 + 3


def test_each_left_out_paper_says_why(world: tuple[Settings, Store, Path]) -> None:
    settings, store, _ = world
    user = settings.user("ann")
    verdicts = _by_key(judge_window(settings, store, user, LATER))
    assert verdicts["title:news"].kind == "front matter"
    assert verdicts["title:bare"].kind == "title only"
    assert "score_title_only" in verdicts["title:bare"].why
    assert verdicts["title:muted"].kind == "muted"
    assert verdicts["title:muted"].why == "muted author Mona Muted"
    assert verdicts["title:b0"].kind == "rated"
    first = [verdicts[f"title:a{i}"] for i in range(15)]
    sent = [v for v in first if v.kind == "already sent"]
    assert sent and len(sent) <= user.max_papers
    assert all(v.kind == "earlier digest" for v in first if v not in sent)
    floor = score_for(THRESHOLD)
    rest = [verdicts[f"title:b{i}"] for i in range(1, 42)]
    below = [v for v in rest if v.kind == "below threshold"]
    passed = [v for v in rest if v.kind in {"diversity", "beyond max_papers"}]
    assert below and passed
    assert all(v.score is not None and v.score < floor for v in below)
    assert all(v.score is not None and v.score >= floor for v in passed)
    assert {v.kind for v in rest} <= {"picked", "below threshold", "diversity", "beyond max_papers"}
    # Beyond max_papers: scored no higher than the last pick; listed best first after the picks.
    lowest_pick = min(v.score for v in verdicts.values() if v.score and v.rank)
    assert all(
        v.score is not None and v.score <= lowest_pick
        for v in passed
        if v.kind == "beyond max_papers"
    )
    # The twins of one liked paper: one is picked, a twin scoring above the last pick is
    # left out for diversity.
    twins = [verdicts[f"title:twin{i}"] for i in range(3)]
    assert any(v.rank for v in twins)
    assert any(v.kind == "diversity" and v.score and v.score > lowest_pick for v in twins)
    scores = [v.score for v in verdicts.values() if v.rank is None and v.score is not None]
    assert scores == sorted(scores, reverse=True)


def test_the_command_prints_the_window_and_counts_what_was_left_out(
    world: tuple[Settings, Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, config = world
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["recommend", "ann", "--all", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "picked of 63 papers first seen in the last" in result.output
    assert "muted author Mona Muted" in result.output
    assert "journal front matter, not a paper" in result.output
    counts = result.output.split("Left out:")[1]
    assert "1 muted" in counts and "1 front matter" in counts and "1 rated" in counts
