"""The benchmark's metrics on hand-computed examples, the random floor, and the .dat loader."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str) -> ModuleType:
    """Import benchmarks/<name>.py by path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


metrics = load("metrics")
data = load("data")
peers = load("peers")


def test_metrics_of_a_hand_computed_list() -> None:
    ranked = ["a", "x", "b", "y"] + [f"z{i}" for i in range(96)]
    got = metrics.user_metrics(ranked, {"a", "b", "c"})
    assert got["recall@10"] == pytest.approx(2 / 3)
    assert got["recall@100"] == pytest.approx(2 / 3)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert got["nDCG@10"] == pytest.approx((1 + 1 / math.log2(4)) / ideal)
    assert got["MRR"] == 1.0


def test_metrics_when_the_hit_comes_late_or_never() -> None:
    late = metrics.user_metrics(["x", "y", "a"], {"a"})
    assert late["MRR"] == pytest.approx(1 / 3)
    assert late["nDCG@10"] == pytest.approx(0.5)
    assert late["recall@10"] == 1.0
    beyond = metrics.user_metrics([f"z{i}" for i in range(30)] + ["a"], {"a"})
    assert beyond["recall@20"] == 0.0 and beyond["recall@50"] == 1.0
    assert beyond["nDCG@20"] == 0.0 and beyond["MRR"] == pytest.approx(1 / 31)
    with pytest.raises(ValueError):
        metrics.user_metrics(["a"], set())


def test_macro_averages_users_then_folds() -> None:
    names = metrics.NAMES
    fold_a = [dict.fromkeys(names, 1.0), dict.fromkeys(names, 0.0)]  # mean 0.5
    fold_b = [dict.fromkeys(names, 1.0)]  # mean 1.0
    assert metrics.macro([fold_a, fold_b])["MRR"] == pytest.approx(0.75)


def test_random_ranking_scores_its_expected_recall() -> None:
    rng = np.random.default_rng(7)
    candidates, users = 1000, 2000
    keys = [f"c{i:04d}" for i in range(candidates)]
    scores = peers.random_scores(users, candidates, rng)
    order = np.argsort(-scores, axis=1)[:, :100]
    recall = []
    for row in order:
        relevant = {keys[j] for j in rng.choice(candidates, 4, replace=False)}
        recall.append(metrics.user_metrics([keys[j] for j in row], relevant)["recall@20"])
    # Expected 20 / 1000; the standard error over 2000 users is about 0.0016.
    assert np.mean(recall) == pytest.approx(0.02, abs=0.006)


def test_fold_rule_matches_the_published_folds() -> None:
    assert [data.fold_of(j) for j in range(3)] == [3, 4, 3]  # folds.tsv: ct0 3, ct1 4, ct2 3


def test_original_dat_files_load(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.dat").write_text("alpha\nbeta\ngamma\n")
    (tmp_path / "mult.dat").write_text("2 0:2 2:1\n1 1:3\n")
    (tmp_path / "users.dat").write_text("2 0 1\n0\n1 1\n")
    dataset = data.load(tmp_path)
    assert dataset.texts == {"ct0": "alpha alpha gamma", "ct1": "beta beta beta"}
    assert dataset.users == [("u0", ["ct0", "ct1"]), ("u2", ["ct1"])]
    assert dataset.folds == {"ct0": 3, "ct1": 4}
