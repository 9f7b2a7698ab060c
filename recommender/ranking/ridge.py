"""Ridge regression of many targets on a sparse matrix: conjugate gradients, all targets at once.

scikit-learn's `sparse_cg` solver runs one conjugate-gradient solve per target, each step a
sparse matrix-vector product behind a Python call. The crowd model regresses 128 targets on
~20,000 papers, where that per-step overhead is most of the time. Here every target takes the
same steps in lockstep, each step one sparse matrix-matrix product: the iterates of each
target are those of its own solve (a target stops when its own residual is small enough),
with a tenth of the Python calls. The intercept is fitted as scikit-learn does: columns are
centred implicitly, never densified.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

Operator = Callable[[np.ndarray], np.ndarray]
TINY = np.finfo(np.float32).tiny  # keeps a zero denominator from dividing


def fit_ridge(
    x: sp.csr_matrix, y: np.ndarray, alpha: float, tol: float, max_iter: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """(coef (V, f), intercept (f,)) minimising |y - x coef - intercept|^2 + alpha |coef|^2.

    Each target stops once its residual is below `tol` times its right-hand side, like
    scikit-learn's `Ridge(solver="sparse_cg", tol=tol)`; float32 throughout.
    """
    x = sp.csr_matrix(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    n, width = x.shape
    mean_x = np.asarray(x.mean(axis=0), dtype=np.float32).ravel()
    mean_y = y.mean(axis=0)
    centred_y = y - mean_y
    x_t = x.T.tocsr()  # row-major, so its products are as fast as x's own

    def xc(p: np.ndarray) -> np.ndarray:  # (x - 1 mean_x^T) p
        return np.asarray(x @ p) - (mean_x @ p)[None, :]

    def xc_t(d: np.ndarray) -> np.ndarray:  # (x - 1 mean_x^T)^T d
        return np.asarray(x_t @ d) - np.outer(mean_x, d.sum(axis=0))

    if width > n:  # fewer papers than terms: solve for the dual coefficients
        dual = _lockstep_cg(lambda d: xc(xc_t(d)) + alpha * d, centred_y, tol, max_iter)
        coef = xc_t(dual)
    else:
        coef = _lockstep_cg(lambda w: xc_t(xc(w)) + alpha * w, xc_t(centred_y), tol, max_iter)
    return coef.astype(np.float32), (mean_y - mean_x @ coef).astype(np.float32)


def _lockstep_cg(apply: Operator, b: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Solve apply(x) = b column by column (apply: symmetric positive definite, acting on
    every column alike), all columns stepping together until each has converged."""
    solution = np.zeros_like(b)
    residual = b.copy()
    direction = residual.copy()
    squared = np.einsum("ij,ij->j", residual, residual)
    goal = tol * np.sqrt(np.einsum("ij,ij->j", b, b))
    active = np.sqrt(squared) > goal
    for _ in range(max_iter):
        if not active.any():
            break
        step = apply(direction)
        curvature = np.einsum("ij,ij->j", direction, step)
        # A converged column steps by 0: its solution stays where it stopped.
        rate = np.where(active, squared / np.maximum(curvature, TINY), 0).astype(np.float32)
        solution += direction * rate
        residual -= step * rate
        updated = np.einsum("ij,ij->j", residual, residual)
        active &= np.sqrt(updated) > goal
        keep = np.where(active, updated / np.maximum(squared, TINY), 0).astype(np.float32)
        direction = residual + direction * keep
        squared = updated
    return solution
