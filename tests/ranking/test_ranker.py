"""Behaviour of the ranker on a 20-string corpus: topics, dislikes, mutes, authors, interests."""

from __future__ import annotations

import math
import pickle

import pytest
from ranking_support import CORPUS, GALAXIES, OTHER, QUANTUM

from recommender.ranking import (
    Candidate,
    FittedText,
    LikedText,
    ProfileInput,
    Ranker,
    RankerConfig,
    is_stale,
)


def pool(texts: list[str], prefix: str, authors: tuple[str, ...] = ()) -> list[Candidate]:
    """Candidates named prefix0, prefix1, ..."""
    return [Candidate(f"{prefix}{i}", t, authors) for i, t in enumerate(texts)]


CANDIDATES = pool(QUANTUM, "q") + pool(GALAXIES, "g") + pool(OTHER, "o")


def liked(*texts: str) -> list[LikedText]:
    """Liked papers with keys l0, l1, ..."""
    return [LikedText(f"l{i}", t) for i, t in enumerate(texts)]


def keys(result: list) -> list[str]:
    """The paper keys of a ranked list."""
    return [p.paper_key for p in result]


def test_liked_topic_ranks_first(ranker: Ranker, fitted: FittedText) -> None:
    user = ProfileInput("u", liked("logical qubits and surface code error correction"))
    ranked = ranker.rank(fitted, [user], CANDIDATES, k=5)["u"]
    assert [k[0] for k in keys(ranked)[:3]] == ["q", "q", "q"]
    assert ranked[0].paper_key in {"q0", "q2"}
    assert all(0.0 < p.score < 1.0 and math.isfinite(p.score) for p in ranked)
    assert [p.score for p in ranked] == sorted((p.score for p in ranked), reverse=True)


def test_reasons_name_terms_and_nearest_liked_paper(ranker: Ranker, fitted: FittedText) -> None:
    user = ProfileInput("u", liked("dark matter halos", "surface code qubits"))
    top = ranker.rank(fitted, [user], CANDIDATES, k=1)["u"][0]
    kinds = {r.kind: r for r in top.reasons}
    assert set(kinds) >= {"terms", "nearest_liked"}
    assert kinds["terms"].terms and all(
        t in CANDIDATES_TEXT[top.paper_key] for t in kinds["terms"].terms
    )
    expected = "l0" if top.paper_key.startswith("g") else "l1"
    assert kinds["nearest_liked"].paper_key == expected


CANDIDATES_TEXT = {c.key: c.text for c in CANDIDATES}


def test_dislike_lowers_a_paper(ranker: Ranker, fitted: FittedText) -> None:
    likes = liked("quantum qubits", "galaxy dark matter")
    plain = ranker.rank(fitted, [ProfileInput("u", likes)], CANDIDATES, k=20)["u"]
    dislike = [LikedText("d", "galaxy formation cosmological simulations dark matter")]
    pushed = ranker.rank(fitted, [ProfileInput("u", likes, dislike)], CANDIDATES, k=20)["u"]
    before = {p.paper_key: p.score for p in plain}
    after = {p.paper_key: p.score for p in pushed}
    assert after.get("g0", 0.0) < before["g0"]
    assert keys(pushed).index("g0") > keys(plain).index("g0") if "g0" in after else True


def test_muted_keyword_and_author_remove_candidates(ranker: Ranker, fitted: FittedText) -> None:
    candidates = [*CANDIDATES, Candidate("by-smith", QUANTUM[0] + " again", ("J. Smith",))]
    user = ProfileInput(
        "u",
        liked("quantum qubits surface codes"),
        muted_keywords=["Superconducting"],
        muted_authors=["j smith"],
    )
    ranked = keys(ranker.rank(fitted, [user], candidates, k=25)["u"])
    assert "q1" not in ranked and "q4" not in ranked  # both say "superconducting"
    assert "by-smith" not in ranked
    assert "q0" in ranked


