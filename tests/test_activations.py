"""Activations (ironnet.ops.relu ... log_softmax): native float32 forward and backward against the
float64 references in tests/reference/activations_ref.py, themselves checked by finite differences.
Numerical tests run on every CPU ISA path (cpu_isa fixture): each has its own build of the kernels."""
import functools

import numpy as np
import pytest

import ironnet
from ironnet import ops
from reference import activations_ref as ref
from reference.matmul_grad_ref import finite_difference

# name -> (ironnet op, reference forward, reference vjp); parameters bound where the op has some.
CASES = {
    "relu": (ops.relu, ref.relu, ref.relu_vjp),
    "leaky_relu": (ops.leaky_relu, ref.leaky_relu, ref.leaky_relu_vjp),  # default slope 0.2
    "leaky_relu_0.3": (
        functools.partial(ops.leaky_relu, negative_slope=0.3),
        functools.partial(ref.leaky_relu, negative_slope=0.3),
        functools.partial(ref.leaky_relu_vjp, negative_slope=0.3),
    ),
    "elu": (ops.elu, ref.elu, ref.elu_vjp),
    "elu_0.5": (
        functools.partial(ops.elu, alpha=0.5),
        functools.partial(ref.elu, alpha=0.5),
        functools.partial(ref.elu_vjp, alpha=0.5),
    ),
    "gelu": (ops.gelu, ref.gelu, ref.gelu_vjp),
    "gelu_tanh": (
        functools.partial(ops.gelu, approximate=True),
        functools.partial(ref.gelu, approximate=True),
        functools.partial(ref.gelu_vjp, approximate=True),
    ),
    "sigmoid": (ops.sigmoid, ref.sigmoid, ref.sigmoid_vjp),
    "tanh": (ops.tanh, ref.tanh, ref.tanh_vjp),
    "softmax": (ops.softmax, ref.softmax, ref.softmax_vjp),
    "log_softmax": (ops.log_softmax, ref.log_softmax, ref.log_softmax_vjp),
}
ROWWISE = {"softmax", "log_softmax"}

# Awkward shapes, rank 1 to 4, zero sizes, softmax rows of length 1 and 1000, and sizes large
# enough (> 2 * 16384 elements) that the kernels split the work over two threads.
SHAPES = [(1,), (7,), (0,), (3, 0), (0, 5), (5, 1), (13, 17), (3, 1000), (2, 3, 5, 7), (1, 4, 1, 3), (191, 211)]

RTOL, ATOL = 1e-5, 1e-6


