"""interest_groups: the interests the ranker reserves digest places for, as people see them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.ranking import FittedText, Ranker
from recommender.ranking.interests import interest_groups, interest_labels, mean_terms

TESTS = Path(__file__).parent.parent
RLHF = [0, 1, 2, 3, 7]  # reward models and overoptimization in RLHF
RAG = [4, 5, 8]  # chunk/KV caches and retrieval for retrieval-augmented generation


def texts(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [f"{row['title']}. {row['abstract']}" for row in rows]


@pytest.fixture(scope="module")
def papers() -> list[str]:
    return texts(TESTS / "web" / "data" / "papers.jsonl")


@pytest.fixture(scope="module")
def model(papers: list[str]) -> FittedText:
    # Few topics for a small corpus, as 50 topics are for a real one of thousands.
    ranker = Ranker(Ranker().config.model_copy(update={"interest_topics": 4}))
    return ranker.fit(texts(TESTS / "fixtures" / "seed_papers.jsonl") + papers)


def test_groups_are_the_rankers_topic_labels_with_its_share_rule(
    model: FittedText, papers: list[str]
) -> None:
    liked = [papers[i] for i in [*RLHF, *RAG, 6]]
    groups = interest_groups(model, liked, 0.15, 10)
    labels = interest_labels(model, model.topics(model.terms(liked)))
    for group in groups:
        assert len({int(labels[i]) for i in group.members}) == 1
        assert len(group.members) >= 0.15 * len(liked)
    grouped = {i for group in groups for i in group.members}
    for label in set(labels.tolist()):
        members = set(np.flatnonzero(labels == label).tolist())
        assert (members <= grouped) == (len(members) >= 0.15 * len(liked))
    sizes = [len(group.members) for group in groups]
    assert sizes == sorted(sizes, reverse=True)


def test_each_groups_terms_are_its_own_papers_words_heaviest_first(
    model: FittedText, papers: list[str]
) -> None:
    liked = [papers[i] for i in [*RLHF, *RAG]]
    groups = interest_groups(model, liked, 0.15, 10)
    assert groups
    for group in groups:
        words = " ".join(liked[i].lower() for i in group.members)
        assert all(term in words for term, _ in group.terms)
        assert group.terms[0][1] == 1.0
        weights = [weight for _, weight in group.terms]
        assert weights == sorted(weights, reverse=True) and all(0 < w <= 1 for w in weights)


def test_a_share_of_one_keeps_only_a_topic_holding_every_like(
    model: FittedText, papers: list[str]
) -> None:
    same = [papers[0], papers[0], papers[0]]
    assert [g.members for g in interest_groups(model, same, 1.0, 5)] == [[0, 1, 2]]
    labels = interest_labels(model, model.topics(model.terms(papers)))
    mixed = [papers[0], *(p for p, label in zip(papers, labels, strict=True) if label != labels[0])]
    assert len(mixed) > 1 and interest_groups(model, mixed, 1.0, 5) == []


def test_nothing_to_group_gives_no_groups(model: FittedText) -> None:
    assert interest_groups(model, [], 0.15, 5) == []
    assert interest_groups(model, ["", "zzqx qqzx"], 0.15, 5) == []
    assert interest_groups(model, ["reward model"], 0.15, 0) == []
    assert mean_terms(model, [], 5) == []


def test_the_same_likes_give_the_same_groups_in_any_order(
    model: FittedText, papers: list[str]
) -> None:
    liked = [papers[i] for i in [*RLHF, *RAG]]
    forward = interest_groups(model, liked, 0.15, 8)
    backward = interest_groups(model, liked[::-1], 0.15, 8)
    last = len(liked) - 1
    assert sorted(sorted(g.members) for g in forward) == sorted(
        sorted(last - i for i in g.members) for g in backward
    )
    assert sorted(g.terms for g in forward) == sorted(g.terms for g in backward)
