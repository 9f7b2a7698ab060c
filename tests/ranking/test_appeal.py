"""Appeal: the crowd model's guess, from the words, of how widely a kind of paper is saved."""

from __future__ import annotations

import numpy as np
import pytest
from ranking_support import paper

from recommender.ranking import Candidate, CrowdModel, LikedText, ProfileInput, Ranker, RankerConfig
from recommender.ranking.ridge import fit_ridge
from recommender.ranking.vectorize import FittedText

# Every library holds two of six sea-ice reviews (each in 100 libraries) and two errata of
# its own (each in one): reviews are the kind of paper readers save.
REVIEW, ERRATUM = " review benchmark", " erratum comment"
LIBRARIES = [
    [LikedText(f"review{(u + j) % 6}", paper("ice", (u + j) % 6) + REVIEW) for j in range(2)]
    + [LikedText(f"erratum{u}-{j}", paper("ice", 100 + 2 * u + j) + ERRATUM) for j in range(2)]
    for u in range(300)
]
# A reader of plain sea-ice papers, and two new papers alike but for their last two words.
ME = ProfileInput("me", [LikedText(f"plain{i}", paper("ice", 50 + i)) for i in range(3)])
NEW = [
    Candidate("new-review", paper("ice", 999) + REVIEW),
    Candidate("new-erratum", paper("ice", 999) + ERRATUM),
]
# Other fields fill the corpus, so that sea-ice words are not in most papers.
OTHERS = [paper(field, i) for field in ("penguin", "bridge") for i in range(400)]
CORPUS = (
    [d.text for lib in LIBRARIES for d in lib]
    + [d.text for d in ME.liked]
    + [c.text for c in NEW]
    + OTHERS
)

Fitted = tuple[Ranker, FittedText, CrowdModel]


@pytest.fixture(scope="module")
def fitted_crowd() -> Fitted:
    # The crowd's own view off: what is left of the crowd model is appeal.
    ranker = Ranker(RankerConfig(appeal_weight=1.0, crowd_weight=0.0))
    fitted = ranker.fit(CORPUS)
    crowd = ranker.fit_crowd(fitted, LIBRARIES)
    assert crowd is not None
    return ranker, fitted, crowd


def test_appeal_is_learnt_from_how_many_libraries_hold_a_paper(fitted_crowd: Fitted) -> None:
    _, fitted, crowd = fitted_crowd
    appeal = crowd.appeal(fitted.terms([c.text for c in NEW]))
    assert appeal is not None
    review, erratum = appeal
    assert review > erratum + 1.0  # in standard deviations of log(1 + likers)


def test_appeal_leaves_the_map_to_co_like_factors_as_it_was(fitted_crowd: Fitted) -> None:
    _, fitted, crowd = fitted_crowd
    keys = sorted(crowd.row, key=crowd.row.__getitem__)
    texts = {d.key: d.text for lib in LIBRARIES for d in lib}
    coef, intercept = fit_ridge(fitted.terms([texts[k] for k in keys]), crowd.factors, 3.0, 1e-2)
    np.testing.assert_allclose(crowd.coef, coef, atol=1e-6)
    np.testing.assert_allclose(crowd.intercept, intercept, atol=1e-6)


def _order(
    ranker: Ranker, fitted: FittedText, crowd: CrowdModel | None, profile: ProfileInput = ME
) -> list[str]:
    return [
        p.paper_key for p in ranker.rank(fitted, [profile], NEW, 2, crowd=crowd)[profile.user_id]
    ]


def test_of_two_papers_alike_in_words_the_kind_readers_save_comes_first(
    fitted_crowd: Fitted,
) -> None:
    ranker, fitted, crowd = fitted_crowd
    # The erratum's rarer last words weigh less, so its sea-ice words make it the closer text.
    off = Ranker(RankerConfig(appeal_weight=0.0, crowd_weight=0.0))
    assert _order(off, fitted, crowd) == [
        "new-erratum",
        "new-review",
    ]
    assert _order(ranker, fitted, crowd) == ["new-review", "new-erratum"]


def test_a_crowd_model_stored_before_appeal_ranks_as_without_it(fitted_crowd: Fitted) -> None:
    ranker, fitted, crowd = fitted_crowd
    old = CrowdModel(
        row=crowd.row, factors=crowd.factors, coef=crowd.coef, intercept=crowd.intercept
    )
    assert old.appeal_coef is None
    off = Ranker(RankerConfig(appeal_weight=0.0, crowd_weight=0.0))
    assert _order(ranker, fitted, old) == _order(off, fitted, crowd) == _order(off, fitted, None)


def test_a_reader_without_likes_gets_no_appeal(fitted_crowd: Fitted) -> None:
    ranker, fitted, crowd = fitted_crowd
    keywords = ProfileInput("kw", [], keywords={"albedo": 1.0})
    with_appeal = ranker.rank(fitted, [keywords], NEW, 2, crowd=crowd)["kw"]
    without = Ranker(RankerConfig(appeal_weight=0.0, crowd_weight=0.0)).rank(
        fitted, [keywords], NEW, 2, crowd=crowd
    )["kw"]
    assert [(p.paper_key, p.score) for p in with_appeal] == [
        (p.paper_key, p.score) for p in without
    ]
