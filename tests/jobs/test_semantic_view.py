"""The semantic view in the product: `recommend` on the demo config, the missing extra, `evaluate`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jobs_support import ALICE_LIKES, BOB_LIKES, write_config
from sklearn.preprocessing import normalize

from jobs.evaluate import CROWD, FUSED, SEMANTIC, WORDS, evaluate_user
from jobs.library import sync_config_likes
from jobs.text_model import ranker_for
from recommender.config import RankingSettings, Settings, load_settings
from recommender.models import FeedbackKind
from recommender.offline import LikesLine, rank_users
from recommender.ranking import Ranker, RankerConfig
from recommender.semantic_model import load_embedder
from recommender.store.engine import open_store
from recommender.store.feedback import feedback_for
from recommender.store.papers import iter_paper_texts, list_papers, papers_by_ids
from recommender.store.ranker_models import stored_text_model

Cli = Callable[..., Any]
ROOT = Path(__file__).parents[2]
FEEDS = ROOT / "tests" / "fixtures" / "feeds"


def demo(folder: Path, weight: float) -> Path:
    """The bundled demo configuration with the semantic view at `weight`."""
    folder.mkdir()
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    assert "\nsemantic_weight = 0.0\n" in text
    text = text.replace("\nsemantic_weight = 0.0\n", f"\nsemantic_weight = {weight}\n")
    (folder / "config.toml").write_text(text, encoding="utf-8")
    return folder / "config.toml"


def picks(cli: Cli, config: Path) -> list[str]:
    assert cli("refresh", "--config", str(config)).exit_code == 0
    result = cli("recommend", "alice", "--config", str(config))
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("│ ")]
    assert rows
    return rows


def test_recommend_on_the_demo_with_the_semantic_view(cli: Cli, tmp_path: Path) -> None:
    off = picks(cli, demo(tmp_path / "off", 0.0))
    config = demo(tmp_path / "on", 2.0)
    on = picks(cli, config)
    assert on != off  # the view changed the digest's scores or order
    settings = load_settings(config)
    store = open_store(settings.database_url)
    try:
        with store.begin() as conn:
            fitted = stored_text_model(conn)
    finally:
        store.close()
    # The live job fitted (and stored) its model with the view: corpus mean, reference sample.
    assert fitted is not None and fitted.semantic is not None
    assert fitted.config.semantic_weight == 2.0
    assert fitted.semantic.reference.shape == (min(500, fitted.corpus_size), 256)


def test_a_missing_extra_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    config = demo(tmp_path / "on", 0.5)
    assert cli("refresh", "--config", str(config)).exit_code == 0
    # wordllama made unimportable in a fresh process (None in sys.modules: ImportError).
    code = "import sys; sys.modules['wordllama'] = None; from jobs.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "recommend", "alice", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert "ranking.semantic_weight is on but wordllama does not import" in message
    assert "pip install 'papersift[semantic]'" in message
    assert "or set semantic_weight = 0" in message


def test_rank_offline_and_the_live_job_share_the_semantic_default() -> None:
    assert RankingSettings().semantic_weight == RankerConfig().semantic_weight == 0.0
    assert ranker_for(Settings()).config == RankerConfig()
    assert Ranker().config == RankerConfig()  # rank-offline's Ranker(RankerConfig())
    # rank-offline ranks with RankerConfig() itself: the view stays off, no model is loaded.
    papers = {"a": "quantum entanglement of photons", "c": "galaxy clusters and dark matter"}
    candidates = {"b": "entangled photons in quantum optics", "d": "dark matter halos"}
    ranked, _ = rank_users(papers, candidates, [LikesLine("u", ["a"])], 1)
    assert ranked == {"u": ["b"]}


@pytest.fixture
def library(tmp_path: Path, cli: Cli) -> Settings:
    feeds = [
        {"name": "stat", "kind": "file", "path": str(FEEDS / "arxiv_rss2_stat_2024-03-26.xml")},
        {"name": "hf", "kind": "file", "path": str(FEEDS / "hf_daily_papers_2024-05-27.json")},
    ]
    users = [
        {"id": "alice", "email": "alice@example.org", "likes": ALICE_LIKES},
        {"id": "bob", "email": "bob@example.org", "likes": BOB_LIKES},
        {"id": "carol", "email": "carol@example.org", "likes": ALICE_LIKES[:4] + BOB_LIKES[:2]},
        {"id": "dan", "email": "dan@example.org", "likes": BOB_LIKES[2:] + ALICE_LIKES[4:]},
    ]
    config = write_config(tmp_path, feeds=feeds, users=users)
    assert cli("refresh", "--config", str(config)).exit_code == 0
    return load_settings(config)


NOW = datetime.now(UTC)


def test_evaluate_reports_each_view_under_its_own_name(library: Settings) -> None:
    store = open_store(library.database_url)
    try:
        sync_config_likes(library, store, NOW)
        # dan's held-out likes rank differently in each view; alice's rank first and second
        # in all of them, so her ranks cannot tell the views apart.
        dan = library.user("dan")
        crowd = RankerConfig(crowd_min_users=2)  # four users teach the crowd view here
        result = evaluate_user(library, store, dan, NOW, Ranker(crowd))
        views = {view.name: view for view in result.views}
        assert [v.name for v in result.views] == [WORDS, CROWD, SEMANTIC, FUSED]
        configured = [h.rank for h in result.held_out]
        assert views[CROWD].ranks == configured and views[CROWD].note == ""
        words = evaluate_user(
            library, store, dan, NOW, Ranker(crowd.model_copy(update={"crowd_weight": 0.0}))
        )
        assert views[WORDS].ranks == [h.rank for h in words.held_out]
        assert views[WORDS].ranks != views[CROWD].ranks  # the two are told apart here
        fused_config = crowd.model_copy(update={"semantic_weight": 0.3})
        fused = evaluate_user(library, store, dan, NOW, Ranker(fused_config, load_embedder()))
        assert views[FUSED].ranks == [h.rank for h in fused.held_out]
        assert views[FUSED].note == "semantic_weight 0.3 (a trial: off in the config)"
        assert {v.name: v.ranks for v in fused.views}[FUSED] == views[FUSED].ranks
        assert views[SEMANTIC].ranks == semantic_ranks(
            store, "dan", result.held_out, result.training_likes
        )
    finally:
        store.close()


def semantic_ranks(store: Any, user: str, held: list[Any], training: int) -> list[int]:
    """The held-out likes' ranks by cosine to the user's older likes, recomputed from scratch."""
    with store.begin() as conn:
        corpus = [t.text for t in iter_paper_texts(conn)]
        feedback = sorted(feedback_for(conn, user), key=lambda f: (f.created_at, f.paper_id))
        papers = papers_by_ids(conn, [f.paper_id for f in feedback])
        stored = list_papers(conn, search=None, since=None, limit=None)
    likes = [papers[f.paper_id] for f in feedback if f.kind == FeedbackKind.LIKE]
    known = {f.paper_key for f in feedback} - {h.key for h in held}
    pool = [p for p in stored if p.key not in known]
    assert len(pool) > 50
    embedder = load_embedder()
    mean = embedder.embed(corpus).mean(axis=0)
    liked = normalize(embedder.embed([p.text for p in likes[:training]]) - mean)
    user = normalize(liked.mean(axis=0, keepdims=True))[0]
    cosine = normalize(embedder.embed([p.text for p in pool]) - mean) @ user
    by_key = dict(zip([p.key for p in pool], cosine, strict=True))
    return [int(np.sum(cosine > by_key[h.key])) + 1 for h in held]


def test_evaluate_names_the_extra_when_it_cannot_run(cli: Cli, library: Settings) -> None:
    code = "import sys; sys.modules['wordllama'] = None; from jobs.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "evaluate", "alice", "--config", library.source],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if "│" in line}
    assert "pip install" in lines[SEMANTIC] and "papersift[semantic]" in done.stdout
    assert lines[SEMANTIC].count(" - ") >= 4  # no recall without the model
    assert "%" in lines[WORDS] and "%" in lines[CROWD]
