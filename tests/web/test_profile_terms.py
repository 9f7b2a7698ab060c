"""profile_terms and interests: the words and groups the profile chart shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.web.profile_terms import interests, profile_terms, singular, words

LIKED = [
    "Reward models in RLHF are inconsistent. We measure reward consistency on contrast pairs.",
    "Overoptimization in RLHF: the SFT loss is an adversarial regularizer of the reward model.",
    "Direct preference optimization without a reward model aligns language models.",
]
DATA = Path(__file__).parent / "data" / "papers.jsonl"


def real_texts() -> list[str]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    return [f"{row['title']}. {row['abstract']}" for row in rows]


def test_the_shared_theme_weighs_most_and_the_top_is_one() -> None:
    terms = profile_terms(LIKED, 5)
    assert terms[0] == ("reward", 1.0)
    assert len(terms) == 5
    weights = [weight for _, weight in terms]
    assert weights == sorted(weights, reverse=True)
    assert all(0 < weight <= 1 for weight in weights)


def test_stop_words_boilerplate_numbers_and_short_tokens_are_left_out() -> None:
    text = "The 2024 x y a1 results of the the the: we propose a novel method using models"
    terms = dict(profile_terms([*LIKED, text], 50))
    for word in ("the", "of", "2024", "x", "a1", "is", "an", "propose", "novel", "using", "model"):
        assert word not in terms
    assert "rlhf" in terms


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


def test_words_fold_plurals_so_one_term_is_not_shown_twice() -> None:
    assert words("Reward models and a reward model") == ["reward", "reward"]


def test_the_result_does_not_depend_on_the_order_of_the_papers() -> None:
    assert profile_terms(LIKED, 8) == profile_terms(list(reversed(LIKED)), 8)


def test_nothing_to_show_gives_an_empty_list() -> None:
    assert profile_terms([], 5) == []
    assert profile_terms(["", "   "], 5) == []
    assert profile_terms(["the and of"], 5) == []
    assert profile_terms(LIKED, 0) == []
    assert interests([], 5) == []
    assert interests(["the and of", ""], 5) == []


def test_real_papers_fall_into_their_two_topics() -> None:
    texts = real_texts()
    rlhf = [0, 1, 2, 3]  # reward models and overoptimization in RLHF
    rag = [4, 5]  # chunk and KV caches for retrieval-augmented generation
    found = interests([texts[i] for i in rlhf + rag], 5)
    assert [group.members for group in found] == [[0, 1, 2, 3], [4, 5]]
    assert found[0].terms[0] == ("reward", 1.0)
    assert "cache" in dict(found[1].terms)


def test_one_paper_is_one_interest_and_groups_are_capped() -> None:
    assert [g.members for g in interests(LIKED[:1], 3)] == [[0]]
    texts = real_texts()
    capped = interests(texts, 3, max_groups=2)
    assert len(capped) == 2
    assert sorted(i for group in capped for i in group.members) == list(range(len(texts)))
