"""Truncated SVD of a sparse matrix: scikit-learn's randomized algorithm, with fast transposes.

`TruncatedSVD(algorithm="randomized")` multiplies by the matrix and by its transpose in turn.
A CSR matrix's `.T` is CSC, whose products with a dense block run about 3x slower than CSR's
here; this keeps a CSR copy of the transpose for them. Same random draws, normalisers and sign
convention as scikit-learn (the results agree to rounding), and nothing else computed (the
text and crowd models need only the components and singular values, not the transformed
corpus and its variance that `TruncatedSVD.fit` also computes).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy import linalg

OVERSAMPLES = 10  # scikit-learn's n_oversamples default


def truncated_svd(
    matrix: sp.spmatrix, dims: int, n_iter: int, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """(components (dims, columns), singular values (dims,)) of `matrix`, as
    `TruncatedSVD(dims, algorithm="randomized", n_iter=n_iter, random_state=random_state)`
    gives them in `components_` and `singular_values_`."""
    m = sp.csr_matrix(matrix)
    m_t = m.T.tocsr()
    # scikit-learn works on the transpose of a wide matrix (a smaller random block).
    transpose = m.shape[0] < m.shape[1]
    a, a_t = (m_t, m) if transpose else (m, m_t)
    rng = np.random.RandomState(random_state)
    q = rng.normal(size=(a.shape[1], dims + OVERSAMPLES))
    if a.dtype == np.float32:
        q = q.astype(np.float32)
    # Power iterations, LU-normalised as scikit-learn's "auto" does (not at all for 2 or fewer).
    normalise = _lu if n_iter > 2 else np.asarray
    for _ in range(n_iter):
        q = normalise(np.asarray(a @ q))
        q = normalise(np.asarray(a_t @ q))
    q, _ = linalg.qr(np.asarray(a @ q), mode="economic", check_finite=False)
    q = np.ascontiguousarray(q)  # QR returns column-major; CSR products want rows
    # The SVD of q.T @ a, taken of its tall transpose: LAPACK factors a tall row-major block
    # 4x faster than the wide one (which it would copy into column order first).
    v_hat, singular, u_hat_t = linalg.svd(
        np.asarray(a_t @ q), full_matrices=False, lapack_driver="gesdd", check_finite=False
    )
    components = (q @ u_hat_t.T[:, :dims]).T if transpose else v_hat[:, :dims].T
    # scikit-learn's svd_flip(u_based_decision=False): each component's largest entry > 0.
    largest = components[np.arange(len(components)), np.argmax(np.abs(components), axis=1)]
    components = components * np.sign(largest)[:, None]
    return components, singular[:dims]


def _lu(block: np.ndarray) -> np.ndarray:
    lower, _ = linalg.lu(block, permute_l=True, check_finite=False)
    return np.asarray(lower)
