"""ops.linear (x @ kernel + bias as one native op) forward and backward against float64."""
import numpy as np
import pytest

import ironnet
from ironnet.ops import linear
from reference.matmul_grad_ref import finite_difference

# (N, in, out): ones, primes, a column count past the 256-wide bias-sum bands, many rows.
SHAPES = [(1, 1, 1), (1, 7, 3), (13, 1, 5), (31, 17, 1), (64, 784, 257), (2000, 33, 600)]


def rand(rng, shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def test_bias_gradient_reference_by_finite_differences(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    g = rng.standard_normal((4, 2))
    db = finite_difference(lambda bb: np.sum(g * (x @ w + bb)), b.copy())
    np.testing.assert_allclose(g.sum(axis=0), db, atol=1e-6)


@pytest.mark.parametrize("n,d_in,d_out", SHAPES)
def test_forward_and_backward(rng, num_threads, n, d_in, d_out):
    x_np, w_np, b_np = rand(rng, (n, d_in)), rand(rng, (d_in, d_out)), rand(rng, (d_out,))
    x, w, b = (ironnet.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    y = linear(x, w, b)
    assert y.grad_fn.name == "Linear"
    x64, w64, b64 = (a.astype(np.float64) for a in (x_np, w_np, b_np))
    tol = 1e-5 * np.sqrt(d_in)
    np.testing.assert_allclose(y.numpy(), x64 @ w64 + b64, rtol=1e-5, atol=tol)
    g_np = rand(rng, (n, d_out))
    y.backward(ironnet.tensor(g_np))
    g64 = g_np.astype(np.float64)
    np.testing.assert_allclose(x.grad.numpy(), g64 @ w64.T, rtol=1e-4, atol=1e-5 * np.sqrt(d_out))
    np.testing.assert_allclose(w.grad.numpy(), x64.T @ g64, rtol=1e-4, atol=1e-5 * np.sqrt(n))
    np.testing.assert_allclose(b.grad.numpy(), g64.sum(axis=0), rtol=1e-5, atol=1e-6 * np.sqrt(n))


def test_without_bias_and_without_grad(rng):
    x_np, w_np = rand(rng, (5, 4)), rand(rng, (4, 3))
    y = linear(x_np, w_np)
    assert y.grad_fn is None
    np.testing.assert_allclose(y.numpy(), x_np.astype(np.float64) @ w_np, rtol=1e-6, atol=1e-6)
    w = ironnet.tensor(w_np, requires_grad=True)
    linear(ironnet.tensor(x_np), w).backward(ironnet.tensor(np.ones((5, 3), np.float32)))
    np.testing.assert_allclose(w.grad.numpy(), x_np.T.astype(np.float64) @ np.ones((5, 3)), rtol=1e-6)


def test_only_requested_gradients_are_computed(rng):
    x = ironnet.tensor(rand(rng, (6, 4)))
    w = ironnet.tensor(rand(rng, (4, 2)), requires_grad=True)
    b = ironnet.tensor(rand(rng, (2,)))
    linear(x, w, b).backward(ironnet.tensor(np.ones((6, 2), np.float32)))
    assert w.grad is not None and x.grad is None and b.grad is None


def test_errors(rng):
    x, w = rand(rng, (3, 4)), rand(rng, (4, 5))
    with pytest.raises(ValueError, match=r"linear: x \(3, 5\) has 5 features but the kernel \(4, 5\) expects 4"):
        linear(rand(rng, (3, 5)), w)
    with pytest.raises(ValueError, match=r"linear: bias \(4,\) does not match the kernel's 5 units \(4, 5\)"):
        linear(x, w, rand(rng, (4,)))
    with pytest.raises(ValueError, match=r"linear: x must be 2-D, got \(2, 3, 4\)"):
        linear(rand(rng, (2, 3, 4)), w)
    with pytest.raises(TypeError, match=r"linear: kernel must be float32, got int32 \(4, 5\)"):
        linear(x, ironnet.tensor(np.zeros((4, 5), np.int32)))


@pytest.mark.parametrize("n,d_in,d_out", [(1, 3, 2), (37, 20, 300), (128, 784, 256)])
def test_fused_relu_forward_and_backward(rng, num_threads, n, d_in, d_out):
    x_np, w_np, b_np = rand(rng, (n, d_in)), rand(rng, (d_in, d_out)), rand(rng, (d_out,))
    x, w, b = (ironnet.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    y = linear(x, w, b, activation="relu")
    x64, w64, b64 = (a.astype(np.float64) for a in (x_np, w_np, b_np))
    z = x64 @ w64 + b64
    np.testing.assert_allclose(y.numpy(), np.maximum(z, 0), rtol=1e-5, atol=1e-5 * np.sqrt(d_in))
    g_np = rand(rng, (n, d_out))
    y.backward(ironnet.tensor(g_np))
    g64 = np.where(y.numpy() > 0, g_np.astype(np.float64), 0.0)  # the mask the op applied
    np.testing.assert_allclose(x.grad.numpy(), g64 @ w64.T, rtol=1e-4, atol=1e-5 * np.sqrt(d_out))
    np.testing.assert_allclose(w.grad.numpy(), x64.T @ g64, rtol=1e-4, atol=1e-5 * np.sqrt(n))
    np.testing.assert_allclose(b.grad.numpy(), g64.sum(axis=0), rtol=1e-5, atol=1e-6 * np.sqrt(n))


def test_fused_relu_equals_the_separate_ops(rng):
    x, w, b = rand(rng, (9, 5)), rand(rng, (5, 4)), rand(rng, (4,))
    np.testing.assert_array_equal(linear(x, w, b, activation="relu").numpy(),
                                  ironnet.ops.relu(linear(x, w, b)).numpy())
    with pytest.raises(ValueError, match="linear: activation must be None or 'relu'"):
        linear(x, w, b, activation="tanh")