def rand(rng, shape, scale=3.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def check(name, x_np, g_np):
    """Forward and gradient of CASES[name] on float32 x against the float64 reference."""
    op, fwd, vjp = CASES[name]
    x = ironnet.tensor(x_np, requires_grad=True)
    y = op(x)
    assert y.shape == x_np.shape and y.dtype == ironnet.float32
    x64, g64 = x_np.astype(np.float64), g_np.astype(np.float64)
    np.testing.assert_allclose(y.numpy(), fwd(x64), rtol=RTOL, atol=ATOL, err_msg=f"{name} forward")
    y.backward(ironnet.tensor(g_np))
    # Gradients from the float32 output (sigmoid, tanh, softmax) carry its rounding: a few ulps of y.
    np.testing.assert_allclose(x.grad.numpy(), vjp(x64, g64), rtol=RTOL, atol=4 * ATOL, err_msg=f"{name} grad")
    return y


@pytest.mark.parametrize("name", sorted(ref.ACTIVATIONS))
@pytest.mark.parametrize("variant", [{}, "param"])
def test_reference_matches_finite_differences(rng, name, variant):
    fwd, vjp = ref.ACTIVATIONS[name]
    params = {}
    if variant == "param":
        params = {"leaky_relu": {"negative_slope": 0.3}, "elu": {"alpha": 0.5}, "gelu": {"approximate": True}}.get(name)
        if params is None:
            pytest.skip(f"{name} has no parameter")
    # Away from relu's kink at 0, where a central difference straddles two slopes.
    x = rng.uniform(0.1, 3.0, size=(3, 5)) * rng.choice([-1.0, 1.0], size=(3, 5))
    g = rng.standard_normal((3, 5))
    numeric = finite_difference(lambda v: np.sum(g * fwd(v, **params)), x.copy())
    np.testing.assert_allclose(vjp(x, g, **params), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(CASES))
def test_forward_and_gradient(rng, cpu_isa, num_threads, name, shape):
    check(name, rand(rng, shape), rand(rng, shape, 1.0))


EXTREMES = np.array([-1e4, -100.0, -50.0, -20.0, -1e-4, 0.0, 1e-4, 20.0, 50.0, 100.0, 1e4], np.float32)


@pytest.mark.parametrize("name", list(CASES))
def test_extreme_inputs_stay_finite(rng, cpu_isa, name):
    if name in ROWWISE:  # rows with a huge spread, and rows that are all huge
        x = np.stack([EXTREMES, np.full_like(EXTREMES, 1e4), np.full_like(EXTREMES, -1e4), rng.permutation(EXTREMES)])
    else:
        x = EXTREMES
    g = rand(rng, x.shape, 1.0)
    y = check(name, x, g)
    assert np.all(np.isfinite(y.numpy()))


@pytest.mark.parametrize("name", list(CASES))
def test_non_contiguous_input(rng, name):
    base = rand(rng, (9, 14))
    x = ironnet.tensor(base, requires_grad=True)
    xt = x.T  # (14, 9) view, not contiguous
    assert not xt.is_contiguous()
    op, fwd, vjp = CASES[name]
    y = op(xt)
    g = rand(rng, y.shape, 1.0)
    np.testing.assert_allclose(y.numpy(), fwd(base.T.astype(np.float64)), rtol=RTOL, atol=ATOL)
    y.backward(ironnet.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), vjp(base.T.astype(np.float64), g).T, rtol=RTOL, atol=4 * ATOL)


@pytest.mark.parametrize("name", sorted(ROWWISE))
@pytest.mark.parametrize("axis", [0, 1, -2, 2])
def test_softmax_over_other_axes(rng, name, axis):
    op, fwd, vjp = CASES[name]
    x_np = rand(rng, (4, 6, 5))
    x = ironnet.tensor(x_np, requires_grad=True)
    y = op(x, axis=axis)
    g = rand(rng, y.shape, 1.0)
    moved = np.moveaxis(x_np.astype(np.float64), axis, -1)
    np.testing.assert_allclose(y.numpy(), np.moveaxis(fwd(moved), -1, axis), rtol=RTOL, atol=ATOL)
    y.backward(ironnet.tensor(g))
    expected = np.moveaxis(vjp(moved, np.moveaxis(g, axis, -1)), -1, axis)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=RTOL, atol=4 * ATOL)


def test_graph_recorded_only_when_needed(rng):
    x_np = rand(rng, (3, 4))
    assert ops.gelu(ironnet.tensor(x_np)).grad_fn is None
    assert ops.softmax(x_np).grad_fn is None  # NumPy arrays are accepted (viewed, not copied)
    x = ironnet.tensor(x_np, requires_grad=True)
    with ironnet.no_grad():
        assert ops.tanh(x).grad_fn is None
    names = [f(x).grad_fn.name for f in (ops.relu, ops.leaky_relu, ops.elu, ops.gelu, ops.sigmoid, ops.tanh,
                                         ops.softmax, ops.log_softmax)]
    assert names == ["ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]


def test_chained_activations_backprop_through_each_other(rng):
    x_np = rand(rng, (5, 8))
    x = ironnet.tensor(x_np, requires_grad=True)
    y = ops.log_softmax(ops.tanh(ops.gelu(x)))
    g = rand(rng, y.shape, 1.0)
    y.backward(ironnet.tensor(g))
    x64 = x_np.astype(np.float64)
    a = ref.gelu(x64)
    b = ref.tanh(a)
    expected = ref.gelu_vjp(x64, ref.tanh_vjp(a, ref.log_softmax_vjp(b, g)))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-5)


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_int_tensor_is_a_type_error_naming_op_and_shape(name):
    op = CASES[name][0]
    x = ironnet.tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    op_name = name.split("_0")[0].replace("gelu_tanh", "gelu")
    with pytest.raises(TypeError, match=rf"^{op_name}: expected a float32 tensor, got x \(2, 3\) int32"):
        op(x)


