"""CUDA elementwise family against the CPU: broadcasting binary ops, sum/mean/sum_to_shape,
concatenate, and their gradients. Marked `cuda`: skipped where no device is present."""
import numpy as np
import pytest

import ironnet
from cuda_parity import assert_cuda_matches_cpu, assert_grads_match, on_device, to_host
from ironnet import ops

pytestmark = pytest.mark.cuda

BINARY = {"add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div}


def rand(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def away_from_zero(rng, shape):
    """Divisors: magnitudes in [0.5, 2], either sign."""
    return (rand(rng, shape, 0.5, 2.0) * rng.choice([-1.0, 1.0], size=shape)).astype(np.float32)


def view(t, *, transpose=None, narrow=None):
    """A strided view of t: dimensions swapped and/or (dim, start, length) sliced, no copy."""
    if transpose is not None:
        t = t.transpose(*transpose)
    if narrow is not None:
        t = ironnet.Tensor(t._impl.narrow(*narrow))
    return t


# --- binary ops with broadcasting -------------------------------------------------------------------

SHAPES = [
    ((), ()),
    ((1,), (1,)),
    ((7,), (7,)),
    ((0,), (0,)),
    ((3, 0), (1,)),
    ((13, 1), (1, 17)),
    ((3, 1, 5), (4, 1)),
    ((2, 3, 4, 5), (5,)),
    ((2, 3, 4, 5), (3, 1, 1)),
    ((1, 6, 1, 4, 1), (5, 1, 3, 1, 2)),
    ((257, 31), ()),
    (((1 << 20) + 3,), ((1 << 20) + 3,)),
    ((1031, 1029), (1029,)),
]


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shape_a, shape_b", SHAPES)
def test_binary_broadcasting_matches_cpu(rng, name, shape_a, shape_b):
    a = rand(rng, shape_a)
    b = away_from_zero(rng, shape_b) if name == "div" else rand(rng, shape_b)
    assert_cuda_matches_cpu(BINARY[name], [a, b])
    assert_cuda_matches_cpu(BINARY[name], [b, a] if name != "div" else [away_from_zero(rng, shape_a), b])


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize("shape_a, shape_b", [((3, 1, 5), (4, 1)), ((13, 1), (1, 17)), ((6, 5), (5,)), ((2, 3), ())])
def test_binary_gradients_match_cpu(rng, name, shape_a, shape_b):
    """The backward reduces over the broadcast dimensions (sum_to_shape), div's through -a/b^2."""
    b = away_from_zero(rng, shape_b) if name == "div" else rand(rng, shape_b)
    assert_grads_match(BINARY[name], [rand(rng, shape_a), b])


def test_binary_on_transposed_and_sliced_views(rng):
    a, b = rand(rng, (37, 41)), rand(rng, (41, 37))
    assert_cuda_matches_cpu(lambda x, y: ops.add(view(x, transpose=(0, 1)), y), [a, b])
    assert_cuda_matches_cpu(lambda x, y: ops.mul(view(x, narrow=(1, 3, 29)), view(y, transpose=(0, 1), narrow=(1, 5, 29))),
                            [a, b])
    c = rand(rng, (5, 3, 7, 2))
    assert_cuda_matches_cpu(lambda x: ops.sub(view(x, transpose=(0, 3)), view(x, transpose=(0, 3))), [c])
    assert_cuda_matches_cpu(lambda x, y: ops.div(view(x, transpose=(1, 2)), y), [c, away_from_zero(rng, (7, 1, 2))])


def test_binary_on_a_misaligned_contiguous_view(rng):
    """x[1:] is contiguous but 4 bytes past a 16-byte boundary: the float4 path must not take it."""
    a, b = rand(rng, (1003,)), rand(rng, (1000,))
    assert_cuda_matches_cpu(lambda x, y: ops.add(view(x, narrow=(0, 1, 1000)), y), [a, b])
    assert_cuda_matches_cpu(lambda x, y: ops.mul(y, view(x, narrow=(0, 3, 1000))), [a, b])


def test_binary_with_a_python_scalar(rng):
    a = rand(rng, (5, 9))
    assert_cuda_matches_cpu(lambda x: x * 2.5, [a])
    assert_cuda_matches_cpu(lambda x: 1.0 - x, [a])
    assert_cuda_matches_cpu(lambda x: ops.neg(x), [a])


def test_binary_special_values_pass_as_on_the_cpu():
    a = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3e38], np.float32)
    b = np.array([0.0, 0.0, 0.0, -0.0, np.inf, 2.0, 1.0, 10.0], np.float32)
    for name, fn in BINARY.items():
        cpu = to_host(fn(on_device(a, "cpu"), on_device(b, "cpu")))
        gpu = to_host(fn(on_device(a, "cuda"), on_device(b, "cuda")))
        np.testing.assert_array_equal(gpu, cpu, err_msg=name)  # IEEE results, bit for bit (NaN == NaN here)


