"""Pooling on CUDA against the CPU (tests/cuda_parity.py): max (with its argmax, ties and NaNs) and average
2-D pooling in 'valid' and 'same' padding, global pooling, the 1-D wrappers, forward and gradients, empty
sizes, and mixed devices refused. The windows cover overlapping (stride < pool) and skipping (stride > pool)
strides, non-square pools, windows clipped by padding on every side, and channel counts 1, 3, 17, 64."""
from __future__ import annotations

import numpy as np
import pytest

import ironnet
from cuda_parity import assert_cuda_matches_cpu, assert_grads_match, on_device, to_host
from ironnet import ops

pytestmark = pytest.mark.cuda

# (x shape (N, H, W, C), pool, strides, padding)
CASES = [
    ((2, 4, 4, 3), (2, 2), (2, 2), "valid"),
    ((1, 7, 9, 17), (2, 2), (2, 2), "valid"),
    ((5, 7, 9, 1), (3, 3), (2, 2), "same"),
    ((2, 8, 8, 17), (3, 3), (2, 2), "same"),
    ((1, 6, 5, 3), (3, 3), (1, 1), "valid"),
    ((2, 5, 6, 17), (3, 2), (1, 1), "same"),
    ((1, 9, 11, 64), (2, 3), (3, 2), "valid"),
    ((2, 10, 7, 3), (2, 2), (3, 3), "valid"),
    ((1, 5, 5, 3), (4, 4), (3, 3), "same"),
    ((1, 3, 3, 17), (1, 1), (2, 2), "same"),
    ((5, 1, 1, 3), (2, 2), (2, 2), "same"),
    ((2, 1, 13, 3), (1, 4), (1, 3), "same"),
    ((8, 33, 31, 64), (3, 3), (2, 2), "same"),  # 134k outputs: many blocks
]
IDS = [f"{'x'.join(map(str, s))}-p{p[0]}{p[1]}-s{st[0]}{st[1]}-{pad}" for s, p, st, pad in CASES]


