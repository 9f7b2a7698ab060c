"""`papersift evaluate`: held-out recent likes ranked among the papers of their period."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobs_support import write_config

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"


def test_evaluate_ranks_held_out_likes_and_explains(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    feeds = [
        {"name": "stat", "kind": "file", "path": str(FEEDS / "arxiv_rss2_stat_2024-03-26.xml")},
        {"name": "hf", "kind": "file", "path": str(FEEDS / "hf_daily_papers_2024-05-27.json")},
    ]
    users = [
        {"id": "alice", "email": "alice@example.org"},
        {"id": "carol", "email": "carol@example.org"},
    ]
    config = write_config(tmp_path, feeds=feeds, users=users)
    assert cli("refresh", "--config", str(config)).exit_code == 0
    # Statistics papers, the last one liked most recently.
    stat_ids = ["2403.15527", "2403.15670", "2403.15720", "2403.15755", "2403.15778", "2403.15792"]
    for arxiv_id in stat_ids:
        assert cli("like", "alice", arxiv_id, "--config", str(config)).exit_code == 0
    result = cli("evaluate", "alice", "--config", str(config))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "alice: 1 most recent likes held out, profile from 5 older ones" in text
    assert "your digest of 10 would have contained" in text
    assert "recall@10" in text

    few = cli("evaluate", "carol", "--config", str(config))
    assert few.exit_code == 1
    assert few.stderr.strip() == (
        "Error: carol has 0 liked paper(s): too few to judge. Like at least 3 papers "
        "(papersift like carol ...) and try again"
    )
