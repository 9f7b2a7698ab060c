"""Reasons that say why *this* paper: a judged set from the bundled demo feeds and seed papers.

Six readers with real libraries (seed papers by topic) get their picks from the demo feeds'
papers plus the seed papers they did not like; their reasons must name distinctive terms or
phrases both texts use, never the corpus' common words, and differ from pick to pick.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from recommender.digest.reasons import readable_reasons
from recommender.feeds.parse import parse_feed
from recommender.models import Paper, ScoredPaper
from recommender.ranking import Candidate, LikedText, ProfileInput, Ranker
from recommender.ranking.explain import reason_background
from recommender.ranking.phrases import flat_text, run_keys
from recommender.ranking.vectorize import TOKEN_PATTERN
from recommender.ranking.words import fold

SEEDS = Path(__file__).parents[1] / "fixtures" / "seed_papers.jsonl"
# Seed paper indexes by topic: one reader each.
READERS = {
    "rlhf": [5, 10, 13, 19, 26, 55, 58, 51],
    "rag": [7, 32, 50, 66, 20],
    "continual": [12, 30, 37, 59, 69, 70, 28, 35],
    "bandits": [2, 15, 27, 75],
    "recsys": [41, 44, 45, 29],
    "instructions": [9, 23, 42, 65, 72],
}


def _feed_papers() -> dict[str, Paper]:
    papers = {}
    for item in sorted(files("recommender.defaults").joinpath("feeds").iterdir(), key=str):
        for paper in parse_feed(item.read_bytes(), "auto", item.name).papers:
            if paper.abstract.strip():
                papers[paper.key] = paper
    return papers


# (texts by key, each reader's picks, the corpus' 200 most common words, folded)
Judged = tuple[dict[str, str], dict[str, list[ScoredPaper]], set[str]]


@pytest.fixture(scope="module")
def judged() -> Judged:
    seeds = [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]
    papers = _feed_papers()
    feed_keys = list(papers)
    papers |= {
        f"seed:{i}": Paper(key=f"seed:{i}", title=s["title"], abstract=s["abstract"])
        for i, s in enumerate(seeds)
    }
    texts = {key: paper.text for key, paper in papers.items()}
    corpus = list(texts.values())
    counts = CountVectorizer(token_pattern=TOKEN_PATTERN, stop_words="english", binary=True)
    present = counts.fit_transform(corpus)
    df: Counter[str] = Counter()
    for term, n in zip(counts.get_feature_names_out(), present.sum(axis=0).A1, strict=True):
        df[fold(str(term))] += int(n)
    common = {word for word, _ in df.most_common(200)}
    ranker = Ranker()
    fitted = ranker.fit(corpus)
    profiles = [
        ProfileInput(
            user_id=reader, liked=[LikedText(f"seed:{i}", texts[f"seed:{i}"]) for i in likes]
        )
        for reader, likes in READERS.items()
    ]
    liked = {f"seed:{i}" for likes in READERS.values() for i in likes}
    keys = feed_keys + [f"seed:{i}" for i in range(len(seeds)) if f"seed:{i}" not in liked]
    ranked = ranker.rank(fitted, profiles, [Candidate(k, texts[k]) for k in keys], 10)
    # Worded as the digest words them (jobs/picks.py): phrases, liked papers by title.
    picks = {reader: readable_reasons(items, papers) for reader, items in ranked.items()}
    return texts, picks, common


def _terms(scored: ScoredPaper) -> list[str]:
    return [t for r in scored.reasons if r.kind == "terms" for t in r.terms]


def test_no_reason_term_is_among_the_corpus_most_common_words(judged: Judged) -> None:
    _, picks, common = judged
    shown = [term for items in picks.values() for s in items for term in _terms(s)]
    assert len(shown) >= 40  # the readers' picks do carry term reasons
    for term in shown:
        # A phrase may hold common words ("online continual learning") but not only those.
        assert not all(fold(word) in common for word in term.split()), term


def test_phrases_come_from_the_pick_and_the_liked_paper_it_is_closest_to(judged: Judged) -> None:
    texts, picks, _ = judged
    phrases = 0
    for items in picks.values():
        for scored in items:
            closest = [r.paper_key for r in scored.reasons if r.kind == "nearest_liked"]
            for term in _terms(scored):
                if " " not in term:
                    continue
                phrases += 1
                key = " ".join(fold(w) for w in term.split())
                assert key in run_keys(texts[scored.paper_key]), (term, scored.paper_key)
                assert closest and " " + key in flat_text(texts[closest[0]]), term
    assert phrases >= 5  # checked against the one closest liked paper, so a handful


def test_two_picks_of_one_reader_rarely_share_reason_terms(judged: Judged) -> None:
    _, picks, _ = judged
    pairs = sharing = same = 0
    for items in picks.values():
        # Each reason term or phrase, folded ("reward models" = "reward model").
        said = [{" ".join(map(fold, t.split())) for t in _terms(s)} for s in items]
        said = [words for words in said if words]
        for a, b in itertools.combinations(said, 2):
            pairs += 1
            sharing += bool(a & b)
            same += a == b
    assert pairs >= 60
    assert sharing / pairs <= 0.2, f"{sharing} of {pairs} pairs of picks share a reason term"
    assert same <= 2, f"{same} pairs of picks give the very same reason terms"


def test_vague_words_and_two_letter_tokens_are_never_reasons() -> None:
    # Words of any abstract ("remains", "average", "explore") and abbreviations cut out of
    # their phrase ("rm" of "reward model (RM)") read as noise under a pick.
    vague = ["remains", "average", "explores", "rm"]
    corpus = [
        f"reward model overoptimization {word} policy gradient {i}"
        for i in range(12)
        for word in vague
    ] + [f"galaxy cluster survey {i}" for i in range(100)]
    fitted = Ranker().fit(corpus)
    background = reason_background(fitted)
    column = {str(term): i for i, term in enumerate(fitted.feature_names())}
    assert all(np.isinf(background[column[word]]) for word in vague)
    assert np.isfinite(background[column["overoptimization"]])
