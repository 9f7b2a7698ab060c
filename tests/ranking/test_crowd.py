"""The crowd view: what other readers' libraries teach about words, for papers nobody liked yet."""

from __future__ import annotations

import pytest
from ranking_support import CROWD_CORPUS as CORPUS
from ranking_support import CROWD_NEW as NEW
from ranking_support import READERS, library

from recommender.ranking import ProfileInput, Ranker, RankerConfig


@pytest.fixture(scope="module")
def ranker() -> Ranker:
    return Ranker(RankerConfig(crowd_min_users=20))


def test_no_crowd_below_the_minimum_of_users_or_with_both_weights_zero() -> None:
    fitted = Ranker().fit(CORPUS)
    many = len(READERS)
    assert Ranker(RankerConfig(crowd_min_users=many + 1)).fit_crowd(fitted, READERS) is None
    assert Ranker(RankerConfig(crowd_min_users=many)).fit_crowd(fitted, READERS) is not None
    off = Ranker(RankerConfig(crowd_min_users=20, crowd_weight=0.0, appeal_weight=0.0))
    assert off.fit_crowd(fitted, READERS) is None
    # Appeal alone still needs the crowd model.
    appeal_only = Ranker(RankerConfig(crowd_min_users=20, crowd_weight=0.0))
    assert appeal_only.fit_crowd(fitted, READERS) is not None


def test_readers_of_the_same_papers_lift_a_field_the_words_do_not_link(ranker: Ranker) -> None:
    fitted = ranker.fit(CORPUS)
    crowd = ranker.fit_crowd(fitted, READERS)
    assert crowd is not None
    user = ProfileInput("me", library(("ice",), 3))
    alone = ranker.rank(fitted, [user], NEW, k=10)["me"]
    helped = ranker.rank(fitted, [user], NEW, k=10, crowd=crowd)["me"]

    def penguin_places(ranked: list) -> list[int]:
        return [i for i, p in enumerate(ranked) if "penguin" in p.paper_key]

    # Without the crowd, nothing ties sea ice to penguins; with it, the penguin papers lead.
    assert penguin_places(helped) == [0, 1, 2, 3, 4]
    assert penguin_places(alone) != [0, 1, 2, 3, 4]
    assert all(0.0 < p.score < 1.0 and p.reasons for p in helped)
    # Nothing in the words ties them to the user's likes: the reason given is the crowd's.
    crowd_reasons = [r for r in helped[0].reasons if r.kind == "crowd"]
    assert crowd_reasons and crowd_reasons[0].weight >= 0.2
    assert not any(r.kind == "crowd" for p in alone for r in p.reasons)


def test_crowd_scores_do_not_depend_on_the_other_candidates() -> None:
    # Without MMR's redundancy discount every shown score is the paper's closeness alone.
    ranker = Ranker(RankerConfig(crowd_min_users=20, diversity=0.0))
    fitted = ranker.fit(CORPUS)
    crowd = ranker.fit_crowd(fitted, READERS)
    user = ProfileInput("me", library(("ice", "penguin"), 5))
    full = {p.paper_key: p.score for p in ranker.rank(fitted, [user], NEW, 10, crowd=crowd)["me"]}
    for candidate in NEW:
        one = ranker.rank(fitted, [user], [candidate], 1, crowd=crowd)["me"]
        assert one[0].score == pytest.approx(full[candidate.key], abs=1e-6)


def test_a_user_without_likes_is_ranked_as_without_the_crowd(ranker: Ranker) -> None:
    fitted = ranker.fit(CORPUS)
    crowd = ranker.fit_crowd(fitted, READERS)
    user = ProfileInput("kw", [], keywords={"penguin": 1.0})
    alone = ranker.rank(fitted, [user], NEW, k=10)["kw"]
    helped = ranker.rank(fitted, [user], NEW, k=10, crowd=crowd)["kw"]
    assert [(p.paper_key, p.score) for p in helped] == [(p.paper_key, p.score) for p in alone]
