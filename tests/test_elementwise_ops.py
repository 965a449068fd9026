"""Broadcasting elementwise ops, reductions, reshape and concatenate (ironnet.ops) against float64
references, forward and backward; the references themselves against finite differences."""
import numpy as np
import pytest

import ironnet
from ironnet import ops
from reference.elementwise_ref import (
    binary_grads_ref,
    binary_ref,
    concatenate_grads_ref,
    reduce_grad_ref,
    reduce_ref,
)
from reference.matmul_grad_ref import finite_difference

# (a shape, b shape): equal shapes of rank 0..4, sizes 1, primes and 0, and every broadcast
# pattern: scalar, row (bias add), column, missing leading dims, both sides stretched.
BROADCAST_CASES = [
    ((), ()),
    ((1,), (1,)),
    ((7,), (7,)),
    ((13, 7), (13, 7)),
    ((2, 3, 5, 7), (2, 3, 5, 7)),
    ((0,), (0,)),
    ((0, 3), (3,)),
    ((4, 0), (1,)),
    ((), (5, 3)),
    ((5, 3), ()),
    ((11,), (1,)),
    ((13, 7), (7,)),
    ((7,), (13, 7)),
    ((13, 7), (13, 1)),
    ((1, 7), (13, 7)),
    ((3, 1), (1, 4)),
    ((1, 4), (3, 1)),
    ((2, 3, 5), (5,)),
    ((2, 3, 5), (3, 1)),
    ((2, 1, 5), (1, 3, 1)),
    ((2, 3, 4, 5), (3, 1, 5)),
    ((1, 3, 1, 5), (2, 1, 4, 1)),
    ((2, 3, 4, 5), (2, 1, 1, 1)),
]

OPS = ["add", "sub", "mul", "div"]
OPERATORS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b}


def rand(rng, shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def operands(rng, op, a_shape, b_shape):
    a = rand(rng, a_shape)
    # Divisors kept away from zero so float32 and float64 agree to rtol 1e-5.
    b = rand(rng, b_shape, 0.5, 2.0) * np.where(rng.random(b_shape) < 0.5, -1, 1).astype(np.float32)
    return a, (b if op == "div" else rand(rng, b_shape))


def leaf(array):
    return ironnet.tensor(array, requires_grad=True)


# --- the references ------------------------------------------------------------------------------
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a_shape,b_shape", [((2, 3), (3,)), ((3, 1), (1, 2)), ((), (2, 2)), ((2, 1, 2), (2, 1))])
def test_binary_reference_matches_finite_differences(rng, op, a_shape, b_shape):
    a = rng.uniform(0.5, 1.5, a_shape)
    b = rng.uniform(0.5, 1.5, b_shape)
    g = rng.standard_normal(np.broadcast_shapes(a_shape, b_shape))
    da, db = binary_grads_ref(op, a, b, g)
    fa = finite_difference(lambda x: np.sum(g * binary_ref(op, x, b)), np.array(a, dtype=np.float64))
    fb = finite_difference(lambda x: np.sum(g * binary_ref(op, a, x)), np.array(b, dtype=np.float64))
    np.testing.assert_allclose(da, fa, atol=1e-6)
    np.testing.assert_allclose(db, fb, atol=1e-6)


@pytest.mark.parametrize("kind", ["sum", "mean"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, True), (-1, False), ((0, 2), False), ((1,), True)])
def test_reduce_reference_matches_finite_differences(rng, kind, axis, keepdims):
    x = rng.standard_normal((2, 3, 4))
    g = rng.standard_normal(reduce_ref(kind, x, axis, keepdims).shape)
    f = finite_difference(lambda v: np.sum(g * reduce_ref(kind, v, axis, keepdims)), x.copy())
    np.testing.assert_allclose(reduce_grad_ref(kind, x, axis, keepdims, g), f, atol=1e-6)


def test_concatenate_reference_matches_finite_differences(rng):
    parts = [rng.standard_normal((2, n, 3)) for n in (1, 3, 2)]
    g = rng.standard_normal((2, 6, 3))
    grads = concatenate_grads_ref([p.shape for p in parts], 1, g)
    for i, part in enumerate(parts):

        def f(v, i=i):
            joined = list(parts)
            joined[i] = v
            return np.sum(g * np.concatenate(joined, axis=1))

        np.testing.assert_allclose(grads[i], finite_difference(f, part.copy()), atol=1e-6)


