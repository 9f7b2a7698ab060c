"""Phrases for reasons: the 2- and 3-word runs of real titles and abstracts that hold a term.

A reason reads better as "retrieval augmented generation" than as "retrieval, augmented,
generation", but only where both the paper and the liked paper it is closest to say it. Runs
never cross punctuation and never start or end on a stop word; words are compared with a
plain plural fold ("models" = "model"), and shown as the paper writes them.

Applied when reasons are worded for the picks a reader sees (digest/reasons.py), not inside
Ranker.rank: reading the texts of a million picks would cost more than ranking them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from recommender.ranking.vectorize import TOKEN_PATTERN
from recommender.ranking.words import fold

LONGEST = 3
_TOKEN = re.compile(TOKEN_PATTERN)
# Phrases stop at punctuation that ends a clause (hyphens and apostrophes stay inside words).
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”‘’/|=<>+*&]+|\s['`]|['`]\s|\s-+\s")


def clauses(text: str) -> list[list[str]]:
    """The text's clauses as lower-case tokens (the ranker's token pattern)."""
    return [_TOKEN.findall(part) for part in _CLAUSE.split(text.casefold())]


def runs(text: str) -> dict[str, list[tuple[str, str]]]:
    """Folded word -> the (folded, shown) 2..3-word runs that contain it, first seen first."""
    found: dict[str, list[tuple[str, str]]] = {}
    seen: set[str] = set()
    for words in clauses(text):
        for start in range(len(words)):
            if words[start] in ENGLISH_STOP_WORDS:
                continue
            for size in range(2, LONGEST + 1):
                part = words[start : start + size]
                if len(part) < size or part[-1] in ENGLISH_STOP_WORDS:
                    continue
                key = " ".join(map(fold, part))
                if key in seen:
                    continue
                seen.add(key)
                for word in {fold(w) for w in part if w not in ENGLISH_STOP_WORDS}:
                    found.setdefault(word, []).append((key, " ".join(part)))
    return found


def run_keys(text: str) -> frozenset[str]:
    """Every folded 2..3-word run of `text`."""
    return frozenset(key for items in runs(text).values() for key, _ in items)


def flat_text(text: str) -> str:
    """Lower case, one space between words: what a folded run is searched in."""
    return " " + " ".join(text.casefold().split()) + " "


def says(flat: str, key: str) -> bool:
    """Whether a flat text holds the folded run `key` ("reward model" in "reward models")."""
    return " " + key in flat


def as_phrases(terms: Sequence[str], paper_text: str, liked_text: str) -> list[str]:
    """`terms` (best first), each grown into the longest run around it that the paper and the
    liked paper share; a term a chosen phrase already holds is dropped."""
    candidate = runs(paper_text)
    flat = flat_text(liked_text)
    wanted = {fold(t) for t in terms}
    chosen: list[str] = []
    covered: set[str] = set()
    for term in terms:
        word = fold(term)
        if word in covered:
            continue
        shared = [(key, shown) for key, shown in candidate.get(word, []) if says(flat, key)]
        if shared:
            # The longest shared run; among equals, the one holding most of the other terms.
            key, shown = max(
                shared, key=lambda item: (len(item[0].split()), len(wanted & set(item[0].split())))
            )
            chosen.append(shown)
            covered.update(key.split())
        else:
            chosen.append(term)
            covered.add(word)
    return chosen
