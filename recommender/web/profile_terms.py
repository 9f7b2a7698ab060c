"""Ranker terms made readable for the profile chart: no boilerplate, one form per word.

Pure: weighted terms in (the ranker's own, from ranking/interests.py), the terms a reader
sees out. The ranker keeps every term; this only decides what is worth showing.
"""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from recommender.ranking.words import BOILERPLATE

# Words of 3+ letters (digits allowed after the first), so "x", "2024" and "a1" drop out.
_WORD = re.compile(r"(?u)\b[^\W\d_][\w-]{2,}\b")
STOP_WORDS = ENGLISH_STOP_WORDS | BOILERPLATE
# Words ending in "s" that are not plurals (endings -ss, -us, -is, -ics are kept as well).
NOT_PLURAL = frozenset(
    "alias atlas bias canvas chaos cosmos ethos gas lens news pathos series species".split()  # noqa: SIM905
)


def singular(word: str, known: set[str] | frozenset[str] = frozenset()) -> str:
    """`models` -> `model`; `approaches` -> `approach` when `approach` is `known`.

    Leaves `bias`, `loss`, `focus`, `studies` alone: a wrong fold would show a non-word.
    """
    if len(word) < 4 or not word.endswith("s") or word in NOT_PLURAL:
        return word
    if word.endswith(("ss", "us", "is", "ies", "ics")):
        return word
    if word.endswith("es") and word[:-2] in known:
        return word[:-2]
    return word[:-1]


def readable(term: str, known: set[str] | frozenset[str] = frozenset()) -> str | None:
    """`reward models` -> `reward model`; None for a term that tells a reader nothing.

    A term is shown when it is a word (3+ letters, no number alone) and, for a phrase,
    when some word of it is not a stop or boilerplate word.
    """
    parts = term.lower().split()
    if not parts or not all(_WORD.fullmatch(part) for part in parts):
        return None
    if all(part in STOP_WORDS for part in parts):
        return None
    folded = [singular(part, known) for part in parts]
    if len(folded) == 1 and folded[0] in STOP_WORDS:
        return None
    return " ".join(folded)


def display_terms(weighted: list[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """The `k` heaviest readable terms, forms of one word merged, heaviest first, top 1.0."""
    known = {word for term, _ in weighted for word in term.lower().split()}
    shown: dict[str, float] = {}
    for term, weight in weighted:
        label = readable(term, known)
        if label is not None and weight > 0:
            shown[label] = max(shown.get(label, 0.0), weight)
    order = sorted(shown.items(), key=lambda item: (-item[1], item[0]))[:k]
    if not order:
        return []
    top = order[0][1]
    return [(term, round(weight / top, 4)) for term, weight in order]