# --- binary ops ----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a_shape,b_shape", BROADCAST_CASES)
def test_binary_forward_and_backward(rng, num_threads, op, a_shape, b_shape):
    a_np, b_np = operands(rng, op, a_shape, b_shape)
    a, b = leaf(a_np), leaf(b_np)
    out = getattr(ops, op)(a, b)
    expected = binary_ref(op, a_np, b_np)
    assert out.shape == expected.shape and out.is_contiguous()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)
    assert out.grad_fn.name == op.capitalize()
    g_np = rand(rng, expected.shape)
    out.backward(ironnet.tensor(g_np))
    da, db = binary_grads_ref(op, a_np, b_np, g_np)
    # Summing a broadcast gradient adds float32 terms: the tolerance grows with the count.
    count = max(expected.size // max(a_np.size, 1), expected.size // max(b_np.size, 1), 1)
    atol = 1e-6 * np.sqrt(count) * (4 if op == "div" else 1)
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    np.testing.assert_allclose(a.grad.numpy(), da, rtol=1e-5, atol=atol)
    np.testing.assert_allclose(b.grad.numpy(), db, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a_shape,b_shape", [((300001,), (300001,)), ((1031, 257), (257,)), ((257, 1031), (257, 1)),
                                             ((3, 1, 40009), (1, 5, 1)), ((40009,), ())])
def test_binary_large_crosses_thread_threshold(rng, num_threads, op, a_shape, b_shape):
    a_np, b_np = operands(rng, op, a_shape, b_shape)
    out = getattr(ops, op)(ironnet.tensor(a_np), ironnet.tensor(b_np))
    np.testing.assert_allclose(out.numpy(), binary_ref(op, a_np, b_np), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", OPS)
def test_binary_reads_strided_views(rng, op):
    a_np, b_np = operands(rng, op, (6, 9, 4), (4, 9))
    a_view, b_view = a_np.transpose(2, 1, 0)[:, ::2, :], b_np[:, ::2]  # (4, 5, 6) and (4, 5)
    b_view = b_view[:, :, None]  # (4, 5, 1): stretched along the last axis
    out = getattr(ops, op)(ironnet.from_numpy(a_view), ironnet.from_numpy(b_view))
    np.testing.assert_allclose(out.numpy(), binary_ref(op, a_view, b_view), rtol=1e-6, atol=1e-7)


def test_operators_and_python_scalars(rng):
    x_np = rand(rng, (3, 4)) + 2.0
    x = leaf(x_np)
    x64 = x_np.astype(np.float64)
    cases = [
        (x + 2, x64 + 2), (2 + x, 2 + x64), (x - 1.5, x64 - 1.5), (1.5 - x, 1.5 - x64),
        (x * 3, x64 * 3), (3 * x, 3 * x64), (x / 4, x64 / 4), (4 / x, 4 / x64), (-x, -x64),
        (x + x_np[0], x64 + x64[0]),
    ]
    for got, expected in cases:
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)
    y = (2 - x) * (x / 4) + -x
    y.sum().backward()
    # d/dx [(2 - x) x / 4 - x] = (2 - 2x) / 4 - 1
    np.testing.assert_allclose(x.grad.numpy(), (2 - 2 * x64) / 4 - 1, rtol=1e-5, atol=1e-6)


def test_same_tensor_on_both_sides(rng):
    x_np = rand(rng, (5, 3))
    x = leaf(x_np)
    (x * x + x / (x * x + 1.0)).sum().backward()
    x64 = x_np.astype(np.float64)
    expected = 2 * x64 + (1 - x64 ** 2) / (x64 ** 2 + 1) ** 2
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)
    y = leaf(x_np)
    h = y - 1.0
    (h + h - y).mean(axis=0).sum().backward()  # one gradient reaching the same tensor twice
    np.testing.assert_allclose(y.grad.numpy(), np.full((5, 3), 1 / 5), rtol=1e-6)


def test_no_graph_without_requires_grad(rng):
    a, b = ironnet.tensor(rand(rng, (2, 3))), leaf(rand(rng, (3,)))
    assert (a + a).grad_fn is None and not (a * 2).requires_grad
    with ironnet.no_grad():
        assert (a + b).grad_fn is None
    assert (a + b).grad_fn.name == "Add"


# --- reductions ----------------------------------------------------------------------------------
REDUCE_CASES = [
    ((), None, False),
    ((), (), True),
    ((1,), None, False),
    ((7,), 0, True),
    ((0,), None, False),
    ((0, 3), 0, False),
    ((3, 0), 1, True),
    ((13, 7), None, False),
    ((13, 7), 0, False),
    ((13, 7), 1, True),
    ((13, 7), -1, False),
    ((2, 3, 5), (0, 2), False),
    ((2, 3, 5), (2, 0), True),
    ((2, 3, 5, 7), (1, 3), False),
    ((2, 3, 5, 7), (0, 1, 2, 3), True),
    ((2, 1, 5, 7), (1,), False),
    ((3, 600), 0, False),  # more outputs than one accumulator tile
]


