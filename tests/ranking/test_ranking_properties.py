"""Hypothesis invariants of Ranker.rank, and the purity of recommender/ranking."""

from __future__ import annotations

import ast
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ranking_support import CORPUS

import recommender.ranking
from recommender.ranking import Candidate, LikedText, ProfileInput

WORDS = sorted({w for text in CORPUS for w in text.split()})
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
keys = st.sampled_from([f"p{i}" for i in range(30)])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ProfileInput, list[Candidate], int]:
    """A user and a candidate pool that share keys (liked/excluded papers may be candidates)."""
    pool = draw(st.dictionaries(keys, texts, min_size=1, max_size=20))
    candidates = [Candidate(k, t) for k, t in pool.items()]
    liked = draw(st.lists(st.tuples(keys, texts), max_size=4, unique_by=lambda x: x[0]))
    words = draw(st.dictionaries(st.sampled_from(WORDS), st.floats(-1, 2), max_size=2))
    exclude = draw(st.sets(keys, max_size=5))
    user = ProfileInput("u", [LikedText(k, t) for k, t in liked], keywords=words, exclude=exclude)
    return user, candidates, draw(st.integers(1, 12))


common = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(scenarios())
def test_rank_invariants(ranker_and_model, scenario) -> None:
    ranker, fitted = ranker_and_model
    user, candidates, k = scenario
    ranked = ranker.rank(fitted, [user], candidates, k)["u"]
    scores = [p.score for p in ranked]
    assert len(ranked) <= k
    assert scores == sorted(scores, reverse=True)
    assert all(math.isfinite(s) and 0.0 < s < 1.0 for s in scores)
    banned = user.exclude | {d.key for d in user.liked}
    assert not banned & {p.paper_key for p in ranked}
    assert len({p.paper_key for p in ranked}) == len(ranked)
    assert all(p.reasons for p in ranked)
    if not user.liked and not any(w > 0 for w in user.keywords.values()):
        assert ranked == []


@common
@given(scenarios(), st.randoms(use_true_random=False))
def test_rank_ignores_candidate_order(ranker_and_model, scenario, random) -> None:
    ranker, fitted = ranker_and_model
    user, candidates, k = scenario
    shuffled = list(candidates)
    random.shuffle(shuffled)
    first = ranker.rank(fitted, [user], candidates, k)["u"]
    second = ranker.rank(fitted, [user], shuffled, k)["u"]
    assert first == second


def test_ranking_imports_no_io_library() -> None:
    banned = {"sqlalchemy", "httpx", "aiosmtplib", "jinja2"}
    folder = Path(recommender.ranking.__file__).parent
    files = sorted(folder.rglob("*.py"))
    assert len(files) >= 5
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"