def test_followed_author_boosts(ranker: Ranker, fitted: FittedText) -> None:
    candidates = [*CANDIDATES[:5], Candidate("ada", OTHER[4], ("Ada Lovelace",))]
    base = ProfileInput("u", liked("quantum qubits surface codes"))
    follow = ProfileInput("v", base.liked, followed_authors=["ada  LOVELACE"])
    result = ranker.rank(fitted, [base, follow], candidates, k=6)
    before = {p.paper_key: p.score for p in result["u"]}
    after = {p.paper_key: p for p in result["v"]}
    # An off-topic paper: last without the follow, higher with it; with a boost of 1 (as close
    # as a typical like) it passes some on-topic paper.
    assert keys(result["u"])[-1] == "ada"
    assert before["ada"] < after["ada"].score
    strong = Ranker(RankerConfig(followed_author_boost=1.0)).rank(fitted, [follow], candidates, 6)
    assert keys(strong["v"]).index("ada") < len(candidates) - 1
    reason = next(r for r in after["ada"].reasons if r.kind == "followed_author")
    assert reason.terms == ["Ada Lovelace"]


def test_keywords_alone_make_a_profile(ranker: Ranker, fitted: FittedText) -> None:
    user = ProfileInput("u", [], keywords={"galaxy": 1.0})
    ranked = ranker.rank(fitted, [user], CANDIDATES, k=3)["u"]
    assert keys(ranked) and all(k.startswith("g") for k in keys(ranked))
    assert any(r.kind == "keyword" and r.terms == ["galaxy"] for r in ranked[0].reasons)


def test_two_interests_both_reach_the_top_k(ranker: Ranker, fitted: FittedText) -> None:
    # Four likes on qubits, one on galaxies: the galaxies must still show up in the top 5.
    likes = liked(*QUANTUM[:4], GALAXIES[0])
    ranked = keys(
        ranker.rank(
            fitted,
            [ProfileInput("u", likes)],
            pool(QUANTUM, "q") + pool(GALAXIES[1:], "g") + pool(OTHER, "o"),
            k=5,
        )["u"]
    )
    assert any(k.startswith("q") for k in ranked) and any(k.startswith("g") for k in ranked)


def test_no_likes_no_keywords_gives_an_empty_list(ranker: Ranker, fitted: FittedText) -> None:
    empty = ProfileInput("u", [], disliked=[LikedText("d", QUANTUM[0])])
    assert ranker.rank(fitted, [empty], CANDIDATES, k=5) == {"u": []}


