"""The autograd engine (ironnet.autograd) and the differentiable matmul, against float64 references."""
import numpy as np
import pytest

import ironnet
from ironnet.autograd import Function
from reference.matmul_grad_ref import finite_difference, matmul_grads_ref

# (a shape, b shape): 2-D, batched, and every broadcast the forward accepts.
MATMUL_CASES = [
    ((1, 1), (1, 1)),
    ((13, 7), (7, 31)),
    ((45, 300), (300, 17)),
    ((3, 5, 7), (3, 7, 2)),
    ((4, 6, 9), (9, 5)),
    ((6, 9), (4, 9, 5)),
    ((1, 6, 9), (4, 9, 5)),
    ((4, 6, 9), (1, 9, 5)),
]


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def leaf(array):
    return ironnet.tensor(array, requires_grad=True)


def test_reference_matches_finite_differences(rng):
    for a_shape, b_shape in [((2, 3), (3, 4)), ((2, 2, 3), (3, 2)), ((3, 2), (2, 2, 4)), ((1, 2, 3), (3, 3, 2))]:
        a = rng.standard_normal(a_shape)
        b = rng.standard_normal(b_shape)
        g = rng.standard_normal(np.broadcast_shapes(a_shape[:-2], b_shape[:-2]) + (a_shape[-2], b_shape[-1]))
        da, db = matmul_grads_ref(a, b, g)
        np.testing.assert_allclose(da, finite_difference(lambda x: np.sum(g * (x @ b)), a.copy()), atol=1e-6)
        np.testing.assert_allclose(db, finite_difference(lambda x: np.sum(g * (a @ x)), b.copy()), atol=1e-6)


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_CASES)
def test_matmul_gradients(rng, num_threads, a_shape, b_shape):
    a_np, b_np = rand(rng, a_shape), rand(rng, b_shape)
    a, b = leaf(a_np), leaf(b_np)
    out = a @ b
    assert out.grad_fn.name == "MatMul" and not out.is_leaf
    g_np = rand(rng, out.shape)
    out.backward(ironnet.tensor(g_np))
    da, db = matmul_grads_ref(a_np, b_np, g_np)
    k = a_shape[-1]
    batch = out.shape[0] if out.ndim == 3 else 1
    np.testing.assert_allclose(a.grad.numpy(), da, rtol=1e-4, atol=1e-5 * np.sqrt(b_shape[-1] * batch))
    np.testing.assert_allclose(b.grad.numpy(), db, rtol=1e-4, atol=1e-5 * np.sqrt(a_shape[-2] * batch))
    assert a.grad.shape == a_shape and b.grad.shape == b_shape and k == b_shape[-2]


def test_only_inputs_that_require_grad_get_one(rng):
    a, b = leaf(rand(rng, (4, 5))), ironnet.tensor(rand(rng, (5, 3)))
    (a @ b).backward(ironnet.tensor(np.ones((4, 3), np.float32)))
    assert a.grad is not None and b.grad is None


def test_no_graph_without_requires_grad_or_under_no_grad(rng):
    a, b = ironnet.tensor(rand(rng, (4, 5))), leaf(rand(rng, (5, 3)))
    assert (a @ a.T).grad_fn is None
    with ironnet.no_grad():
        out = a @ b
    assert out.grad_fn is None and not out.requires_grad

    @ironnet.no_grad()
    def infer(x):
        return x @ b

    assert infer(a).grad_fn is None
    assert (a @ b).grad_fn is not None  # grad mode is back after the block and the decorator


def test_leaf_grads_accumulate_across_backward_calls(rng):
    a_np, b_np = rand(rng, (3, 4)), rand(rng, (4, 2))
    a = leaf(a_np)
    g = ironnet.tensor(np.ones((3, 2), np.float32))
    (a @ ironnet.tensor(b_np)).backward(g)
    (a @ ironnet.tensor(b_np)).backward(g)
    da, _ = matmul_grads_ref(a_np, b_np, np.ones((3, 2), np.float32))
    np.testing.assert_allclose(a.grad.numpy(), 2 * da, rtol=1e-5, atol=1e-6)


class NumpyAdd(Function):
    """A test-only Function (add through NumPy): lets graphs join two branches. Its backward hands
    the same gradient object to both inputs, which the engine must never write into."""

    @staticmethod
    def forward(ctx, x, y):
        return ironnet.tensor(x.numpy() + y.numpy())

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


def test_diamond_sums_both_paths_and_never_writes_into_shared_gradients(rng):
    """h = x @ v feeds the sum directly and through h @ w: a node reached by a longer path must be
    processed after all its consumers, and both contributions summed."""
    x_np, v_np, w_np = rand(rng, (5, 4)), rand(rng, (4, 4)), rand(rng, (4, 4))
    x, v, w = leaf(x_np), leaf(v_np), leaf(w_np)
    h = x @ v
    out = NumpyAdd.apply(h, h @ w)
    g_np = rand(rng, (5, 4))
    g = ironnet.tensor(g_np)
    out.backward(g)
    x64, v64, w64, g64 = (t.astype(np.float64) for t in (x_np, v_np, w_np, g_np))
    dh = g64 + g64 @ w64.T
    np.testing.assert_allclose(v.grad.numpy(), x64.T @ dh, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), dh @ v64.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), (x64 @ v64).T @ g64, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(g.numpy(), g_np)  # the caller's gradient is untouched


def test_one_tensor_used_twice_gets_the_sum(rng):
    a_np = rand(rng, (3, 3))
    a = leaf(a_np)
    out = a @ a
    g_np = rand(rng, (3, 3))
    out.backward(ironnet.tensor(g_np))
    a64, g64 = a_np.astype(np.float64), g_np.astype(np.float64)
    np.testing.assert_allclose(a.grad.numpy(), g64 @ a64.T + a64.T @ g64, rtol=1e-4, atol=1e-5)


