"""A small corpus of distinct topics shared by the ranking tests."""

from __future__ import annotations

import pytest
from ranking_support import CORPUS

from recommender.ranking import FittedText, Ranker


@pytest.fixture(scope="session")
def ranker() -> Ranker:
    """The default ranker."""
    return Ranker()


@pytest.fixture(scope="session")
def fitted(ranker: Ranker) -> FittedText:
    """The default text model fitted on the 20-string corpus."""
    return ranker.fit(CORPUS)


@pytest.fixture(scope="session")
def ranker_and_model(ranker: Ranker, fitted: FittedText) -> tuple[Ranker, FittedText]:
    """Both, for Hypothesis tests (which cannot take function-scoped fixtures)."""
    return ranker, fitted
