"""A large library keeps its 512 heaviest profile terms (issue #13: 256 cut libraries above 50
likes short on citeulike-t), and the prune is what bounds the profile, not the vocabulary."""

from __future__ import annotations

import numpy as np

from recommender.ranking import LikedText, ProfileInput, RankerConfig
from recommender.ranking.profile import build_profiles, document_table
from recommender.ranking.vectorize import fit_text


def corpus() -> list[str]:
    """100 papers; word k (1,000 distinct) is in papers k % 100 and k % 100 + 1, 1-9 times
    (so the weights rarely tie): every word passes min_df 2 and max_df 0.5."""
    rng = np.random.default_rng(0)
    words: list[list[str]] = [[] for _ in range(100)]
    for k in range(1000):
        for paper in (k % 100, (k % 100 + 1) % 100):
            words[paper] += [f"term{k:04d}x"] * int(rng.integers(1, 10))
    return [" ".join(paper) for paper in words]


def test_a_large_library_keeps_512_profile_terms() -> None:
    texts = corpus()
    config = RankerConfig()
    assert config.profile_terms == 512
    fitted = fit_text(texts, config)
    # 60 liked papers cover about 610 distinct terms: more than 512, fewer than all 1,000.
    user = ProfileInput("u", [LikedText(f"p{i}", texts[i]) for i in range(60)])
    table = document_table(fitted, [user])
    distinct = int(np.count_nonzero(np.asarray(table.terms.sum(axis=0)).ravel()))
    assert distinct > 512
    # Terms tied with the last one kept stay too, hence the small margins.
    kept = int(build_profiles(fitted, table, [user], config).terms.getnnz(axis=1)[0])
    assert 512 <= kept < min(distinct, 520)
    fewer = config.model_copy(update={"profile_terms": 256})
    assert 256 <= int(build_profiles(fitted, table, [user], fewer).terms.getnnz(axis=1)[0]) < 264
