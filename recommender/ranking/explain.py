"""Reasons as data for each picked paper: shared terms, nearest liked paper, keywords, authors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.models import Reason, ScoredPaper
from recommender.ranking.inputs import ProfileInput, normalise_author
from recommender.ranking.vectorize import FittedText
from recommender.ranking.words import BOILERPLATE, MARKUP, fold, is_adverb, is_too_short


@dataclass
class ChunkPicks:
    """One chunk's picks: candidate columns (users x k, -1 = none) and their scores."""

    columns: np.ndarray
    scores: np.ndarray
    followed: np.ndarray  # bool, the pick is by a followed author
    crowd: np.ndarray | None = None  # what the crowd view added to the pick's r, if used
    semantic: np.ndarray | None = None  # what the semantic view added, if used
    semantic_liked: np.ndarray | None = None  # index of the liked paper closest in meaning


# How many of one user's picks may give the same word as a reason.
SAID_AT_MOST = 2
# Shared terms weighing less than this share of the pick's heaviest term are left out.
WEAK_TERM = 0.25
# A crowd (or semantic) contribution this large (a fifth of "as close as your typical like")
# is worth saying.
CROWD_REASON_MIN = 0.2


# The corpus' most widespread words (plural forms counted together) are never reasons:
# they would name every pick alike. 250, not 200: words cut from the vocabulary (in too
# few or too many papers) leave a fold group's count short by a few papers.
COMMON_TERMS = 250


def document_frequency(fitted: FittedText) -> np.ndarray:
    """(V,) how many corpus papers hold each term, recovered from the fitted idf."""
    n, idf = fitted.corpus_size, fitted.idf.astype(np.float64)
    if fitted.config.weighting == "bm25":  # idf = log(1 + (n - df + 0.5) / (df + 0.5))
        ratio = np.expm1(idf)
        return (n + 0.5 - 0.5 * ratio) / (ratio + 1)
    return (1 + n) / np.exp(idf - 1) - 1  # smooth idf = log((1 + n) / (1 + df)) + 1