@pytest.mark.parametrize("op", [ops.softmax, ops.log_softmax])
def test_softmax_of_a_0d_tensor_is_a_value_error(op):
    with pytest.raises(ValueError, match=r"needs at least one dimension.*0-d x \(\)"):
        op(ironnet.tensor(np.float32(1.5)))


def test_softmax_axis_out_of_range():
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range for a tensor of shape \(3, 4\)"):
        ops.softmax(np.zeros((3, 4), np.float32), axis=2)


def test_backward_kernels_check_shapes_and_parameters():
    a = ironnet.zeros((2, 3))._impl
    b = ironnet.zeros((3, 2))._impl
    with pytest.raises(ValueError, match=r"^relu_backward: grad \(2, 3\) and x \(3, 2\) must have the same shape"):
        ironnet._C.relu_backward(a, b)
    with pytest.raises(ValueError, match=r"^softmax_backward: grad \(2, 3\) and y \(3, 2\)"):
        ironnet._C.softmax_backward(a, b)
    with pytest.raises(TypeError, match=r"^tanh_backward: expected a float32 tensor, got grad \(2,\) int64"):
        ironnet._C.tanh_backward(ironnet.tensor(np.zeros(2, np.int64))._impl, a)
    with pytest.raises(ValueError, match=r"^elu: alpha must be finite"):
        ops.elu(ironnet.zeros((2,)), alpha=float("nan"))


@pytest.mark.parametrize("name", [n for n in CASES if n not in ROWWISE])
def test_dense_sweep_of_the_whole_range(rng, cpu_isa, num_threads, name):
    """Every float32 regime of the exp/erfc/tanh paths: underflow, the -87 flush, near 0, saturation."""
    x = np.concatenate([np.linspace(-110.0, 40.0, 150001), np.linspace(-1e-3, 1e-3, 2001)]).astype(np.float32)
    check(name, x, rand(rng, x.shape, 1.0))


@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_softmax_rows_spanning_the_exp_range(rng, cpu_isa, num_threads, name):
    # Row spreads from 0 to 120 reach exp arguments below -87, where the native exp flushes to 0.
    x = (rng.uniform(0.0, 1.0, (64, 997)) * np.linspace(0.0, 120.0, 64)[:, None]).astype(np.float32)
    check(name, x, rand(rng, x.shape, 1.0))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "sigmoid", "elu", "tanh"])
def test_small_values_keep_their_relative_accuracy(rng, cpu_isa, name):
    """Values a naive formula cancels (1 + erf, 1 + tanh, exp - 1, tanh via exp): relative error, no atol."""
    lo = {"gelu": -12.5, "gelu_tanh": -9.0, "sigmoid": -85.0, "elu": -1e-3, "tanh": -1e-3}[name]
    x = np.linspace(lo, -1e-6 if name in ("elu", "tanh") else -1.0, 5001).astype(np.float32)
    op, fwd, vjp = CASES[name]
    x64 = x.astype(np.float64)
    # gelu_tanh: the float rounding of its exp argument 2u(x) (up to ~70 here) alone is ~4e-6 relative.
    rtol = 1e-5 if name == "gelu_tanh" else 2e-6
    np.testing.assert_allclose(op(ironnet.tensor(x)).numpy(), fwd(x64), rtol=rtol, atol=0)
    if name != "sigmoid":  # sigmoid's gradient comes from its output: y (1 - y) keeps y's accuracy
        t = ironnet.tensor(x, requires_grad=True)
        op(t).backward(ironnet.tensor(np.ones_like(x)))
        np.testing.assert_allclose(t.grad.numpy(), vjp(x64, np.ones_like(x64)), rtol=rtol, atol=0)
