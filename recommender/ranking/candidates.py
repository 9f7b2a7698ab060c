"""The candidate papers of one rank call, vectorised once, with their author and phrase indexes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from recommender.ranking.explain import PaperView, reason_background
from recommender.ranking.inputs import Candidate, ProfileInput, normalise_author
from recommender.ranking.score import PaperVectors
from recommender.ranking.vectorize import FittedText
from recommender.ranking.words import fold


class PhraseIndex:
    """Which candidates contain a phrase as whole words (case-insensitive), cached per phrase."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = [t.casefold() for t in texts]
        self._cache: dict[str, np.ndarray] = {}

    def mask(self, phrase: str) -> np.ndarray:
        """Boolean mask of the candidates containing `phrase`."""
        key = " ".join(phrase.casefold().split())
        if key not in self._cache:
            words = r"\s+".join(map(re.escape, key.split()))
            pattern = re.compile(r"(?<!\w)" + words + r"(?!\w)")
            hits = [bool(key) and pattern.search(t) is not None for t in self._texts]
            self._cache[key] = np.array(hits, dtype=bool)
        return self._cache[key]


class CandidateSet:
    """Candidates in key order (so results do not depend on the order they came in)."""

    def __init__(self, fitted: FittedText, candidates: Sequence[Candidate]) -> None:
        # Duplicate keys: the first by text wins, whatever the input order.
        unique: dict[str, Candidate] = {}
        for c in sorted(candidates, key=lambda c: (c.key, c.text)):
            unique.setdefault(c.key, c)
        self.ordered = [unique[key] for key in sorted(unique)]
        self.keys = [c.key for c in self.ordered]
        self.column = {key: i for i, key in enumerate(self.keys)}
        self.vectors = PaperVectors.of(fitted, fitted.terms([c.text for c in self.ordered]))
        self.by_author: dict[str, list[int]] = {}
        for i, c in enumerate(self.ordered):
            for name in {normalise_author(a) for a in c.authors}:
                self.by_author.setdefault(name, []).append(i)
        self.phrases = PhraseIndex([c.text for c in self.ordered])
        self._fitted = fitted

    @cached_property
    def view(self) -> PaperView:
        """What explaining needs; built on first use, so ranking without reasons skips it."""
        return PaperView(
            keys=self.keys,
            terms=self.vectors.terms,
            topics=self.vectors.topics,
            authors=[c.authors for c in self.ordered],
            vocabulary=self._fitted.feature_names(),
            # Both depend on the model alone: made once per loaded model.
            background=self._fitted.derived("reason_background", self._reason_background),
            folded=self._fitted.derived("folded_vocabulary", self._folded),
        )

    def _reason_background(self) -> np.ndarray:
        background = reason_background(self._fitted)
        background.flags.writeable = False
        return background

    def _folded(self) -> np.ndarray:
        names = self._fitted.feature_names().tolist()
        folded = np.array([fold(t) for t in names], dtype=object)
        folded.flags.writeable = False
        return folded

    def __len__(self) -> int:
        return len(self.keys)

    def followed(self, chunk: Sequence[ProfileInput]) -> np.ndarray:
        """Per user x candidate: written by an author the user follows."""
        followed = np.zeros((len(chunk), len(self)), dtype=bool)
        for i, p in enumerate(chunk):
            for name in p.followed_authors:
                followed[i, self.by_author.get(normalise_author(name), [])] = True
        return followed

    def removed(self, chunk: Sequence[ProfileInput]) -> np.ndarray:
        """Per user x candidate: excluded, already rated, or muted."""
        removed = np.zeros((len(chunk), len(self)), dtype=bool)
        for i, p in enumerate(chunk):
            for name in p.muted_authors:
                removed[i, self.by_author.get(normalise_author(name), [])] = True
            for phrase in p.muted_keywords:
                removed[i] |= self.phrases.mask(phrase)
            seen = p.exclude.union(d.key for d in p.liked).union(d.key for d in p.disliked)
            removed[i, [self.column[key] for key in seen if key in self.column]] = True
        return removed

    def muted_by(self, profile: ProfileInput) -> dict[int, str]:
        """Column -> the first mute (author, then term, in config order) that removes it."""
        muted: dict[int, str] = {}
        for name in profile.muted_authors:
            for column in self.by_author.get(normalise_author(name), []):
                muted.setdefault(column, f"author {name}")
        for phrase in profile.muted_keywords:
            for column in np.flatnonzero(self.phrases.mask(phrase)).tolist():
                muted.setdefault(column, f"term '{phrase}'")
        return muted

    def keyword_hits(self, chunk: Sequence[ProfileInput]) -> list[dict[str, np.ndarray]]:
        """Per user: which candidates contain each of its positive keywords."""
        return [
            {word: self.phrases.mask(word) for word, w in p.keywords.items() if w > 0}
            for p in chunk
        ]