def reason_background(fitted: FittedText) -> np.ndarray:
    """The corpus' mean term vector; infinite for words never shown as a reason (the corpus'
    most common words, boilerplate and markup), so they weigh nothing."""
    background = fitted.background()
    vocabulary = fitted.feature_names().tolist()
    groups: dict[str, list[int]] = {}
    for column, term in enumerate(vocabulary):
        groups.setdefault(fold(term), []).append(column)
    df = document_frequency(fitted)
    by_group = sorted(groups, key=lambda word: (-sum(df[c] for c in groups[word]), word))
    # At most an eighth of the words, so a small corpus (a first run) keeps words to say.
    common = min(COMMON_TERMS, len(by_group) // 8)
    never = set(by_group[:common]) | {fold(w) for w in BOILERPLATE | MARKUP}
    never |= {word for word in groups if is_adverb(word) or is_too_short(word)}
    background[[c for word in never for c in groups.get(word, [])]] = np.inf
    return background


@dataclass
class PaperView:
    """What explaining needs to know about the candidates."""

    keys: Sequence[str]
    terms: sp.csr_matrix
    topics: np.ndarray
    authors: Sequence[tuple[str, ...]]
    vocabulary: np.ndarray
    background: np.ndarray  # (V,) the corpus' mean term vector, inf for words never said
    folded: np.ndarray  # (V,) each term's plural fold


def distinct_words(
    terms: Sequence[str], folded: Sequence[str], said: Counter[str], n: int
) -> list[str]:
    """The first `n` terms (with their folded forms) that earlier picks did not say
    SAID_AT_MOST times, one form per word ("llm" and "llms" once); counted in `said`."""
    chosen: list[str] = []
    seen: set[str] = set()
    for term, word in zip(terms, folded, strict=True):
        if word not in seen and said[word] < SAID_AT_MOST:
            seen.add(word)
            chosen.append(term)
            if len(chosen) == n:
                break
    said.update(seen)
    return chosen


def presence(doc_terms: sp.csr_matrix) -> sp.csr_matrix:
    """The same matrix with every stored value 1: which document holds which term."""
    present = doc_terms.copy()
    present.data = np.ones_like(present.data)
    return present


def liked_support(present: sp.csr_matrix, liked_rows: list[np.ndarray]) -> sp.csr_matrix:
    """(users, V) how many of each user's liked papers contain each term (`present`: the
    liked papers' presence matrix)."""
    sizes = [len(rows) for rows in liked_rows]
    users = np.repeat(np.arange(len(liked_rows)), sizes)
    docs = np.concatenate(liked_rows) if liked_rows else np.zeros(0, dtype=np.int64)
    owner = sp.csr_matrix(
        (np.ones(len(docs), dtype=np.float32), (users, docs)),
        shape=(len(liked_rows), present.shape[0]),
    )
    return sp.csr_matrix(owner @ present)


def _look_up(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """matrix[rows[i], cols[i]] for every i, 0 where the entry is not stored."""
    matrix = matrix if matrix.has_sorted_indices else matrix.sorted_indices()
    # CSR keys row * width + column are sorted, so one searchsorted finds them all.
    width = np.int64(matrix.shape[1])
    keys = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = keys * width + matrix.indices
    wanted = rows.astype(np.int64) * width + cols
    if not len(keys):
        return np.zeros(len(wanted), dtype=np.float32)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, matrix.data[at], 0).astype(np.float32)


def top_shared_terms(
    profiles: sp.csr_matrix,
    support: sp.csr_matrix,
    papers: sp.csr_matrix,
    background: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair, term, value) of the n most distinctive shared terms per (row, col) pair.

    A term counts by how far it sets both the paper and the profile apart from the corpus:
    (paper weight - corpus mean)+ x (profile weight - corpus mean)+. Raw weights would name
    the words every paper of the field uses ("model", "language") under every pick. A user
    with several liked papers must have it in two of them: a word one abstract happened to
    use ("unfortunately") is no interest.
    """
    picked = papers[cols]  # one row per pair: the paper's few terms
    pair = np.repeat(np.arange(len(cols)), np.diff(picked.indptr))
    term = picked.indices
    user = rows[pair]
    mine = _look_up(profiles, user, term)
    likes = np.diff(support.indptr) > 0  # the user has liked papers (not only keywords)
    needed = np.where(likes[user], np.minimum(2, _row_max(support)[user]), 0)
    mine[_look_up(support, user, term) < needed] = 0
    mean = np.minimum(background[term], 2.0)  # common terms (inf) give 0, never NaN
    value = np.maximum(picked.data - mean, 0) * np.maximum(mine - mean, 0)
    keep = value > 0
    pair, term, value = pair[keep], term[keep], value[keep]
    # One float key sorts by pair, then heaviest first (unit vectors: values lie in (0, 1]);
    # a stable sort breaks ties by term, so a user's reasons do not depend on which other
    # users share the chunk.
    order = np.argsort(pair * 2.0 + (1.0 - value.astype(np.float64)), kind="stable")
    pair, term, value = pair[order], term[order], value[order]
    first = np.searchsorted(pair, pair)
    rank = np.arange(len(pair)) - first
    # A term far weaker than the pick's best one is a coincidence, not a reason.
    top = (rank < n) & (value >= WEAK_TERM * value[first])
    return pair[top], term[top], value[top]


def _row_max(matrix: sp.csr_matrix) -> np.ndarray:
    """Each row's largest stored value (0 for an empty row)."""
    return np.asarray(matrix.max(axis=1).todense(), dtype=np.float32).ravel()


def nearest_liked(
    rows: np.ndarray, cols: np.ndarray, liked_topics: list[np.ndarray], paper_topics: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each (row, col) pair: the index in the user's liked list of the closest paper, and
    its topic cosine (-1 when the user liked nothing)."""
    best = np.full(len(rows), -1)
    closeness = np.full(len(rows), -1.0)
    bounds = np.searchsorted(rows, np.arange(len(liked_topics) + 1))
    for row, liked in enumerate(liked_topics):
        lo, hi = bounds[row], bounds[row + 1]
        if hi > lo and len(liked):
            sims = liked @ paper_topics[cols[lo:hi]].T  # (liked, picks)
            best[lo:hi] = np.argmax(sims, axis=0)
            closeness[lo:hi] = sims[best[lo:hi], np.arange(hi - lo)]
    return best, closeness


def explain_chunk(
    profiles: Sequence[ProfileInput],
    picks: ChunkPicks,
    papers: PaperView,
    profile_terms: sp.csr_matrix,
    support: sp.csr_matrix,
    liked_topics: list[np.ndarray],
    keyword_hits: list[dict[str, np.ndarray]],
    n_terms: int,
) -> list[list[ScoredPaper]]:
    """ScoredPaper lists for a chunk of users, each paper with at least one reason."""
    rows, slots = np.nonzero(picks.columns >= 0)  # row-major: rows ascending
    cols = picks.columns[rows, slots]
    # Twice the terms shown: an earlier pick may have said some of them already.
    pair, term, value = top_shared_terms(
        profile_terms, support, papers.terms, papers.background, rows, cols, 2 * n_terms
    )
    starts = np.searchsorted(pair, np.arange(len(rows) + 1)).tolist()
    words = papers.vocabulary[term].tolist()
    folded = papers.folded[term].tolist()
    values = value.tolist()
    nearest, closeness = nearest_liked(rows, cols, liked_topics, papers.topics)
    best, near = nearest.tolist(), closeness.tolist()
    scores = picks.scores[rows, slots].tolist()
    followed = picks.followed[rows, slots].tolist()
    crowd = picks.crowd[rows, slots].tolist() if picks.crowd is not None else [0.0] * len(rows)
    semantic = [0.0] * len(rows)
    meaning = [-1] * len(rows)
    if picks.semantic is not None and picks.semantic_liked is not None:
        semantic = picks.semantic[rows, slots].tolist()
        meaning = picks.semantic_liked[rows, slots].tolist()
    keys = papers.keys
    results: list[list[ScoredPaper]] = [[] for _ in profiles]
    said: Counter[str] = Counter()  # words the user's earlier picks gave as reasons
    said_for = -1
    # Reasons are built positionally: this loop runs once per pick, a million times for
    # 100,000 users.
    for i, (row, col) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        profile = profiles[row]
        reasons: list[Reason] = []
        lo, hi = starts[i], starts[i + 1]
        if row != said_for:
            said, said_for = Counter(), row
        # A word two earlier picks of this user already gave is not said again: each pick
        # says why *this* paper, not the user's field once more.
        shared = distinct_words(words[lo:hi], folded[lo:hi], said, n_terms)
        if shared:
            weight = sum(values[lo:hi])
            reasons.append(Reason("terms", "shares " + ", ".join(shared), shared, None, weight))
        if near[i] > 0:
            key = profile.liked[best[i]].key
            reasons.append(Reason("nearest_liked", f"close to {key}", [], key, near[i]))
        hits = keyword_hits[row]
        if hits:
            for word, mask in hits.items():
                if mask[col]:
                    weight = float(profile.keywords[word])
                    reasons.append(Reason("keyword", f"matches {word!r}", [word], None, weight))
        if followed[i]:
            wanted = {normalise_author(a) for a in profile.followed_authors}
            names = [a for a in papers.authors[col] if normalise_author(a) in wanted]
            reasons.append(Reason("followed_author", "by " + ", ".join(names), names, None, 1.0))
        if crowd[i] >= CROWD_REASON_MIN:
            text = "readers of papers like yours save papers like this"
            reasons.append(Reason("crowd", text, [], None, crowd[i]))
        if semantic[i] >= CROWD_REASON_MIN and meaning[i] >= 0:
            key = profile.liked[meaning[i]].key
            reasons.append(Reason("semantic", f"close in meaning to {key}", [], key, semantic[i]))
        if not reasons:
            reasons.append(Reason("interest", "close to your interests", [], None, scores[i]))
        results[row].append(ScoredPaper(keys[col], scores[i], reasons))
    return results


def bare_chunk(picks: ChunkPicks, keys: Sequence[str]) -> list[list[ScoredPaper]]:
    """ScoredPaper lists without reasons, for callers that only need the order."""
    return [
        [
            ScoredPaper(paper_key=keys[column], score=score)
            for column, score in zip(row_columns, row_scores, strict=True)
            if column >= 0
        ]
        for row_columns, row_scores in zip(
            picks.columns.tolist(), picks.scores.tolist(), strict=True
        )
    ]
