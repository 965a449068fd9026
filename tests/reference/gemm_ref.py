"""NumPy float64 reference for GEMM: C = alpha * op(A) @ op(B) + beta * C, op(X) = X or X.T."""
from __future__ import annotations

from typing import Optional

import numpy as np


def gemm_ref(
    a: np.ndarray,
    b: np.ndarray,
    c: Optional[np.ndarray] = None,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
) -> np.ndarray:
    """a: (M, K) or (K, M) when trans_a; b: (K, N) or (N, K) when trans_b; c: (M, N) or None.

    Returns a new float64 (M, N) array. beta == 0 ignores c entirely (it may hold NaN), as BLAS does.
    """
    a64 = np.asarray(a, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    if trans_a:
        a64 = a64.T
    if trans_b:
        b64 = b64.T
    out = alpha * (a64 @ b64) if alpha != 0.0 else np.zeros((a64.shape[0], b64.shape[1]))
    if beta != 0.0:
        if c is None:
            raise ValueError("gemm_ref: beta != 0 needs c")
        out = out + beta * np.asarray(c, dtype=np.float64)
    return out


def matmul_ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b in float64 with NumPy's batch broadcasting: (M,K)@(K,N), (B,M,K)@(B,K,N), batch 1 broadcast."""
    return np.matmul(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def gemm_atol(a: np.ndarray, b: np.ndarray, k: int, alpha: float = 1.0, beta: float = 0.0,
              c: Optional[np.ndarray] = None) -> float:
    """Absolute tolerance for a float32 GEMM against the float64 reference: 1e-4 * sqrt(K) times the
    largest product magnitude (float32 rounding of a K-term sum grows like sqrt(K) for random data),
    plus the rounding of beta * c."""
    amax = float(np.max(np.abs(a))) if a.size else 0.0
    bmax = float(np.max(np.abs(b))) if b.size else 0.0
    cmax = float(np.max(np.abs(c))) if (c is not None and c.size and beta != 0.0) else 0.0
    return 1e-4 * max(k, 1) ** 0.5 * abs(alpha) * amax * bmax + 1e-5 * abs(beta) * cmax + 1e-30


def assert_gemm_close(actual, expected: np.ndarray, atol: float) -> None:
    """float32 result vs the float64 reference: rtol 1e-4 plus the K-scaled atol."""
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    assert actual.dtype == np.float32, actual.dtype
    np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=1e-4, atol=atol)
