"""The fits run with one BLAS thread (issue #13): on a shared machine OpenBLAS threads spin
against other work, and the fit's dense steps are too small to gain from a second thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ranking_support import CROWD_CORPUS, READERS
from threadpoolctl import threadpool_info, threadpool_limits

from recommender.ranking import Ranker, RankerConfig
from recommender.ranking import ranker as ranker_module


def blas_threads() -> list[int]:
    """The thread count of every BLAS library numpy/scipy loaded."""
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def recording(seen: list[list[int]], wrapped: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        seen.append(blas_threads())
        return wrapped(*args, **kwargs)

    return call


def test_text_and_crowd_fits_use_one_blas_thread_then_restore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not blas_threads():
        pytest.skip("no BLAS library visible to threadpoolctl")
    seen: list[list[int]] = []
    monkeypatch.setattr(ranker_module, "fit_text", recording(seen, ranker_module.fit_text))
    monkeypatch.setattr(ranker_module, "fit_crowd", recording(seen, ranker_module.fit_crowd))
    ranker = Ranker(RankerConfig(crowd_min_users=20))
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        fitted = ranker.fit(CROWD_CORPUS)
        assert ranker.fit_crowd(fitted, READERS) is not None
        after = blas_threads()
    assert len(seen) == 2 and all(threads == [1] * len(threads) for threads in seen)
    assert after == before  # the caller's own setting is back once the fit returns
