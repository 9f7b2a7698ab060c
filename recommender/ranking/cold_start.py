"""Cold start: a small, diverse set of recent papers for a new reader to rate.

A reader with fewer than `likes_needed` likes has too little for the ranker to learn from, so
each digest (and their profile page) offers a rating set: for each positive keyword, the most
typical recent paper that says it; then, for the corpus' main topics (k-means on the LSA topic
vectors of the recent window, as many clusters as places), the paper nearest each centre.
One paper per keyword or topic in turn, so a few clicks already cover several interests.

Pure: the text model, the candidates and their first-seen times in; picks with reasons out.
The window is clustered once (`RatingPool`); each reader's set is chosen from the part of it
open to them (their feeds, nothing rated, sent or muted).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from recommender.models import Reason, ScoredPaper
from recommender.ranking.candidates import CandidateSet
from recommender.ranking.inputs import Candidate, ProfileInput
from recommender.ranking.vectorize import FittedText
from recommender.ranking.words import BOILERPLATE, MARKUP, fold, is_adverb

# Reason kinds of a rating-set paper: chosen for a keyword, or for a main topic.
KEYWORD_REASON = "rate_keyword"
TOPIC_REASON = "rate_topic"
_NOT_A_TOPIC = ENGLISH_STOP_WORDS | BOILERPLATE | MARKUP


class ColdStartConfig(BaseModel):
    """Settings of the rating set; the defaults are what digests and profile pages use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    likes_needed: int = Field(
        default=3,
        ge=1,
        description="A reader with fewer likes gets a rating set; from this many on, none.",
    )
    size: int = Field(default=6, ge=1, le=20, description="Papers in one rating set.")
    pool_limit: int = Field(
        default=2000,
        ge=1,
        description="Only the newest N papers of the window are clustered: enough for the "
        "main topics, and it keeps a profile page view fast on a busy install.",
    )
    topic_terms: int = Field(default=3, ge=1, description="Words that name a topic in a reason.")
    random_state: int = Field(default=0, description="Seed of k-means (the same set each time).")


def needs_rating_set(likes: int, config: ColdStartConfig) -> bool:
    """True while a reader has too few likes for the ranker to learn from."""
    return likes < config.likes_needed


@dataclass(frozen=True)
class _Topic:
    """One k-means cluster of the window: its papers (columns), nearest the centre first."""

    members: list[int]
    words: list[str]