def test_threshold_keeps_only_higher_scores(ranker: Ranker, fitted: FittedText) -> None:
    user = ProfileInput("u", liked("quantum qubits surface codes"))
    everything = ranker.rank(fitted, [user], CANDIDATES, k=20)["u"]
    cut = everything[len(everything) // 2].score
    kept = ranker.rank(fitted, [user], CANDIDATES, k=20, threshold=cut)["u"]
    assert keys(kept) == [p.paper_key for p in everything if p.score > cut]
    assert 0 < len(kept) < len(everything)
    with pytest.raises(ValueError, match="threshold"):
        ranker.rank(fitted, [user], CANDIDATES, k=5, threshold=1.5)


def test_score_does_not_depend_on_the_other_candidates(ranker: Ranker, fitted: FittedText) -> None:
    # The top paper carries no redundancy discount, so its score is its closeness alone.
    user = ProfileInput("u", liked("quantum qubits surface codes"))
    top = ranker.rank(fitted, [user], CANDIDATES, k=20)["u"][0]
    alone = [c for c in CANDIDATES if c.key == top.paper_key]
    assert ranker.rank(fitted, [user], alone, k=1)["u"][0].score == pytest.approx(top.score)


def test_fitted_text_pickles_and_reports_params(fitted: FittedText) -> None:
    blob = pickle.dumps(fitted)
    copy = pickle.loads(blob)
    assert copy.corpus_size == len(CORPUS)
    params = copy.params()
    assert params["corpus_size"] == len(CORPUS) and params["config"]["weighting"] == "bm25"
    # The fitting process reuses the corpus vectors; a loaded copy recomputes them, equally.
    texts = [CORPUS[3], "qubits in unseen words", CORPUS[0]]
    assert abs(copy.terms(texts) - fitted.terms(texts)).max() < 1e-6
    assert copy._seen is None  # the corpus vectors are not stored with the model


def test_staleness_rule() -> None:
    assert not is_stale(1000, 1200)
    assert is_stale(1000, 1201)
    assert is_stale(1000, 700)
    assert is_stale(1000, 1100, growth=0.05)


def test_tfidf_weighting_and_bigrams_also_rank(fitted: FittedText) -> None:
    ranker = Ranker(RankerConfig(weighting="tfidf", ngram_max=2))
    model = ranker.fit(CORPUS)
    assert any(" " in term for term in model.feature_names())
    user = ProfileInput("u", liked("dark matter halos in galaxy simulations"))
    assert keys(ranker.rank(model, [user], CANDIDATES, k=1)["u"])[0].startswith("g")


def test_fit_copes_with_tiny_and_wordless_corpora() -> None:
    ranker = Ranker()
    # 25 papers, no word in two of them: min_df cannot hold, the model still fits and ranks.
    texts = [f"topic{i} subject{i} matter{i}" for i in range(25)]
    model = ranker.fit(texts)
    user = ProfileInput("u", [LikedText("l", texts[3])])
    ranked = ranker.rank(model, [user], [Candidate(f"c{i}", t) for i, t in enumerate(texts)], k=3)
    assert keys(ranked["u"])[0] == "c3"
    with pytest.raises(ValueError, match="no usable words"):
        ranker.fit(["the and of", "a an the"])
    with pytest.raises(ValueError, match="empty corpus"):
        ranker.fit([])


def test_rank_without_reasons_picks_the_same(ranker: Ranker, fitted: FittedText) -> None:
    user = ProfileInput("u", liked(QUANTUM[0], GALAXIES[1]), keywords={"protein": 1.0})
    full = ranker.rank(fitted, [user], CANDIDATES, k=8)["u"]
    bare = ranker.rank(fitted, [user], CANDIDATES, k=8, explain=False)["u"]
    assert [(p.paper_key, p.score) for p in bare] == [(p.paper_key, p.score) for p in full]
    assert all(p.reasons for p in full) and not any(p.reasons for p in bare)


def test_chunks_ranked_on_two_threads_give_the_same_results(fitted: FittedText) -> None:
    texts = QUANTUM + GALAXIES + OTHER
    users = [
        ProfileInput(
            f"u{i:02d}",
            [LikedText(f"l{j}", texts[j]) for j in {i % 20, (3 * i + 1) % 20, (7 * i) % 20}],
            disliked=[LikedText(f"l{(5 * i + 2) % 20}", texts[(5 * i + 2) % 20])],
            keywords={"qubits": 1.0} if i % 3 == 0 else {},
            muted_keywords=["protein"] if i % 4 == 0 else [],
        )
        for i in range(30)
    ]
    whole = Ranker(RankerConfig(user_chunk=1024)).rank(fitted, users, CANDIDATES, k=6)
    seen: list[tuple[int, int]] = []
    chunked = Ranker(RankerConfig(user_chunk=4)).rank(
        fitted, users, CANDIDATES, k=6, progress=lambda done, total: seen.append((done, total))
    )
    # Same picks and reasons; scores agree up to float32 rounding (BLAS blocks by batch size).
    for user in users:
        got, want = chunked[user.user_id], whole[user.user_id]
        assert [(p.paper_key, [r.text for r in p.reasons]) for p in got] == [
            (p.paper_key, [r.text for r in p.reasons]) for p in want
        ]
        assert [p.score for p in got] == pytest.approx([p.score for p in want], abs=1e-6)
    assert all(whole[u.user_id] for u in users)
    assert seen == [(min(n, 30), 30) for n in range(4, 34, 4)]


def test_score_matrix_holds_the_scores_rank_and_score_each_start_from(
    ranker: Ranker, fitted: FittedText
) -> None:
    users = [
        ProfileInput("q", liked("logical qubits and surface code error correction")),
        ProfileInput("g", liked("galaxy clusters and dark matter halos"), muted_keywords=["dark"]),
        ProfileInput("none", []),
    ]
    columns, scores = ranker.score_matrix(fitted, users, CANDIDATES)
    assert scores.shape == (3, len(CANDIDATES))
    assert all(math.isinf(s) for s in scores[2])  # nothing to score with
    muted = [c.key for c in CANDIDATES if "dark" in c.text]
    assert muted and all(math.isinf(scores[1][columns.index(k)]) for k in muted)
    # In a batch: rank()'s first pick (before any diversity discount) is the row's best.
    ranked = ranker.rank(fitted, users, CANDIDATES, k=5)
    for row, user in zip(scores[:2], ("q", "g"), strict=True):
        first = ranked[user][0]
        assert row[columns.index(first.paper_key)] == pytest.approx(first.score) == row.max()
    # Alone: the same numbers as score_each.
    one_column, one = ranker.score_matrix(fitted, users[:1], CANDIDATES)
    each = ranker.score_each(fitted, users[0], CANDIDATES)
    assert one[0] == pytest.approx([each[k].score for k in one_column])
