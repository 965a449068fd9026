"""CUDA activations against the CPU: every pointwise activation and the softmax family, forward and
backward, over awkward sizes, the whole float range, wide rows and extreme values. Marked `cuda`:
skipped where no device is present."""
import functools

import numpy as np
import pytest

from cuda_parity import assert_cuda_matches_cpu, assert_grads_match, on_device, to_host
from ironnet import ops

pytestmark = pytest.mark.cuda

OPS = {
    "relu": ops.relu,
    "leaky_relu": ops.leaky_relu,
    "leaky_relu_0.3": functools.partial(ops.leaky_relu, negative_slope=0.3),
    "elu": ops.elu,
    "elu_0.5": functools.partial(ops.elu, alpha=0.5),
    "gelu": ops.gelu,
    "gelu_tanh": functools.partial(ops.gelu, approximate=True),
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
}
ROWWISE = ["softmax", "log_softmax"]
POINTWISE = [name for name in OPS if name not in ROWWISE]

# Both devices are within a few ulps of the float64 truth (libdevice on the GPU, the CPU's
# polynomials there): 1e-5 relative, plus an absolute floor for results near 0.
RTOL, ATOL = 1e-5, 1e-6

SHAPES = [(1,), (7,), (0,), (3, 0), (5, 1), (13, 17), (2, 3, 5, 7), (191, 211), ((1 << 20) + 7,)]


def rand(rng, shape, scale=3.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_backward_match_cpu(rng, name, shape):
    if name in ROWWISE and shape in [(0,)]:
        shape = (0, 4)
    assert_grads_match(OPS[name], [rand(rng, shape)], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", POINTWISE)
def test_dense_sweep_of_the_whole_range(name):
    """Underflow, the exp flush near -87, values near 0, saturation: forward and backward."""
    x = np.concatenate([np.linspace(-110.0, 40.0, 150001), np.linspace(-1e-3, 1e-3, 2001)]).astype(np.float32)
    assert_grads_match(OPS[name], [x], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", POINTWISE)
def test_special_values(name):
    x = np.array([0.0, -0.0, np.inf, -np.inf, 88.0, -88.0, 1e-30, -1e-30], np.float32)
    assert_cuda_matches_cpu(OPS[name], [x], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ROWWISE)
@pytest.mark.parametrize("cols", [1, 2, 31, 32, 33, 1000, 1024, 1025, 4099, 50000])
def test_rows_of_every_width(rng, name, cols):
    """Warp-per-row kernels up to 1024 columns, block-per-row above (50000: a vocabulary-wide row)."""
    rows = 3 if cols > 1024 else 37
    assert_grads_match(OPS[name], [rand(rng, (rows, cols))], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ROWWISE)
def test_many_rows(rng, name):
    """More rows than one grid-stride step covers of narrow rows, and of wide ones."""
    assert_grads_match(OPS[name], [rand(rng, (70001, 10))], rtol=RTOL, atol=ATOL)
    assert_cuda_matches_cpu(OPS[name], [rand(rng, (600, 1100))], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ROWWISE)
@pytest.mark.parametrize("cols", [5, 2000])
def test_extreme_rows_are_stable(name, cols):
    """Rows of 1e30 (and -1e30, and mixed): the max shift keeps every exp finite."""
    rows = np.stack([
        np.full(cols, 1e30, np.float32),
        np.full(cols, -1e30, np.float32),
        np.where(np.arange(cols) % 2 == 0, 1e30, -1e30).astype(np.float32),
        np.linspace(-1e4, 1e4, cols, dtype=np.float32),
    ])
    y = to_host(OPS[name](on_device(rows, "cuda")))
    assert np.isfinite(y).all()
    assert_cuda_matches_cpu(OPS[name], [rows], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ROWWISE)
def test_over_another_axis_and_on_strided_input(rng, name):
    x = rand(rng, (4, 9, 6))
    assert_grads_match(lambda t: OPS[name](t, axis=1), [x], rtol=RTOL, atol=ATOL)
    assert_grads_match(lambda t: OPS[name](t.transpose(0, 2)), [x], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", POINTWISE)
def test_strided_input(rng, name):
    assert_grads_match(lambda t: OPS[name](t.transpose(0, 1)), [rand(rng, (33, 65))], rtol=RTOL, atol=ATOL)


def test_softmax_rows_sum_to_one(rng):
    y = to_host(ops.softmax(on_device(rand(rng, (16, 50000), scale=10.0), "cuda")))
    np.testing.assert_allclose(y.astype(np.float64).sum(axis=1), 1.0, rtol=1e-5)


def test_mixed_devices_in_backward_are_refused_naming_the_op(rng):
    from ironnet import _C

    x, g = on_device(rand(rng, (2, 3)), "cuda"), on_device(rand(rng, (2, 3)), "cpu")
    with pytest.raises(ValueError, match=r"^relu_backward: tensors are on different devices: grad \(2, 3\) on cpu, "
                                         r"x \(2, 3\) on cuda"):
        _C.relu_backward(g._impl, x._impl)
    with pytest.raises(ValueError, match=r"^softmax_backward: tensors are on different devices"):
        _C.softmax_backward(g._impl, x._impl)