@pytest.mark.parametrize("kind", ["sum", "mean"])
@pytest.mark.parametrize("shape,axis,keepdims", REDUCE_CASES)
def test_reduce_forward_and_backward(rng, num_threads, kind, shape, axis, keepdims):
    x_np = rand(rng, shape)
    x = leaf(x_np)
    out = getattr(x, kind)(axis=axis, keepdims=keepdims)
    expected = reduce_ref(kind, x_np, axis, keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    if x_np.size == 0 and kind == "mean":
        return  # NaN outputs: nothing to differentiate
    g_np = rand(rng, expected.shape)
    out.backward(ironnet.tensor(g_np))
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), reduce_grad_ref(kind, x_np, axis, keepdims, g_np), rtol=1e-6, atol=1e-7)


def test_reductions_accept_numpy_arrays(rng):
    x_np = rand(rng, (3, 5))
    np.testing.assert_allclose(ops.sum(x_np, 1).numpy(), reduce_ref("sum", x_np, 1, False), rtol=1e-6)
    np.testing.assert_allclose(ops.mean(x_np).numpy(), reduce_ref("mean", x_np, None, False), rtol=1e-6)


def test_mean_of_nothing_is_nan():
    assert np.isnan(ops.mean(ironnet.zeros((0, 3))).numpy())
    np.testing.assert_array_equal(ops.sum(ironnet.zeros((0, 3)), axis=0).numpy(), np.zeros(3))


@pytest.mark.parametrize("shape,axis", [((10 ** 6,), None), ((1000, 1000), 0), ((1000, 1000), 1), ((1000, 1000), None),
                                        ((250, 4000), (0, 1))])
def test_large_sums_are_accurate(rng, num_threads, shape, axis):
    # All positive, so float32 running sums would drift far past rtol 1e-5.
    x_np = rand(rng, shape, 0.0, 1.0)
    np.testing.assert_allclose(ops.sum(ironnet.tensor(x_np), axis).numpy(), reduce_ref("sum", x_np, axis, False),
                               rtol=1e-5)
    np.testing.assert_allclose(ops.mean(ironnet.tensor(x_np), axis).numpy(), reduce_ref("mean", x_np, axis, False),
                               rtol=1e-5)


def test_reduce_reads_strided_views(rng):
    x_np = rand(rng, (6, 8, 5))
    view = x_np.transpose(2, 0, 1)[:, ::2, 1:]  # (5, 3, 7)
    for axis in [None, 0, 1, 2, (0, 2), (1, 2)]:
        got = ops.sum(ironnet.from_numpy(view), axis).numpy()
        np.testing.assert_allclose(got, reduce_ref("sum", view, axis, False), rtol=1e-5, atol=1e-6)
    # Summed dimensions are reordered by stride: permuted views, and stride-0 (expanded) ones.
    permuted = rand(rng, (30, 40, 50)).transpose(2, 0, 1)
    for axis in [None, (0, 2), (1, 2), (0, 1), (2, 0)]:
        got = ops.sum(ironnet.from_numpy(permuted), axis).numpy()
        np.testing.assert_allclose(got, reduce_ref("sum", permuted, axis, False), rtol=1e-5, atol=1e-5)
    row = rand(rng, (1, 7))
    stretched = ironnet.Tensor(ironnet.from_numpy(row)._impl.expand([5, 3, 7]))
    assert stretched.strides == (0, 0, 1)
    for axis in [None, 0, (0, 1), 2, (1, 2)]:
        got = ops.sum(stretched, axis).numpy()
        np.testing.assert_allclose(got, reduce_ref("sum", np.broadcast_to(row, (5, 3, 7)), axis, False), rtol=1e-5)


@pytest.mark.parametrize("x_shape,shape", [((2, 3, 4, 5), (3, 1, 5)), ((2, 3), ()), ((2, 3), (1,)), ((4, 5), (4, 5)),
                                           ((4, 5), (1, 1)), ((7, 1), (1,)), ((0, 3), (3,))])
