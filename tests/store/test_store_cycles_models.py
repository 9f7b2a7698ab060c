"""Cycle records and stored ranker models."""

from __future__ import annotations

import pytest
from store_support import T0, at

from recommender.errors import StoreError
from recommender.store import Store
from recommender.store.cycles import CycleStatus, finish_cycle, last_cycle, start_cycle
from recommender.store.ranker_models import (
    latest_ranker_model,
    prune_ranker_models,
    save_ranker_model,
)


def test_cycle_start_and_finish(store: Store) -> None:
    with store.begin() as conn:
        assert last_cycle(conn) is None
        first = start_cycle(conn, "host-a:101", T0)
        finish_cycle(conn, first, CycleStatus.FAILED, {"error": "boom"}, at(1))
        second = start_cycle(conn, "host-b:202", at(10))
        running = last_cycle(conn)
    assert running is not None
    assert (running.id, running.status, running.holder, running.finished_at) == (
        second,
        CycleStatus.RUNNING,
        "host-b:202",
        None,
    )
    report = {"feeds": {"ok": 3, "failed": ["bio"]}, "users": {"alice": 5}, "note": "ünïcode"}
    with store.begin() as conn:
        finish_cycle(conn, second, CycleStatus.DONE, report, at(12))
        done = last_cycle(conn)
    assert done is not None
    assert (done.status, done.report, done.started_at, done.finished_at) == (
        "done",
        report,
        at(10),
        at(12),
    )


def test_finishing_wrongly_is_refused(store: Store) -> None:
    with store.begin() as conn:
        cycle = start_cycle(conn, "h:1", T0)
        with pytest.raises(ValueError, match="not 'running'"):
            finish_cycle(conn, cycle, CycleStatus.RUNNING, {}, T0)
        with pytest.raises(StoreError, match="there is no cycle with id 999"):
            finish_cycle(conn, 999, CycleStatus.DONE, {}, T0)


def test_latest_model_and_pruning(store: Store) -> None:
    blob = bytes(range(256)) * 1000
    with store.begin() as conn:
        assert latest_ranker_model(conn) is None
        for n in range(4):
            save_ranker_model(conn, {"max_df": 0.5, "n": n}, 1000 + n, "1.5.0", blob[n:], at(n))
        latest = latest_ranker_model(conn)
        assert latest is not None
        assert (latest.params, latest.corpus_size, latest.sklearn_version) == (
            {"max_df": 0.5, "n": 3},
            1003,
            "1.5.0",
        )
        assert latest.blob == blob[3:] and latest.created_at == at(3)
        assert prune_ranker_models(conn, keep=2) == 2
        assert prune_ranker_models(conn, keep=2) == 0
        assert latest_ranker_model(conn) == latest