def test_graph_is_freed_unless_retained(rng):
    a = leaf(rand(rng, (2, 3)))
    b = ironnet.tensor(rand(rng, (3, 1)))
    out = a @ b
    loss = out.T @ ironnet.tensor(np.ones((2, 1), np.float32))  # (1, 1): grad implied
    loss.backward(retain_graph=True)
    first = a.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * first, rtol=1e-6)
    with pytest.raises(RuntimeError, match="already walked.*retain_graph=True"):
        loss.backward()


@pytest.mark.parametrize("shape,dims", [((3, 5), (0, 1)), ((2, 3, 4), (1, 2)), ((2, 3, 4), (0, -1))])
def test_transpose_is_a_differentiable_view(rng, shape, dims):
    x_np = rand(rng, shape)
    x = leaf(x_np)
    y = x.transpose(*dims)
    assert y.grad_fn.name == "Transpose" and np.shares_memory(y.numpy(), x.numpy())
    g_np = rand(rng, y.shape)
    y.backward(ironnet.tensor(g_np))
    np.testing.assert_array_equal(x.grad.numpy(), np.swapaxes(g_np, *dims))


def test_detach_and_leaf_flags(rng):
    a = leaf(rand(rng, (2, 2)))
    out = a @ a
    d = out.detach()
    assert a.is_leaf and a.requires_grad and not out.is_leaf
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.numpy(), out.numpy())
    assert "requires_grad=True" in repr(a) and "grad_fn=<MatMul>" in repr(out)


def test_backward_errors(rng):
    a = leaf(rand(rng, (2, 3)))
    out = a @ ironnet.tensor(rand(rng, (3, 4)))
    with pytest.raises(ValueError, match=r"grad can be implied only for a one-element tensor, got shape \(2, 4\)"):
        out.backward()
    with pytest.raises(ValueError, match=r"gradient of shape \(4, 2\) for a tensor of shape \(2, 4\)"):
        out.backward(ironnet.tensor(np.ones((4, 2), np.float32)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        ironnet.tensor(np.ones((1,), np.float32)).backward()
    with pytest.raises(TypeError, match="only float32 tensors can require grad, this one is int64"):
        ironnet.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf tensor's flag is set by its graph"):
        out.requires_grad = False
    with pytest.raises(RuntimeError, match="gemm: not recorded for autograd"):
        ironnet.ops.gemm(a, ironnet.tensor(rand(rng, (3, 4))))
    with ironnet.no_grad():
        ironnet.ops.gemm(a, ironnet.tensor(rand(rng, (3, 4))))  # allowed outside grad mode


def test_a_function_returning_the_wrong_number_of_gradients_is_reported(rng):
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return ironnet.tensor(x.numpy() * 2)

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    out = Broken.apply(leaf(rand(rng, (2,))))
    with pytest.raises(RuntimeError, match="Broken.backward returned 2 gradients for 1 inputs"):
        out.backward(ironnet.tensor(np.ones(2, np.float32)))


# --- autograd.grad: what fit uses (gradients returned, no .grad written) ---------------------------
def test_grad_equals_backward_without_touching_dot_grad(rng):
    """The diamond graph: every leaf's gradient from grad() equals backward()'s, leaves not asked for
    get nothing, and no .grad is written."""
    x_np, v_np, w_np, g_np = rand(rng, (5, 4)), rand(rng, (4, 4)), rand(rng, (4, 4)), rand(rng, (5, 4))

    def graph():
        x, v, w = leaf(x_np), leaf(v_np), leaf(w_np)
        h = x @ v
        return (x, v, w), NumpyAdd.apply(h, h @ w)

    (x, v, w), out = graph()
    out.backward(ironnet.tensor(g_np))
    (x2, v2, w2), out2 = graph()
    dv, dw = ironnet.autograd.grad(out2, [v2, w2], ironnet.tensor(g_np))
    np.testing.assert_array_equal(dv.numpy(), v.grad.numpy())
    np.testing.assert_array_equal(dw.numpy(), w.grad.numpy())
    assert x2.grad is None and v2.grad is None and w2.grad is None


def test_grad_of_a_tensor_used_twice_is_the_sum_and_unreached_inputs_get_none(rng):
    a_np = rand(rng, (3, 3))
    a, unused = leaf(a_np), leaf(rand(rng, (2,)))
    loss = (a @ a).sum()
    da, none = ironnet.autograd.grad(loss, [a, unused])
    a64 = a_np.astype(np.float64)
    ones = np.ones((3, 3))
    np.testing.assert_allclose(da.numpy(), ones @ a64.T + a64.T @ ones, rtol=1e-5, atol=1e-5)
    assert none is None


def test_grad_rejects_a_non_leaf_input_and_frees_the_graph(rng):
    a = leaf(rand(rng, (2, 3)))
    h = a @ ironnet.tensor(rand(rng, (3, 1)))
    loss = h.sum()
    with pytest.raises(ValueError, match=r"grad: inputs must be leaf tensors \(weights\), input 1 is made by MatMul"):
        ironnet.autograd.grad(loss, [a, h])
    with pytest.raises(ValueError, match=r"grad: inputs must be leaf tensors \(weights\), input 0 is a ndarray"):
        ironnet.autograd.grad(loss, [np.zeros(3)])
    ironnet.autograd.grad(loss, [a])
    with pytest.raises(RuntimeError, match=r"grad: the graph through .* already walked.*retain_graph=True"):
        ironnet.autograd.grad(loss, [a])