def test_sum_to_shape(rng, x_shape, shape):
    from reference.elementwise_ref import unbroadcast

    x_np = rand(rng, x_shape)
    x = ironnet.tensor(x_np)
    got = ironnet._C.sum_to_shape(x._impl, shape)
    assert got.shape == shape
    np.testing.assert_allclose(np.asarray(memoryview(got)), unbroadcast(x_np.astype(np.float64), shape),
                               rtol=1e-5, atol=1e-6)
    scaled = np.asarray(memoryview(ironnet._C.sum_to_shape(x._impl, shape, -0.5)))
    np.testing.assert_allclose(scaled, -0.5 * unbroadcast(x_np.astype(np.float64), shape), rtol=1e-5, atol=1e-6)


# --- reshape and concatenate ---------------------------------------------------------------------
def test_reshape_views_contiguous_and_copies_strided(rng):
    x_np = rand(rng, (4, 6))
    x = ironnet.from_numpy(x_np)
    v = x.reshape(3, -1)
    assert v.shape == (3, 8) and v._impl.shares_memory_with(x._impl)
    np.testing.assert_array_equal(v.numpy(), x_np.reshape(3, 8))
    assert x.reshape((24,)).shape == (24,) and x.reshape([2, 3, 4]).shape == (2, 3, 4)
    assert ironnet.tensor(np.float32(3)).reshape(1, 1).shape == (1, 1)
    assert ironnet.zeros((0, 4)).reshape(-1, 2).shape == (0, 2)
    t = x.T.reshape(-1)
    assert not t._impl.shares_memory_with(x._impl)
    np.testing.assert_array_equal(t.numpy(), x_np.T.reshape(-1))


def test_reshape_backward(rng):
    x_np = rand(rng, (4, 6))
    x = leaf(x_np)
    y = (x.T.reshape(2, 12) * 3.0).reshape(-1)
    g = rand(rng, (24,))
    y.backward(ironnet.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), 3.0 * g.reshape(2, 12).reshape(6, 4).T, rtol=1e-6)


@pytest.mark.parametrize("shapes,axis", [([(2, 3), (4, 3)], 0), ([(2, 1), (2, 5), (2, 0), (2, 2)], 1),
                                         ([(3, 2, 4), (3, 1, 4)], -2), ([(5,)], 0), ([(0, 2), (0, 2)], 0),
                                         ([(2, 3, 1, 4)] * 3, 2)])
def test_concatenate_forward_and_backward(rng, shapes, axis):
    parts = [rand(rng, s) for s in shapes]
    leaves = [leaf(p) for p in parts]
    out = ops.concatenate(leaves, axis)
    expected = np.concatenate(parts, axis=axis)
    assert out.shape == expected.shape and out.is_contiguous()
    np.testing.assert_array_equal(out.numpy(), expected)
    g = rand(rng, expected.shape)
    out.backward(ironnet.tensor(g))
    for t, expect in zip(leaves, concatenate_grads_ref(shapes, axis % expected.ndim, g)):
        np.testing.assert_array_equal(t.grad.numpy(), expect)


def test_concatenate_other_dtypes_and_strided_inputs(rng):
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    out = ops.concatenate([ironnet.from_numpy(a), ironnet.from_numpy(a.T.copy().T)], 1)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, a], axis=1))
    f = rand(rng, (4, 5))
    out = ops.concatenate([ironnet.from_numpy(f.T), ironnet.from_numpy(f[:, ::2].T)], 0)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([f.T, f[:, ::2].T], axis=0))


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", OPS)
def test_binary_errors(op):
    a, b = ironnet.zeros((2, 3)), ironnet.zeros((4,))
    with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(4,\) cannot be broadcast together"):
        getattr(ops, op)(a, b)
    with pytest.raises(ValueError, match=rf"{op}: shapes \(3, 2\) and \(2, 1, 4\) cannot"):
        getattr(ops, op)(ironnet.zeros((3, 2)), ironnet.zeros((2, 1, 4)))
    with pytest.raises(TypeError, match=rf"{op}: expected float32 tensors, got \(2, 3\) float32 and \(3,\) int64"):
        getattr(ops, op)(a, ironnet.zeros((3,), dtype="int64"))
    with pytest.raises(TypeError, match=rf"{op}: b must be an ironnet Tensor, a numpy array or a number"):
        getattr(ops, op)(a, "x")
    with pytest.raises(TypeError, match=rf"{op}: b \(3,\) has dtype float64; expected float32"):
        getattr(ops, op)(a, np.zeros(3))


def test_operator_errors():
    with pytest.raises(ValueError, match=r"mul: shapes \(2, 3\) and \(2,\) cannot be broadcast"):
        ironnet.zeros((2, 3)) * ironnet.zeros((2,))
    with pytest.raises(TypeError, match=r"add: expected float32 tensors"):
        ironnet.zeros((2,), dtype="int32") + 1


