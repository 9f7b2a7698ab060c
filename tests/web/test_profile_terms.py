"""profile_terms: the words the profile chart shows."""

from __future__ import annotations

from recommender.web.profile_terms import profile_terms

LIKED = [
    "Reward models in RLHF are inconsistent. We measure reward consistency on contrast pairs.",
    "Overoptimization in RLHF: the SFT loss is an adversarial regularizer of the reward model.",
    "Direct preference optimization without a reward model aligns language models.",
]


def test_the_shared_theme_weighs_most_and_the_top_is_one() -> None:
    terms = profile_terms(LIKED, 5)
    assert terms[0] == ("reward", 1.0)
    assert len(terms) == 5
    weights = [weight for _, weight in terms]
    assert weights == sorted(weights, reverse=True)
    assert all(0 < weight <= 1 for weight in weights)


def test_stop_words_numbers_and_short_tokens_are_left_out() -> None:
    terms = dict(profile_terms([*LIKED, "The 2024 x y a1 results of the the the"], 50))
    for word in ("the", "of", "2024", "x", "a1", "is", "an"):
        assert word not in terms


def test_the_result_does_not_depend_on_the_order_of_the_papers() -> None:
    assert profile_terms(LIKED, 8) == profile_terms(list(reversed(LIKED)), 8)


def test_nothing_to_show_gives_an_empty_list() -> None:
    assert profile_terms([], 5) == []
    assert profile_terms(["", "   "], 5) == []
    assert profile_terms(["the and of"], 5) == []
    assert profile_terms(LIKED, 0) == []
