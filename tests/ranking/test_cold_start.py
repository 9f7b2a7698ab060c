"""The rating set of a new reader: diverse, recent, deterministic, never a rated or sent paper.

The corpus is the 78 seed papers (real titles and abstracts); the topics they fall into are
labelled here by hand from their titles, so diversity is judged against a reader's view of
the papers, not against the clusters the code itself made.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recommender.models import ScoredPaper
from recommender.ranking import Candidate, FittedText, ProfileInput, Ranker
from recommender.ranking.cold_start import (
    KEYWORD_REASON,
    TOPIC_REASON,
    ColdStartConfig,
    RatingPool,
    basis_words,
    needs_rating_set,
)

SEED = Path(__file__).parents[1] / "fixtures" / "seed_papers.jsonl"
ROWS = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=14)
# Hand labels (seed index -> topic), from the titles.
TOPICS = {
    "rlhf": {5, 10, 13, 17, 19, 26, 51, 55, 58, 71, 73},
    "continual": {6, 8, 12, 28, 30, 35, 37, 48, 54, 59, 61, 69, 70},
    "bandits": {2, 15, 27, 75},
    "rag": {7, 32, 50, 66},
    "retrieval": {4, 20, 46},
    "recsys": {41, 44, 45},
}


def key(index: int) -> str:
    return f"seed:{index:02d}"


def index(paper_key: str) -> int:
    return int(paper_key.split(":")[1])


def topic_of(paper_key: str) -> str | None:
    return next((name for name, members in TOPICS.items() if index(paper_key) in members), None)


@pytest.fixture(scope="module")
def seed_model() -> FittedText:
    return Ranker().fit([f"{r['title']}. {r['abstract']}" for r in ROWS])


def candidates() -> list[Candidate]:
    return [
        Candidate(key(i), f"{r['title']}. {r['abstract']}", tuple(r.get("authors", [])))
        for i, r in enumerate(ROWS)
    ]


def seen_at(old: set[int] = frozenset()) -> dict[str, datetime]:  # type: ignore[assignment]
    """Every paper seen in the last days, one an hour; those in `old` a month ago."""
    return {
        key(i): NOW - (timedelta(days=30) if i in old else timedelta(hours=i))
        for i in range(len(ROWS))
    }


def pick(fitted: FittedText, profile: ProfileInput, **kwargs: object) -> list[ScoredPaper]:
    pool = RatingPool(fitted, candidates(), seen_at(), SINCE)
    return pool.rating_set(profile, **kwargs)  # type: ignore[arg-type]


def test_without_keywords_the_set_covers_the_main_topics(seed_model: FittedText) -> None:
    chosen = pick(seed_model, ProfileInput("new", []))
    assert len(chosen) == ColdStartConfig().size
    labels = [topic_of(s.paper_key) for s in chosen]
    named = [label for label in labels if label is not None]
    # Several topics, none taking more than two places: not six RLHF papers.
    assert len(set(named)) >= 3, labels
    assert max(named.count(label) for label in set(named)) <= 2, labels
    assert all(s.reasons[0].kind == TOPIC_REASON for s in chosen)
    assert all(s.reasons[0].text.startswith("a main topic of the recent papers: ") for s in chosen)
    assert basis_words(chosen) == "the main topics of the new papers"


SIX_FIELDS = {
    "qubits": "quantum qubits surface code decoding logical error correction superconducting",
    "galaxies": "galaxy dark matter halos cosmological simulations stellar rotation curves",
    "proteins": "protein folding molecular dynamics binding residues enzyme structure",
    "climate": "climate ocean circulation warming precipitation sea ice atmosphere",
    "crispr": "crispr gene editing guide rna cas9 cells genome knockout",
    "graphs": "graph neural networks message passing node embeddings edges",
}


def test_each_place_goes_to_another_field_however_the_keys_interleave() -> None:
    # Six fields of seven papers each (disjoint words), keys in an order that mixes them.
    rng = random.Random(3)
    texts = {}
    for field, words in SIX_FIELDS.items():
        vocabulary = words.split()
        for n in range(7):
            texts[f"{field}:{n}"] = " ".join(rng.sample(vocabulary, 6))
    keys = sorted(texts)
    rng.shuffle(keys)
    fitted = Ranker().fit([texts[k] for k in keys])
    papers = [Candidate(f"{rank:03d}-{k}", texts[k]) for rank, k in enumerate(keys)]
    times = {c.key: NOW - timedelta(hours=1) for c in papers}
    chosen = RatingPool(fitted, papers, times, SINCE).rating_set(ProfileInput("new", []))
    fields = [s.paper_key.split("-")[1].split(":")[0] for s in chosen]
    assert sorted(fields) == sorted(SIX_FIELDS), fields


def test_keywords_come_first_one_each_in_turn(seed_model: FittedText) -> None:
    profile = ProfileInput("new", [], keywords={"bandit": 1.0, "continual learning": 1.0})
    chosen = pick(seed_model, profile)
    first, second = chosen[0], chosen[1]
    assert topic_of(first.paper_key) == "bandits"
    assert topic_of(second.paper_key) == "continual"
    assert first.reasons[0].kind == KEYWORD_REASON
    assert first.reasons[0].text == "says your keyword “bandit”"
    assert second.reasons[0].text == "says your keyword “continual learning”"
    # Both keywords' topics covered, every paper saying its keyword.
    for scored in chosen:
        reason = scored.reasons[0]
        if reason.kind == KEYWORD_REASON:
            text = ROWS[index(scored.paper_key)]
            assert reason.terms[0].split()[0] in f"{text['title']} {text['abstract']}".lower()
    assert {topic_of(s.paper_key) for s in chosen} >= {"bandits", "continual"}


def test_a_keyword_no_paper_says_leaves_the_places_to_the_main_topics(
    seed_model: FittedText,
) -> None:
    profile = ProfileInput("new", [], keywords={"zebrafish husbandry": 2.0, "bandit": 1.0})
    chosen = pick(seed_model, profile)
    kinds = [s.reasons[0].kind for s in chosen]
    bandit_papers = sum(1 for i in TOPICS["bandits"] if "bandit" in ROWS[i]["abstract"].lower())
    assert kinds.count(KEYWORD_REASON) <= bandit_papers
    assert TOPIC_REASON in kinds and len(chosen) == ColdStartConfig().size
    assert basis_words(chosen) == "your keywords and the main topics of the new papers"


def test_the_same_set_whatever_the_order_the_papers_came_in(seed_model: FittedText) -> None:
    profile = ProfileInput("new", [], keywords={"retrieval": 1.0})
    expected = [s.paper_key for s in pick(seed_model, profile)]
    shuffled = candidates()
    random.Random(7).shuffle(shuffled)
    again = RatingPool(seed_model, shuffled, seen_at(), SINCE).rating_set(profile)
    assert [s.paper_key for s in again] == expected
    assert [s.reasons for s in again] == [s.reasons for s in pick(seed_model, profile)]


def test_only_recent_papers_are_offered(seed_model: FittedText) -> None:
    first = [s.paper_key for s in pick(seed_model, ProfileInput("new", []))]
    old = {index(k) for k in first} | TOPICS["continual"]
    pool = RatingPool(seed_model, candidates(), seen_at(old), SINCE)
    later = pool.rating_set(ProfileInput("new", [], keywords={"continual learning": 1.0}))
    assert len(later) == ColdStartConfig().size
    assert all(index(s.paper_key) not in old for s in later)
    # The keyword's own picks in the full window were continual-learning papers: now old.
    full = pick(seed_model, ProfileInput("new", [], keywords={"continual learning": 1.0}))
    assert {index(s.paper_key) for s in full[:2]} <= TOPICS["continual"]


def test_rated_sent_and_muted_papers_are_never_offered(seed_model: FittedText) -> None:
    first = pick(seed_model, ProfileInput("new", []))
    rated = {s.paper_key for s in first[:3]}
    sent = {s.paper_key for s in first[3:]}
    everything = {c.key for c in candidates()}
    profile = ProfileInput(
        "new", [], exclude=rated, muted_keywords=["bandit"], keywords={"regret": 1.0}
    )
    chosen = pick(seed_model, profile, open_keys=everything - sent)
    keys = {s.paper_key for s in chosen}
    assert len(chosen) == ColdStartConfig().size
    assert not keys & (rated | sent)
    # A mute is a whole word ("bandits" is another word), as in the ranker.
    says_bandit = re.compile(r"(?<!\w)bandit(?!\w)", re.IGNORECASE)
    assert not any(
        says_bandit.search(f"{ROWS[index(k)]['title']}. {ROWS[index(k)]['abstract']}") for k in keys
    )
    unmuted = pick(seed_model, ProfileInput("new", [], keywords={"regret": 1.0}))
    assert any(says_bandit.search(ROWS[index(s.paper_key)]["abstract"]) for s in unmuted)


def test_a_small_window_gives_what_it_has_and_an_empty_one_nothing(
    seed_model: FittedText,
) -> None:
    few = candidates()[:4]
    times = seen_at()
    assert len(RatingPool(seed_model, few, times, SINCE).rating_set(ProfileInput("n", []))) == 4
    empty = RatingPool(seed_model, few, times, NOW + timedelta(days=1))
    assert len(empty) == 0 and empty.rating_set(ProfileInput("n", [])) == []


def test_three_likes_end_the_cold_start() -> None:
    config = ColdStartConfig()
    assert [needs_rating_set(n, config) for n in range(5)] == [True, True, True, False, False]