def test_reduce_errors():
    x = ironnet.zeros((2, 3))
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range for a tensor of shape \(2, 3\)"):
        ops.sum(x, 2)
    with pytest.raises(ValueError, match=r"mean: axis -3 is out of range"):
        ops.mean(x, -3)
    with pytest.raises(ValueError, match=r"sum: axis -1 repeated"):
        ops.sum(x, (1, -1))
    with pytest.raises(TypeError, match=r"sum: expected a float32 tensor, got \(2,\) int64"):
        ops.sum(ironnet.zeros((2,), dtype="int64"))
    with pytest.raises(TypeError, match=r"mean: axis must be None, an int or a tuple of ints"):
        ops.mean(x, 1.0)
    with pytest.raises(TypeError, match=r"sum: x must be an ironnet Tensor, a numpy array or a number, got str"):
        ops.sum("x")
    with pytest.raises(ValueError, match=r"sum_to_shape: cannot sum a tensor of shape \(2, 3\) to shape \(2,\)"):
        ironnet._C.sum_to_shape(x._impl, (2,))
    with pytest.raises(ValueError, match=r"sum_to_shape: cannot sum a tensor of shape \(2, 3\) to shape \(1, 2, 3\)"):
        ironnet._C.sum_to_shape(x._impl, (1, 2, 3))


def test_reshape_errors():
    x = ironnet.zeros((2, 3))
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) to \(4,\)"):
        x.reshape(4)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) to \(4, -1\)"):
        x.reshape(4, -1)
    with pytest.raises(ValueError, match=r"reshape: only one dimension can be -1"):
        x.reshape(-1, -1)
    with pytest.raises(ValueError, match=r"reshape: negative dimension in \(-2, -3\)"):
        x.reshape(-2, -3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(0, 3\) \(0 elements\) to \(0, -1\)"):
        ironnet.zeros((0, 3)).reshape(0, -1)
    with pytest.raises(TypeError, match=r"reshape: shape must be a sequence of ints"):
        x.reshape(2, 3.0)
    with pytest.raises(TypeError, match=r"reshape: x must be an ironnet Tensor, got ndarray"):
        ops.reshape(np.zeros(3, np.float32), (3,))


def test_concatenate_errors():
    a = ironnet.zeros((2, 3))
    with pytest.raises(ValueError, match=r"concatenate: tensor 1 has shape \(2, 4\) but tensor 0 has shape \(2, 3\) \(only axis 0 may differ\)"):
        ops.concatenate([a, ironnet.zeros((2, 4))], 0)
    with pytest.raises(ValueError, match=r"concatenate: tensor 1 has shape \(2, 3, 1\) but tensor 0 has shape \(2, 3\)"):
        ops.concatenate([a, ironnet.zeros((2, 3, 1))], 1)
    with pytest.raises(ValueError, match=r"concatenate: axis 2 is out of range for tensors of shape \(2, 3\)"):
        ops.concatenate([a, a], 2)
    with pytest.raises(ValueError, match=r"concatenate: axis -3 is out of range"):
        ops.concatenate([a, a], -3)
    with pytest.raises(ValueError, match=r"concatenate: need at least one tensor"):
        ops.concatenate([], 0)
    with pytest.raises(ValueError, match=r"concatenate: 0-d tensors cannot be concatenated"):
        ops.concatenate([ironnet.zeros(())], 0)
    with pytest.raises(TypeError, match=r"concatenate: tensor 1 is int64 but tensor 0 is float32"):
        ops.concatenate([a, ironnet.zeros((2, 3), dtype="int64")], 0)
    with pytest.raises(TypeError, match=r"concatenate: expected a list or tuple of tensors"):
        ops.concatenate(a, 0)


@pytest.mark.parametrize("shape,index,axis", [
    ((300001, 3), np.s_[:, :], 0),  # bias gradient: few outputs, the summed range split over threads
    ((7, 100001, 3), np.s_[:, ::2, :], (0, 1)),  # split ranges starting and ending inside rows
    ((1001, 1000), np.s_[:, ::2], None),  # strided full reduction
    ((3, 100003), np.s_[:, 1:], 1),
])
def test_few_outputs_from_many_elements(rng, num_threads, shape, index, axis):
    x_np = rand(rng, shape, 0.0, 1.0)[index]
    got = ops.sum(ironnet.from_numpy(x_np), axis).numpy()
    np.testing.assert_allclose(got, reduce_ref("sum", x_np, axis, False), rtol=1e-6)
