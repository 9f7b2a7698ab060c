"""The semantic view: its math, and the ranker fusing it with the real bundled WordLlama model."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from recommender.digest.reasons import readable_reasons
from recommender.models import Paper, Reason, ScoredPaper
from recommender.ranking import Candidate, FittedText, LikedText, ProfileInput, Ranker, RankerConfig
from recommender.ranking.score import fuse_views, z_view
from recommender.ranking.semantic import (
    library_weights,
    own_closeness,
    standardised,
    unit_centred,
    user_vectors,
    zscore_rows,
)
from recommender.semantic_model import load_embedder

SEED = Path(__file__).parents[1] / "fixtures" / "seed_papers.jsonl"
PAPERS = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
TEXTS = [f"{p['title']}. {p['abstract']}" for p in PAPERS]
LIKED = [0, 5, 13]  # three liked papers, the rest are candidates


def test_centring_removes_the_shared_direction() -> None:
    shared = np.array([10.0, 10.0, 0.0], np.float32)
    raw = shared + np.eye(3, dtype=np.float32)
    assert float(unit_centred(raw, np.zeros(3))[0] @ unit_centred(raw, np.zeros(3))[1]) > 0.99
    centred = unit_centred(raw, raw.mean(axis=0))
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), 1.0, rtol=1e-6)
    assert float(centred[0] @ centred[1]) < 0  # apart once the common part is gone
    assert np.all(unit_centred(raw[:1], raw[0]) == 0)  # a vector equal to the mean stays zero


def test_user_vector_is_the_unit_mean_and_own_closeness_its_norm() -> None:
    papers = unit_centred(np.random.default_rng(1).normal(size=(6, 4)), np.zeros(4))
    rows = [np.array([0, 1, 1]), np.array([], dtype=np.int64)]  # duplicates count once
    users = user_vectors(papers, rows)
    mean = papers[[0, 1]].mean(axis=0)
    np.testing.assert_allclose(users[0], mean / np.linalg.norm(mean), rtol=1e-5)
    assert np.all(users[1] == 0)
    own = own_closeness(papers, rows)
    np.testing.assert_allclose(own[0], (papers[[0, 1]] @ users[0]).mean(), rtol=1e-5)
    assert own[1] == 0


def test_standardised_is_a_z_score_on_the_reference_and_zero_without_likes() -> None:
    rng = np.random.default_rng(2)
    reference = unit_centred(rng.normal(size=(50, 8)), np.zeros(8))
    users = user_vectors(reference, [np.array([0, 3]), np.array([], dtype=np.int64)])
    z, own_z = standardised(users, reference, reference, own_closeness(reference, [[0, 3], []]))
    np.testing.assert_allclose(z[0].mean(), 0.0, atol=1e-5)
    np.testing.assert_allclose(z[0].std(), 1.0, rtol=1e-3)
    assert np.all(z[1] == 0) and own_z[1] == 0
    # The cosine is linear in the paper: own likes' mean z is the own z.
    np.testing.assert_allclose(own_z[0], z[0, [0, 3]].mean(), rtol=1e-4)
    assert own_z[0] > 1
    rows = zscore_rows(np.array([[1.0, 2.0, -np.inf, 3.0]]))
    np.testing.assert_allclose(rows[0, [0, 1, 3]], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    assert rows[0, 2] == -np.inf


def test_library_weight_shrinks_with_size_or_stays_flat() -> None:
    sizes = np.array([1, 2, 10])
    np.testing.assert_allclose(library_weights(1.0, 2.0, sizes), [2 / 3, 0.5, 2 / 12])
    np.testing.assert_allclose(library_weights(0.3, 0.0, sizes), [0.3, 0.3, 0.3])


def test_fusion_keeps_the_typical_like_at_one_and_grows_with_the_weight() -> None:
    rng = np.random.default_rng(3)
    r = rng.normal(size=(2, 30)).astype(np.float32)
    z = rng.normal(size=(2, 30)).astype(np.float32)
    spread, own_z = np.array([0.5, 0.8]), np.array([3.0, 4.0])
    ones = np.ones((2, 1), np.float32)  # a paper at r = 1 with the typical like's semantic z
    previous = -1.0
    for weight in (0.1, 0.5, 2.0, 10.0):
        part, own = z_view(spread, np.hstack([z, own_z[:, None]]), own_z, np.full(2, weight))
        fused = np.hstack([r, ones])
        fuse_views(fused, [(part, own)])
        np.testing.assert_allclose(fused[:, -1], 1.0, rtol=1e-5)
        agreement = float(np.mean([spearmanr(fused[i, :-1], z[i])[0] for i in range(2)]))
        assert agreement > previous  # more weight: closer to the semantic view's order
        previous = agreement
    assert previous > 0.95


@pytest.fixture(scope="module")
def semantic_fit() -> tuple[Ranker, FittedText]:
    config = RankerConfig(semantic_weight=0.5, diversity=0.0, interest_slots=0)
    ranker = Ranker(config, load_embedder())
    return ranker, ranker.fit(TEXTS)


def user() -> ProfileInput:
    return ProfileInput("u", [LikedText(f"p{i:02d}", TEXTS[i]) for i in LIKED])


# Keys in sorted order, as score_matrix returns its columns.
CANDIDATES = [Candidate(f"p{i:02d}", TEXTS[i]) for i in range(len(TEXTS)) if i not in LIKED]


def test_weight_zero_gives_todays_scores_exactly(semantic_fit: tuple[Ranker, FittedText]) -> None:
    ranker, fitted = semantic_fit
    plain = Ranker(RankerConfig(diversity=0.0, interest_slots=0))
    today = plain.score_matrix(plain.fit(TEXTS), [user()], CANDIDATES)[1]
    off = Ranker(RankerConfig(semantic_weight=0.0, diversity=0.0, interest_slots=0))
    assert np.array_equal(off.score_matrix(fitted, [user()], CANDIDATES)[1], today)
    tiny = Ranker(ranker.config.model_copy(update={"semantic_weight": 1e-9}), ranker.embedder)
    np.testing.assert_allclose(tiny.score_matrix(fitted, [user()], CANDIDATES)[1], today, atol=1e-6)


def test_the_view_moves_the_ranking_towards_its_own_order(
    semantic_fit: tuple[Ranker, FittedText],
) -> None:
    ranker, fitted = semantic_fit
    assert fitted.semantic is not None
    embedder = load_embedder()
    vectors = fitted.semantic.vectors(embedder, [c.text for c in CANDIDATES])
    liked = fitted.semantic.vectors(embedder, [TEXTS[i] for i in LIKED])
    cosine = vectors @ user_vectors(liked, [np.arange(len(LIKED))])[0]
    agreement = []
    for weight in (0.0, 0.5, 2.0, 8.0):
        fused = Ranker(ranker.config.model_copy(update={"semantic_weight": weight}), embedder)
        columns, matrix = fused.score_matrix(fitted, [user()], CANDIDATES)
        assert columns == [c.key for c in CANDIDATES]
        scores = matrix[0]
        agreement.append(float(spearmanr(scores, cosine)[0]))
        each = fused.score_each(fitted, user(), CANDIDATES)
        assert [each[c.key].score for c in CANDIDATES] == pytest.approx(list(scores))
        picks = fused.rank(fitted, [user()], CANDIDATES, 5)["u"]
        assert [p.paper_key for p in picks] == [CANDIDATES[i].key for i in np.argsort(-scores)[:5]]
    assert agreement == sorted(agreement) and agreement[-1] > agreement[0] + 0.1


def test_the_stored_model_keeps_the_mean_but_not_the_embedder(
    semantic_fit: tuple[Ranker, FittedText],
) -> None:
    ranker, fitted = semantic_fit
    blob = pickle.dumps(fitted)
    assert b"wordllama" not in blob.replace(b"wordllama-256", b"")  # only the model's name
    loaded = pickle.loads(blob)
    assert loaded.semantic is not None and loaded.semantic._seen is None
    np.testing.assert_array_equal(loaded.semantic.mean, fitted.semantic.mean)
    again = ranker.score_matrix(loaded, [user()], CANDIDATES)[1]
    np.testing.assert_allclose(
        again, ranker.score_matrix(fitted, [user()], CANDIDATES)[1], atol=1e-5
    )


def test_a_model_fitted_without_the_view_or_a_ranker_without_its_model_is_refused() -> None:
    fitted = Ranker().fit(TEXTS)
    on = RankerConfig(semantic_weight=0.5)
    with pytest.raises(ValueError, match="fitted without this semantic view"):
        Ranker(on, load_embedder()).rank(fitted, [user()], CANDIDATES, 3)
    with pytest.raises(ValueError, match="needs an embedder"):
        Ranker(on).fit(TEXTS)


def test_a_pick_the_view_carried_names_the_liked_paper_closest_in_meaning(
    semantic_fit: tuple[Ranker, FittedText],
) -> None:
    ranker, fitted = semantic_fit
    assert fitted.semantic is not None
    embedder = ranker.embedder
    liked = fitted.semantic.vectors(embedder, [TEXTS[i] for i in LIKED])
    strong = Ranker(ranker.config.model_copy(update={"semantic_weight": 4.0}), embedder)
    picks = strong.rank(fitted, [user()], CANDIDATES, 10)["u"]
    said = [(p, r) for p in picks for r in p.reasons if r.kind == "semantic"]
    assert said
    for pick, reason in said:
        vector = fitted.semantic.vectors(embedder, [TEXTS[int(pick.paper_key[1:])]])[0]
        assert reason.paper_key == f"p{LIKED[int(np.argmax(liked @ vector))]:02d}"
        assert reason.text == f"close in meaning to {reason.paper_key}" and reason.weight >= 0.2
    plain = Ranker(ranker.config.model_copy(update={"semantic_weight": 0.0}))
    off = plain.rank(fitted, [user()], CANDIDATES, 10)["u"]
    assert not [r for p in off for r in p.reasons if r.kind == "semantic"]


def test_the_reader_sees_the_liked_paper_by_its_title() -> None:
    liked = Paper(key="p05", title="Dense retrieval <b>for</b> QA", abstract="a", sources=["x"])
    pick = Paper(key="p07", title="Neural search", abstract="b", sources=["x"])
    reason = Reason("semantic", "close in meaning to p05", [], "p05", 0.3)
    shown = readable_reasons([ScoredPaper("p07", 0.5, [reason])], {"p05": liked, "p07": pick})
    assert shown[0].reasons[0].text == (
        "close in meaning to your liked paper “Dense retrieval <b>for</b> QA”"
    )
