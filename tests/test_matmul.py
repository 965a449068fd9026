"""ironnet.ops.matmul and the @ operator: 2-D, batched 3-D, and batch broadcasting."""
import numpy as np
import pytest

import ironnet
from ironnet.ops import matmul
from reference.gemm_ref import assert_gemm_close, gemm_atol, matmul_ref


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def small_ints(rng, shape):
    return rng.integers(-4, 5, size=shape).astype(np.float32)


def check(a, b):
    out = matmul(a, b)
    expected = matmul_ref(a, b)
    assert isinstance(out, ironnet.Tensor)
    assert out.shape == expected.shape and out.is_contiguous()
    assert_gemm_close(out, expected, gemm_atol(a, b, a.shape[-1]))
    return out


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (13, 17, 31), (97, 33, 300), (0, 4, 3), (3, 0, 5), (4, 6, 0)],
                         ids=lambda v: str(v))
def test_2d(rng, m, n, k):
    check(rand(rng, (m, k)), rand(rng, (k, n)))


# (a shape, b shape): equal batches, a batch of 1 or a 2-D operand on either side, and sizes on both
# sides of the "one small product per thread" cutoff (M*N*K < 128^3).
BATCHED = [
    ((3, 13, 17), (3, 17, 31)),
    ((7, 1, 5), (7, 5, 1)),
    ((5, 14, 300), (5, 300, 33)),
    ((2, 200, 130), (2, 130, 90)),
    ((1, 13, 17), (4, 17, 9)),
    ((4, 13, 17), (1, 17, 9)),
    ((13, 17), (6, 17, 9)),
    ((6, 13, 17), (17, 9)),
    ((3, 150, 140), (140, 131)),
    ((1, 5, 6), (1, 6, 7)),
]


@pytest.mark.parametrize("a_shape,b_shape", BATCHED, ids=lambda v: str(v))
def test_batched(rng, cpu_isa, num_threads, a_shape, b_shape):
    check(rand(rng, a_shape), rand(rng, b_shape))


@pytest.mark.parametrize("a_shape,b_shape", BATCHED, ids=lambda v: str(v))
def test_batched_small_integers_exact(rng, a_shape, b_shape):
    a, b = small_ints(rng, a_shape), small_ints(rng, b_shape)
    np.testing.assert_array_equal(np.asarray(matmul(a, b)), matmul_ref(a, b).astype(np.float32))


@pytest.mark.parametrize("a_shape,b_shape,out_shape", [
    ((0, 3, 4), (0, 4, 5), (0, 3, 5)),
    ((0, 3, 4), (1, 4, 5), (0, 3, 5)),
    ((1, 3, 4), (0, 4, 5), (0, 3, 5)),
    ((3, 4), (0, 4, 5), (0, 3, 5)),
    ((0, 3, 4), (4, 5), (0, 3, 5)),
    ((2, 0, 4), (2, 4, 5), (2, 0, 5)),
    ((2, 3, 0), (2, 0, 5), (2, 3, 5)),
], ids=str)
def test_empty_batches_and_dimensions(a_shape, b_shape, out_shape):
    a, b = np.ones(a_shape, np.float32), np.ones(b_shape, np.float32)
    out = matmul(a, b)
    assert out.shape == out_shape == np.matmul(a, b).shape
    np.testing.assert_array_equal(np.asarray(out), np.matmul(a, b))


def test_batched_transposed_views(rng, cpu_isa):
    """3-D views whose last two dimensions are swapped (column-major matrices inside each batch)."""
    a_store, b_store = rand(rng, (4, 37, 23)), rand(rng, (4, 41, 37))
    a, b = a_store.transpose(0, 2, 1), b_store.transpose(0, 2, 1)  # (4, 23, 37) @ (4, 37, 41)
    check(a, b)
    ta, tb = ironnet.tensor(a_store).transpose(1, 2), ironnet.tensor(b_store).transpose(1, 2)
    assert not ta.is_contiguous()
    assert_gemm_close(ta @ tb, matmul_ref(a, b), gemm_atol(a, b, 37))


def test_batched_with_shared_b_and_strided_a(rng, cpu_isa, num_threads):
    """A shared B with A rows not evenly stacked (a slice of a wider buffer) and with them stacked."""
    big = rand(rng, (5, 40, 70))
    a = big[:, 3:33, 5:65]  # (5, 30, 60), batch stride != rows * row stride
    b = rand(rng, (60, 19))
    check(a, b)
    check(np.ascontiguousarray(a), b)
    check(big[:, :, 5:65], b)


def test_batched_stride_zero_batch(rng):
    """A writable stride-0 batch dimension repeats one matrix."""
    one = rand(rng, (11, 13))
    a = np.lib.stride_tricks.as_strided(one, shape=(4, 11, 13), strides=(0, 52, 4))
    b = rand(rng, (4, 13, 7))
    check(a, b)


def test_matmul_operator(rng):
    a_np, b_np = rand(rng, (13, 31)), rand(rng, (31, 17))
    a, b = ironnet.tensor(a_np), ironnet.tensor(b_np)
    out = a @ b
    assert isinstance(out, ironnet.Tensor) and out.shape == (13, 17)
    assert_gemm_close(out, matmul_ref(a_np, b_np), gemm_atol(a_np, b_np, 31))
    # A NumPy right operand is viewed without copying, like everywhere else.
    assert_gemm_close(a @ b_np, matmul_ref(a_np, b_np), gemm_atol(a_np, b_np, 31))


def test_matmul_operator_batched(rng):
    a_np, b_np = rand(rng, (3, 5, 7)), rand(rng, (7, 2))
    out = ironnet.tensor(a_np) @ ironnet.tensor(b_np)
    assert out.shape == (3, 5, 2)
    assert_gemm_close(out, matmul_ref(a_np, b_np), gemm_atol(a_np, b_np, 7))


def test_matmul_of_transposed_tensor(rng):
    a_np = rand(rng, (29, 31))
    a = ironnet.tensor(a_np)
    assert_gemm_close(a.T @ a, matmul_ref(a_np.T, a_np), gemm_atol(a_np, a_np, 29))
    assert_gemm_close(a @ a.T, matmul_ref(a_np, a_np.T), gemm_atol(a_np, a_np, 31))