def test_binary_more_than_eight_unmergeable_dimensions_is_a_clear_error(rng):
    """Nine dimensions that no merging can join (every other one swapped) exceed the CUDA indexer."""
    x = on_device(rand(rng, (2,) * 10), "cuda")
    for d in range(0, 10, 2):
        x = x.transpose(d, d + 1)
    with pytest.raises(ValueError, match=r"add on cuda: at most 8 dimensions"):
        ops.add(x, x)


def test_mixed_devices_are_refused_naming_the_op(rng):
    a, b = on_device(rand(rng, (2, 3)), "cuda"), on_device(rand(rng, (2, 3)), "cpu")
    for name, fn in BINARY.items():
        with pytest.raises(ValueError, match=rf"^{name}: tensors are on different devices: a \(2, 3\) on cuda, "
                                             r"b \(2, 3\) on cpu"):
            fn(a, b)
    with pytest.raises(ValueError, match=r"^concatenate: tensor 1 \(2, 3\) is on cpu but tensor 0 \(2, 3\) is on cuda"):
        ops.concatenate([a, b], 0)
    with pytest.raises(ValueError, match=r"^axpy_: tensors are on different devices"):
        ironnet._C.axpy_(a._impl, b._impl, 1.0)


# --- reductions ---------------------------------------------------------------------------------------

