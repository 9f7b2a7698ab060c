"""Helpers shared by the job tests: seed papers, liked-paper picks and config files."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from toml_value import toml_value

from jobs.candidates import gather_inputs
from recommender.config import load_settings
from recommender.store.engine import Store
from recommender.store.papers import StoredPaper

FIXTURES = Path(__file__).parents[1] / "fixtures"
SEED_PAPERS = [
    json.loads(line)
    for line in (FIXTURES / "seed_papers.jsonl").read_text(encoding="utf-8").splitlines()
]

# Liked papers by their seed index: Alice works on RLHF and RAG, Bob on bandits and statistics.
ALICE_LIKES = [5, 13, 19, 26, 55, 7, 66, 50]
BOB_LIKES = [2, 15, 27, 75, 74, 36]


def offered_papers(
    folder: Path, store: Store, feed: str, extra: str, now: datetime
) -> list[StoredPaper]:
    """The papers one user (ann) is offered from the local file feed `feed`, as the cycle would."""
    config = write_config(
        folder,
        feeds=[{"name": feed, "kind": "file", "path": "feed.xml"}],
        users=[{"id": "ann", "email": "ann@example.org", "likes": [10]}],
        extra=extra,
    )
    settings = load_settings(config)
    inputs, candidates, by_key = gather_inputs(settings, store, settings.users, now)
    assert {c.key for c in candidates} == inputs[0].candidate_keys
    return [by_key[c.key] for c in candidates]


def write_config(
    folder: Path,
    *,
    feeds: list[dict[str, Any]],
    users: list[dict[str, Any]],
    mail: dict[str, Any] | None = None,
    extra: str = "",
) -> Path:
    """Write a config.toml; each user's `likes` (seed indexes) become inline liked papers."""
    lines = ["[storage]", f"data_dir = {toml_value(str(folder / 'data'))}", ""]
    lines += ["[web]", 'base_url = "https://papersift.example.org"', ""]
    if mail:
        lines.append("[mail]")
        lines += [f"{key} = {toml_value(value)}" for key, value in mail.items()]
        lines.append("")
    for feed in feeds:
        lines.append("[[feeds]]")
        lines += [f"{key} = {toml_value(value)}" for key, value in feed.items()]
        lines.append("")
    for user in users:
        user = dict(user)
        likes = user.pop("likes", [])
        lines.append("[[users]]")
        lines += [f"{key} = {toml_value(value)}" for key, value in user.items()]
        for index in likes:
            paper = SEED_PAPERS[index]
            lines += ["[[users.liked_papers]]", f"title = {toml_value(paper['title'])}"]
            lines += [f"abstract = {toml_value(paper['abstract'])}"]
        lines.append("")
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path