def distinct(rng, shape):
    """float32 values with no ties, so every window's maximum is unambiguous."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0).astype(np.float32)


def ties(rng, shape):
    """Small integers: many ties, which must go to the first maximum of the window on both devices."""
    return rng.integers(-2, 3, shape).astype(np.float32)


def _max_with_argmax(pool, strides, padding):
    def max_pool2d(x):
        y, argmax = ironnet._C.max_pool2d(x._impl, pool, strides, padding)
        return ironnet.Tensor(y), ironnet.Tensor(argmax)

    return max_pool2d


@pytest.mark.parametrize("shape,pool,strides,padding", CASES, ids=IDS)
def test_max_pool2d(rng, shape, pool, strides, padding):
    for x in (distinct(rng, shape), ties(rng, shape)):
        assert_cuda_matches_cpu(_max_with_argmax(pool, strides, padding), [x], rtol=0, atol=0)
    assert_grads_match(lambda x: ops.max_pool2d(x, pool, strides, padding), [distinct(rng, shape)], rtol=1e-6,
                       atol=1e-6)


@pytest.mark.parametrize("shape,pool,strides,padding", CASES, ids=IDS)
def test_max_pool2d_backward_with_ties(rng, shape, pool, strides, padding):
    """The gradient of tied windows goes to the same (first) element on both devices."""
    x = ties(rng, shape)
    dy = rng.uniform(-1, 1, ops.max_pool2d(x, pool, strides, padding).shape).astype(np.float32)
    results = []
    for device in ("cpu", "cuda"):
        _, argmax = ironnet._C.max_pool2d(on_device(x, device)._impl, pool, strides, padding)
        dx = ironnet._C.max_pool2d_backward(on_device(dy, device)._impl, argmax, list(shape), pool, strides, padding)
        results.append(to_host(ironnet.Tensor(dx)))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,pool,strides,padding", CASES, ids=IDS)
def test_avg_pool2d(rng, shape, pool, strides, padding):
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    fn = lambda x: ops.avg_pool2d(x, pool, strides, padding)  # noqa: E731
    assert_cuda_matches_cpu(fn, [x], rtol=1e-6, atol=1e-6)
    assert_grads_match(fn, [x], rtol=1e-5, atol=1e-6)


def test_max_pool2d_nan_wins(rng):
    x = rng.uniform(-1, 1, (2, 6, 6, 3)).astype(np.float32)
    x[0, 1, 1, 0] = x[1, 4, 5, 2] = x[1, 4, 4, 2] = np.nan
    assert_cuda_matches_cpu(_max_with_argmax((3, 3), (2, 2), "same"), [x], rtol=0, atol=0)


GLOBAL_SHAPES = [(1, 1, 1, 1), (5, 7, 9, 17), (2, 1, 13, 3), (3, 14, 14, 64), (4, 32, 30, 5)]


@pytest.mark.parametrize("shape", GLOBAL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_global_pooling(rng, shape):
    x = distinct(rng, shape)

    def global_max_pool2d(x):
        y, argmax = ironnet._C.global_max_pool2d(x._impl)
        return ironnet.Tensor(y), ironnet.Tensor(argmax)

    assert_cuda_matches_cpu(global_max_pool2d, [x], rtol=0, atol=0)
    assert_cuda_matches_cpu(global_max_pool2d, [ties(rng, shape)], rtol=0, atol=0)
    for keepdims in (False, True):
        assert_grads_match(lambda x: ops.global_max_pool2d(x, keepdims), [x], rtol=1e-6, atol=1e-6)
        assert_grads_match(lambda x: ops.global_avg_pool2d(x, keepdims), [x], rtol=1e-5, atol=1e-5)


def test_pooling_1d(rng):
    x = rng.uniform(-1, 1, (3, 17, 5)).astype(np.float32)
    for fn in (lambda x: ops.max_pool1d(x, 3, 2, "same"), lambda x: ops.avg_pool1d(x, 4, 3, "valid"),
               lambda x: ops.global_max_pool1d(x), lambda x: ops.global_avg_pool1d(x, keepdims=True)):
        assert_grads_match(fn, [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(0, 5, 5, 3), (2, 5, 5, 0)], ids=["batch0", "channels0"])
def test_empty_batch_and_channels(shape):
    x = np.zeros(shape, np.float32)
    assert_cuda_matches_cpu(_max_with_argmax((3, 3), (2, 2), "same"), [x])
    assert_cuda_matches_cpu(lambda x: ops.avg_pool2d(x, 3, 2, "same"), [x])
    dy = on_device(np.zeros((shape[0], 3, 3, shape[3]), np.float32), "cuda")
    argmax = on_device(np.zeros((shape[0], 3, 3, shape[3]), np.int32), "cuda")
    dx = ironnet._C.max_pool2d_backward(dy._impl, argmax._impl, list(shape), (3, 3), (2, 2), "same")
    assert ironnet.Tensor(dx).shape == shape
    dx = ironnet._C.avg_pool2d_backward(dy._impl, list(shape), (3, 3), (2, 2), "same")
    assert ironnet.Tensor(dx).shape == shape


def test_mixed_devices_are_refused(rng):
    x = on_device(distinct(rng, (2, 6, 6, 3)), "cuda")
    y, argmax = ironnet._C.max_pool2d(x._impl, (2, 2), (2, 2), "valid")
    dy_cpu = on_device(np.zeros((2, 3, 3, 3), np.float32), "cpu")
    with pytest.raises(ValueError, match=r"^max_pool2d_backward: tensors are on different devices: "
                                         r"dy \(2, 3, 3, 3\) on cpu, argmax \(2, 3, 3, 3\) on cuda"):
        ironnet._C.max_pool2d_backward(dy_cpu._impl, argmax, [2, 6, 6, 3], (2, 2), (2, 2), "valid")
    _, global_argmax = ironnet._C.global_max_pool2d(x._impl)
    with pytest.raises(ValueError, match=r"^global_max_pool2d_backward: tensors are on different devices"):
        ironnet._C.global_max_pool2d_backward(on_device(np.zeros((2, 3), np.float32), "cpu")._impl, global_argmax,
                                              [2, 6, 6, 3])
