"""display_terms: the ranker's weighted terms as the profile chart shows them."""

from __future__ import annotations

import pytest

from recommender.web.profile_terms import display_terms, readable, singular

RANKER_TERMS = [
    ("reward", 0.9),
    ("the", 0.8),
    ("models", 0.7),
    ("rewards", 0.6),
    ("2024", 0.5),
    ("propose", 0.45),
    ("rlhf", 0.4),
    ("a1", 0.35),
    ("reward models", 0.3),
    ("of the", 0.25),
]


def test_boilerplate_numbers_and_short_tokens_are_left_out_and_the_top_is_one() -> None:
    shown = display_terms(RANKER_TERMS, 10)
    terms = dict(shown)
    for word in ("the", "2024", "a1", "propose", "model", "models", "of the"):
        assert word not in terms
    assert shown[0] == ("reward", 1.0)
    assert terms["rlhf"] == round(0.4 / 0.9, 4)
    weights = [weight for _, weight in shown]
    assert weights == sorted(weights, reverse=True)


def test_forms_of_one_word_are_shown_once_with_the_heavier_weight() -> None:
    shown = display_terms(RANKER_TERMS, 10)
    assert [term for term, _ in shown].count("reward") == 1
    assert ("reward model", round(0.3 / 0.9, 4)) in shown  # a phrase keeps its words


def test_k_caps_the_list_and_nothing_readable_gives_an_empty_list() -> None:
    assert len(display_terms(RANKER_TERMS, 2)) == 2
    assert display_terms([], 5) == []
    assert display_terms([("the", 1.0), ("2024", 0.5)], 5) == []
    assert display_terms(RANKER_TERMS, 0) == []
    assert readable("of the") is None and readable("x") is None


@pytest.mark.parametrize(
    ("word", "known", "expected"),
    [
        ("models", set(), "model"),
        ("caches", set(), "cache"),
        ("approaches", {"approach"}, "approach"),
        ("bias", set(), "bias"),
        ("loss", set(), "loss"),
        ("focus", set(), "focus"),
        ("analysis", set(), "analysis"),
        ("studies", set(), "studies"),
        ("genomics", set(), "genomics"),
        ("llms", set(), "llm"),
        ("rms", set(), "rms"),
    ],
)
def test_plurals_fold_without_making_non_words(word: str, known: set[str], expected: str) -> None:
    assert singular(word, known) == expected