REDUCTIONS = [
    ((7,), None, False),
    ((1,), 0, True),
    ((5, 3), 0, False),
    ((5, 3), 1, True),
    ((5, 3), (0, 1), False),
    ((4, 1, 6), (0, 2), True),
    ((2, 3, 4, 5), (1, 3), False),
    ((2, 3, 4, 5), (-1, 0), True),
    ((2, 3, 4, 5), None, True),
    ((131, 257), 1, False),        # rows: one block per output
    ((257, 131), 0, False),        # columns: one thread per output
    ((3, 100003), 1, False),       # few long rows: the reduced range is split, partials added in order
    ((300001, 3), 0, False),       # bias gradient: few outputs, many rows, split columns
    (((1 << 21) + 5,), None, False),  # one long sum over more than 2^21 elements
    ((1000, 1000), None, False),
    ((64, 3, 50), (0, 2), False),
]


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("shape, axis, keepdims", REDUCTIONS)
def test_reductions_match_cpu(rng, op, shape, axis, keepdims):
    """Both devices accumulate in double: the float results agree to a few ulps even over 2^21 terms."""
    x = rand(rng, shape, 0.0, 1.0)
    fn = getattr(ops, op)
    assert_cuda_matches_cpu(lambda t: fn(t, axis, keepdims), [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reduction_gradients_match_cpu(rng, op):
    fn = getattr(ops, op)
    assert_grads_match(lambda t: fn(t, (0, 2), True), [rand(rng, (4, 3, 5))])
    assert_grads_match(lambda t: fn(t), [rand(rng, (6, 7))])


def test_reductions_of_strided_views(rng):
    x = rand(rng, (7, 1001, 3))
    assert_cuda_matches_cpu(lambda t: ops.sum(view(t, transpose=(0, 2)), 1), [x])
    assert_cuda_matches_cpu(lambda t: ops.sum(view(t, narrow=(1, 1, 999)), (0, 1)), [x])
    assert_cuda_matches_cpu(lambda t: ops.mean(view(t, transpose=(1, 2)), None), [x])


@pytest.mark.parametrize("shape, axis", [((0,), None), ((0, 4), 0), ((3, 0), 1), ((3, 0), 0), ((2, 0, 5), (0, 1))])
def test_empty_reductions_match_cpu(shape, axis):
    """An empty sum is 0 and an empty mean NaN, as on the CPU (and in NumPy)."""
    x = np.zeros(shape, np.float32)
    for op in ("sum", "mean"):
        cpu = to_host(getattr(ops, op)(on_device(x, "cpu"), axis))
        gpu = to_host(getattr(ops, op)(on_device(x, "cuda"), axis))
        assert gpu.shape == cpu.shape
        np.testing.assert_array_equal(gpu, cpu, err_msg=op)


@pytest.mark.parametrize("shape, target, scale", [
    ((3, 4, 5), (4, 5), 1.0),
    ((3, 4, 5), (4, 1), -1.0),
    ((3, 4, 5), (1, 1, 5), 0.5),
    ((300001, 3), (3,), 2.0),
    ((6, 7), (6, 7), 3.0),
    ((6, 7), (6, 7), 1.0),
    ((0, 7), (7,), 1.0),
])
def test_sum_to_shape_matches_cpu(rng, shape, target, scale):
    x = rand(rng, shape)
    assert_cuda_matches_cpu(lambda t: ironnet.Tensor(ironnet._C.sum_to_shape(t._impl, target, scale)), [x])


def test_reductions_are_deterministic(rng):
    x = on_device(rand(rng, (3, 1 << 20)), "cuda")
    first = to_host(ops.sum(x, 1))
    for _ in range(3):
        np.testing.assert_array_equal(to_host(ops.sum(x, 1)), first)


# --- concatenate --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shapes, axis", [
    ([(3,), (5,)], 0),
    ([(2, 3), (4, 3), (1, 3)], 0),
    ([(2, 3), (2, 1), (2, 7)], 1),
    ([(2, 3, 4), (2, 5, 4)], 1),
    ([(2, 3, 4), (2, 3, 1), (2, 3, 6)], -1),
    ([(2, 0, 4), (2, 3, 4)], 1),
    ([(0, 3), (0, 3)], 0),
    ([(1, 1)], 0),
    ([(1031, 17), (1031, 1)], 1),
])
def test_concatenate_matches_cpu(rng, shapes, axis):
    arrays = [rand(rng, s) for s in shapes]
    assert_cuda_matches_cpu(lambda *ts: ops.concatenate(list(ts), axis), arrays, rtol=0, atol=0)


def test_concatenate_gradients_and_views(rng):
    a, b = rand(rng, (3, 4)), rand(rng, (3, 2))
    assert_grads_match(lambda x, y: ops.concatenate([x, y], 1), [a, b])
    c = rand(rng, (4, 3))
    assert_cuda_matches_cpu(lambda x, y: ops.concatenate([x, view(y, transpose=(0, 1))], 1), [a, c], rtol=0, atol=0)


def test_concatenate_integers(rng):
    a = rng.integers(-5, 5, size=(2, 3)).astype(np.int64)
    b = rng.integers(-5, 5, size=(2, 2)).astype(np.int32)
    for arrays in ([a, a], [b, b]):
        cpu = to_host(ops.concatenate([on_device(x, "cpu") for x in arrays], 1))
        gpu = to_host(ops.concatenate([on_device(x, "cuda") for x in arrays], 1))
        np.testing.assert_array_equal(gpu, cpu)
        assert gpu.dtype == arrays[0].dtype
