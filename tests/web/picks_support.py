"""Data of the picks page and feed tests: two readers with likes, a window of real papers.

The 78 seed papers are split: the even ones arrived three days ago (the candidate window,
from the followed feed), the odd and the liked ones forty days ago (outside it). Alice likes four old RLHF
papers, Bob three old continual-learning ones; a hostile title sits in the window.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from web_support import BASE_URL, T0

from jobs.text_model import current_text_model
from recommender.config import Settings, settings_from_dict
from recommender.models import FeedbackKind, FeedbackOrigin, Paper
from recommender.ranking import Ranker
from recommender.store.engine import Store
from recommender.store.feedback import set_feedback
from recommender.store.papers import get_paper, save_papers

SEED_PAPERS = Path(__file__).parents[1] / "fixtures" / "seed_papers.jsonl"
FEED = "hf-daily"
HOSTILE_KEY = "doi:10.1000/hostile-reward"
HOSTILE_TITLE = '<script>alert("pick")</script> Reward model overoptimization & <b>RLHF</b>'
ALICE_LIKES = (
    "Mitigating the Alignment Tax of RLHF",
    "Reward Model Ensembles Help Mitigate Overoptimization",
    "The Trickle-down Impact of Reward (In-)consistency on RLHF",
    "Sequence to Sequence Reward Modeling: Improving RLHF by Language Feedback",
)
BOB_LIKES = (
    "Does Continual Learning Equally Forget All Parameters?",
    "Online Prototype Learning for Online Continual Learning",
    "Challenging Common Assumptions about Catastrophic Forgetting",
)


def picks_settings(tmp_path: Path, base_url: str = BASE_URL) -> Settings:
    """Alice (12 picks, so two pages) and Bob (5), both following one feed."""
    data = {
        "storage": {"data_dir": str(tmp_path / "data")},
        "web": {"base_url": base_url, "secret_env": "PAPERSIFT_TEST_NO_SUCH_VAR"},
        "feeds": [{"name": FEED, "kind": "hf-daily"}],
        "users": [
            {"id": "alice", "email": "alice@example.org", "name": "Alice", "max_papers": 12},
            {"id": "bob", "email": "bob@example.org", "name": "Bob", "max_papers": 5},
        ],
    }
    return settings_from_dict(data, str(tmp_path / "config.toml"))


def seed_papers() -> tuple[list[Paper], list[Paper]]:
    """(window papers, old papers): the seed papers split, each with its own day."""
    rows = [json.loads(line) for line in SEED_PAPERS.read_text(encoding="utf-8").splitlines()]
    window, old = [], []
    for index, row in enumerate(rows):
        paper = Paper(
            key=f"seed:{index}",
            title=row["title"],
            abstract=row["abstract"],
            published=T0 - timedelta(days=100 + index),
            links={"abs": f"https://example.org/abs/seed-{index}"},
            sources=[FEED],
        )
        liked = row["title"] in ALICE_LIKES or row["title"] in BOB_LIKES
        (window if index % 2 == 0 and not liked else old).append(paper)
    return window, old


def hostile_paper() -> Paper:
    return Paper(
        key=HOSTILE_KEY,
        doi="10.1000/hostile-reward",
        title=HOSTILE_TITLE,
        abstract=(
            "Reward model overoptimization in RLHF: <img src=x onerror=alert(1)> the reward "
            "model ensembles and the alignment tax of reinforcement learning from human feedback."
        ),
        authors=["<i>Mallory</i>"],
        links={"abs": "javascript:alert('link')"},
        sources=[FEED],
    )


def seed_store(store: Store, *, model: bool = True, hostile: bool = True) -> None:
    """Save the papers (with `hostile`, the hostile one too) and the likes; with `model`,
    store the text model a digest run fits."""
    window, old = seed_papers()
    with store.begin() as conn:
        save_papers(conn, old, T0 - timedelta(days=40))
        save_papers(conn, window + [hostile_paper()] * hostile, T0 - timedelta(days=3))
        by_title = {p.title: p.key for p in old}
        for user, titles in (("alice", ALICE_LIKES), ("bob", BOB_LIKES)):
            for title in titles:
                paper = get_paper(conn, by_title[title])
                assert paper is not None, title
                set_feedback(
                    conn,
                    user,
                    paper.id,
                    FeedbackKind.LIKE,
                    FeedbackOrigin.IMPORT,
                    T0 - timedelta(days=30),
                )
    if model:
        current_text_model(store, Ranker(), T0)
