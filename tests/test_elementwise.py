"""Native elementwise ops (the op entry points in cpp/ops/elementwise.cpp) against NumPy float64."""
import numpy as np
import pytest

import ironnet
from ironnet import _C


def impl(array):
    return ironnet.from_numpy(array)._impl


# Sizes around the SIMD width and the two-thread threshold (65,536 floats per thread).
@pytest.mark.parametrize("n", [0, 1, 15, 17, 1000, 131071, 300001])
@pytest.mark.parametrize("alpha", [1.0, -0.5])
def test_axpy_matches_reference(rng, num_threads, n, alpha):
    x = rng.uniform(-1, 1, n).astype(np.float32)
    y = rng.uniform(-1, 1, n).astype(np.float32)
    expected = y.astype(np.float64) + alpha * x.astype(np.float64)
    _C.axpy_(impl(y), impl(x), alpha)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


def test_axpy_reads_a_strided_x(rng):
    x = rng.uniform(-1, 1, (6, 8)).astype(np.float32)
    y = np.zeros((8, 6), np.float32)
    _C.axpy_(impl(y), impl(x.T), 2.0)
    np.testing.assert_array_equal(y, 2.0 * x.T)


def test_axpy_errors():
    y = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"axpy_: shapes differ: y \(2, 3\) and x \(3, 2\)"):
        _C.axpy_(impl(y), impl(np.zeros((3, 2), np.float32)))
    with pytest.raises(TypeError, match=r"axpy_: expected float32 tensors, got y \(2, 3\) float32 and x \(2, 3\) int32"):
        _C.axpy_(impl(y), impl(np.zeros((2, 3), np.int32)))
    with pytest.raises(ValueError, match=r"axpy_: y \(3, 2\) must be contiguous"):
        _C.axpy_(impl(y.T), impl(np.zeros((3, 2), np.float32)))
