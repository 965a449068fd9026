"""The float64 references are themselves checked against plain loops on tiny sizes."""
import itertools

import numpy as np
import pytest

from reference.gemm_ref import gemm_ref, matmul_ref


def loop_gemm(a, b, c, trans_a, trans_b, alpha, beta):
    """C = alpha * op(A) op(B) + beta * C, one scalar at a time, straight from the definition."""
    m = a.shape[1] if trans_a else a.shape[0]
    k = a.shape[0] if trans_a else a.shape[1]
    n = b.shape[0] if trans_b else b.shape[1]
    out = [[0.0] * n for _ in range(m)]
    for i in range(m):
        for j in range(n):
            total = 0.0
            for p in range(k):
                aip = float(a[p, i] if trans_a else a[i, p])
                bpj = float(b[j, p] if trans_b else b[p, j])
                total += aip * bpj
            out[i][j] = alpha * total + (beta * float(c[i, j]) if beta != 0.0 else 0.0)
    return np.array(out, dtype=np.float64).reshape(m, n)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (3, 5, 4), (2, 7, 1), (4, 1, 6), (3, 2, 0), (0, 3, 2)])
@pytest.mark.parametrize("trans_a,trans_b", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (-1.5, 0.0), (0.5, 2.0), (0.0, -1.0)])
def test_gemm_ref_matches_loops(rng, m, n, k, trans_a, trans_b, alpha, beta):
    a = rng.standard_normal((k, m) if trans_a else (m, k))
    b = rng.standard_normal((n, k) if trans_b else (k, n))
    c = rng.standard_normal((m, n))
    expected = loop_gemm(a, b, c, trans_a, trans_b, alpha, beta)
    got = gemm_ref(a, b, c, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta)
    assert got.shape == (m, n) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_gemm_ref_beta_zero_ignores_nan_c(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    c = np.full((3, 5), np.nan)
    got = gemm_ref(a, b, c, beta=0.0)
    np.testing.assert_allclose(got, loop_gemm(a, b, np.zeros((3, 5)), False, False, 1.0, 0.0), rtol=1e-12)


def test_matmul_ref_matches_loops_with_broadcast(rng):
    a = rng.standard_normal((1, 2, 3))
    b = rng.standard_normal((4, 3, 5))
    got = matmul_ref(a, b)
    assert got.shape == (4, 2, 5)
    for i in range(4):
        expected = loop_gemm(a[0], b[i], None, False, False, 1.0, 0.0)
        np.testing.assert_allclose(got[i], expected, rtol=1e-12, atol=1e-12)