class RatingPool:
    """The recent window, vectorised and clustered once for every reader of a cycle."""

    def __init__(
        self,
        fitted: FittedText,
        candidates: Sequence[Candidate],
        seen_at: Mapping[str, datetime],
        since: datetime,
        config: ColdStartConfig | None = None,
    ) -> None:
        self.config = config or ColdStartConfig()
        # Recent only; the newest pool_limit of them (ties by key, so the cut is stable).
        recent = [c for c in candidates if c.key in seen_at and seen_at[c.key] >= since]
        recent.sort(key=lambda c: (-seen_at[c.key].timestamp(), c.key))
        self.papers = CandidateSet(fitted, recent[: self.config.pool_limit])
        self._fitted = fitted

    def __len__(self) -> int:
        return len(self.papers)

    @cached_property
    def _names(self) -> np.ndarray:
        return self._fitted.feature_names()

    @cached_property
    def _background(self) -> np.ndarray:
        return self._fitted.background()

    @cached_property
    def _topics(self) -> list[_Topic]:
        """The window's clusters, biggest first (ties: the one holding the smaller key)."""
        topics = self.papers.vectors.topics
        n = topics.shape[0]
        if n == 0:
            return []
        # As many clusters as places (fewer for a small window): one paper per main topic,
        # and no topic split in two so that it takes two places.
        count = max(1, min(self.config.size, n // 3))
        if count == 1:
            labels = np.zeros(n, dtype=np.int64)
        else:
            model = KMeans(count, n_init=3, random_state=self.config.random_state)
            # One thread: on a busy machine OpenMP threads spin against each other and a
            # 2,000-paper fit takes ten times longer (benchmarks/cold_start.py).
            with threadpool_limits(limits=1):
                labels = model.fit_predict(topics)
        found = []
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            centre = normalize(topics[members].mean(axis=0, keepdims=True))[0]
            nearness = topics[members] @ centre
            # Nearest the centre first; equal nearness goes to the lower key (column).
            order = members[np.lexsort((members, -nearness))]
            found.append(_Topic([int(i) for i in order], self._words(members)))
        return sorted(found, key=lambda t: (-len(t.members), min(t.members)))

    def _words(self, members: np.ndarray) -> list[str]:
        """What a cluster is about: its words most above the corpus background."""
        terms = self.papers.vectors.terms[members]
        weights = np.asarray(terms.mean(axis=0)).ravel() - self._background
        # A topic word is said by two of its papers (when it has two): no one paper's quirk.
        present = np.asarray((terms > 0).sum(axis=0)).ravel()
        weights[present < min(2, len(members))] = -np.inf
        names = self._names
        words: list[str] = []
        seen: set[str] = set()
        for column in np.argsort(-weights, kind="stable"):
            if not np.isfinite(weights[column]) or weights[column] <= 0:
                break
            word = str(names[column])
            if not _is_topic_word(word) or fold(word) in seen:
                continue
            seen.add(fold(word))
            words.append(word)
            if len(words) == self.config.topic_terms:
                break
        return words

    def rating_set(
        self, profile: ProfileInput, open_keys: Collection[str] | None = None
    ) -> list[ScoredPaper]:
        """Up to `size` papers for `profile` to rate: its keywords' papers, then main topics.

        `open_keys` limits the choice to the papers open to this reader (None: the whole
        pool); rated, excluded and muted papers are never offered. The same inputs give the
        same set in the same order, whatever order the candidates came in.
        """
        size = self.config.size
        allowed = ~self.papers.removed([profile])[0]
        if open_keys is not None:
            opened = set(open_keys)
            allowed &= np.array([key in opened for key in self.papers.keys], dtype=bool)
        chosen: list[int] = []
        reasons: dict[int, Reason] = {}
        keyword_lists = self._keyword_lists(profile, allowed)
        for column, reason in _round_robin(keyword_lists, size):
            chosen.append(column)
            reasons[column] = reason
        # Main topics, one paper each in turn; a topic a keyword pick already covers waits.
        label = {c: i for i, t in enumerate(self._topics) for c in t.members}
        covered = {label[c] for c in chosen}
        ordered = sorted(
            range(len(self._topics)), key=lambda i: i in covered
        )  # stable: biggest first within each group
        topic_lists = []
        for i in ordered:
            topic = self._topics[i]
            members = [c for c in topic.members if allowed[c]]
            if not members:
                continue
            reason = _topic_reason(topic)
            topic_lists.append([(c, reason) for c in members])
        taken = set(chosen)
        for column, reason in _round_robin(topic_lists, size - len(chosen), taken):
            chosen.append(column)
            reasons[column] = reason
        return [ScoredPaper(self.papers.keys[c], 0.0, [reasons[c]]) for c in chosen]

    def _keyword_lists(
        self, profile: ProfileInput, allowed: np.ndarray
    ) -> list[list[tuple[int, Reason]]]:
        """Per positive keyword (heaviest first): the open papers saying it, most typical first."""
        topics = self.papers.vectors.topics
        weighted = sorted(
            ((w, k) for k, w in profile.keywords.items() if w > 0), key=lambda p: (-p[0], p[1])
        )
        lists = []
        for _, keyword in weighted:
            says = np.flatnonzero(self.papers.phrases.mask(keyword))
            if not len(says):
                continue
            # Typical = nearest the mean topic of every paper saying it (open or not).
            centre = normalize(topics[says].mean(axis=0, keepdims=True))[0]
            nearness = topics[says] @ centre
            order = says[np.lexsort((says, -nearness))]
            reason = Reason(KEYWORD_REASON, f"says your keyword “{keyword}”", terms=[keyword])
            lists.append([(int(c), reason) for c in order if allowed[c]])
        return lists


def basis_words(picks: Sequence[ScoredPaper]) -> str:
    """What a rating set was chosen to cover, for the sentence that says why it is there."""
    kinds = {reason.kind for scored in picks for reason in scored.reasons}
    if KEYWORD_REASON in kinds and TOPIC_REASON in kinds:
        return "your keywords and the main topics of the new papers"
    if KEYWORD_REASON in kinds:
        return "your keywords"
    return "the main topics of the new papers"


def _round_robin(
    lists: list[list[tuple[int, Reason]]], size: int, taken: set[int] | None = None
) -> list[tuple[int, Reason]]:
    """Each list's first untaken item in turn, round after round, up to `size` items."""
    taken = set() if taken is None else taken
    picked: list[tuple[int, Reason]] = []
    while len(picked) < size:
        before = len(picked)
        for items in lists:
            if len(picked) >= size:
                break
            # A list moves on past what the others took: its next own paper, not a repeat.
            item = next((item for item in items if item[0] not in taken), None)
            if item is not None:
                taken.add(item[0])
                picked.append(item)
        if len(picked) == before:
            break
    return picked


def _topic_reason(topic: _Topic) -> Reason:
    about = ", ".join(topic.words) if topic.words else "a topic of its own"
    count = len(topic.members)
    papers = f"{count} recent paper{'s' if count != 1 else ''}"
    return Reason(
        TOPIC_REASON, f"a main topic of the recent papers: {about} ({papers})", topic.words
    )


def _is_topic_word(word: str) -> bool:
    return (
        len(word) >= 3
        and word.isalpha()
        and word not in _NOT_A_TOPIC
        and fold(word) not in _NOT_A_TOPIC
        and not is_adverb(word)
    )
