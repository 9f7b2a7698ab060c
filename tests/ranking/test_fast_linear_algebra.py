"""The ranker's own ridge and SVD give scikit-learn's answers (they only take fewer steps)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.linear_model import Ridge

from recommender.ranking.ridge import fit_ridge
from recommender.ranking.svd import truncated_svd


def sparse_terms(rows: int, columns: int, seed: int) -> sp.csr_matrix:
    """Unit rows of non-negative weights, a few per row: the shape of term vectors."""
    matrix = sp.random(rows, columns, density=0.05, format="csr", random_state=seed)
    matrix = matrix.astype(np.float32)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    return sp.csr_matrix(sp.diags(1 / np.maximum(norms, 1e-9)) @ matrix, dtype=np.float32)


@pytest.mark.parametrize(("rows", "columns"), [(300, 120), (120, 300)])  # primal and dual
def test_ridge_matches_scikit_learn_on_every_target(rows: int, columns: int) -> None:
    x = sparse_terms(rows, columns, seed=1)
    rng = np.random.default_rng(2)
    y = (x @ rng.standard_normal((columns, 16)) + 0.3 * rng.standard_normal((rows, 16))).astype(
        np.float32
    )
    coef, intercept = fit_ridge(x, y, alpha=3.0, tol=1e-6)
    exact = Ridge(alpha=3.0, solver="sparse_cg", tol=1e-6).fit(x, y)
    np.testing.assert_allclose(coef, exact.coef_.T, atol=2e-4)
    np.testing.assert_allclose(intercept, exact.intercept_, atol=2e-4)
    # The loose tolerance the crowd model uses predicts what scikit-learn's does.
    loose, loose_intercept = fit_ridge(x, y, alpha=3.0, tol=1e-2)
    theirs = Ridge(alpha=3.0, solver="sparse_cg", tol=1e-2).fit(x, y).predict(x)
    ours = np.asarray(x @ loose) + loose_intercept
    assert np.linalg.norm(ours - theirs) / np.linalg.norm(theirs) < 1e-2


def test_ridge_stops_each_target_on_its_own() -> None:
    """A target that is already solved (all zero) stays zero while the others iterate."""
    x = sparse_terms(200, 80, seed=3)
    y = np.zeros((200, 2), np.float32)
    y[:, 1] = np.asarray(x[:, 0].todense()).ravel()
    coef, intercept = fit_ridge(x, y, alpha=1.0, tol=1e-6)
    assert not coef[:, 0].any() and intercept[0] == 0
    assert np.abs(coef[:, 1]).max() > 0


@pytest.mark.parametrize(("rows", "columns", "dims"), [(400, 150, 20), (90, 400, 30)])
def test_truncated_svd_matches_scikit_learn(rows: int, columns: int, dims: int) -> None:
    """Tall and wide matrices (scikit-learn transposes the wide one): same components, with
    the same signs, and the same singular values."""
    matrix = sparse_terms(rows, columns, seed=4)
    components, singular = truncated_svd(matrix, dims, n_iter=5, random_state=0)
    theirs = TruncatedSVD(dims, algorithm="randomized", n_iter=5, random_state=0).fit(matrix)
    np.testing.assert_allclose(singular, theirs.singular_values_, rtol=1e-4)
    np.testing.assert_allclose(components, theirs.components_, atol=1e-3)
    assert components.shape == (dims, columns)
