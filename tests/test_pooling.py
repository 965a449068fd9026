"""Pooling (ironnet.ops.max_pool2d ... global_avg_pool1d): native float32 forward and backward against
the float64 references in tests/reference/pooling_ref.py (themselves checked by finite differences),
on every CPU ISA path and with 1 and 2 threads; PyTorch as a second oracle when installed."""
import numpy as np
import pytest

import ironnet
from ironnet import ops
from reference import pooling_ref as ref
from reference.matmul_grad_ref import finite_difference

RTOL, ATOL = 1e-5, 1e-6

# (x shape (N, H, W, C), pool, strides, padding): odd sizes, "same" with pool 3 stride 2, overlapping
# windows (stride 1), non-square pools and strides, stride > pool (skipped input), batch 1, C = 1, 3,
# 17, 64, windows with a single real element, non-overlapping windows padded on both sides, and a
# size large enough to split over two threads.
CASES = [
    ((2, 4, 4, 3), (2, 2), (2, 2), "valid"),
    ((1, 7, 9, 17), (2, 2), (2, 2), "valid"),
    ((3, 7, 9, 1), (3, 3), (2, 2), "same"),
    ((2, 8, 8, 17), (3, 3), (2, 2), "same"),
    ((1, 6, 5, 3), (3, 3), (1, 1), "valid"),
    ((2, 5, 6, 17), (3, 2), (1, 1), "same"),
    ((1, 9, 11, 64), (2, 3), (3, 2), "valid"),
    ((2, 10, 7, 3), (2, 2), (3, 3), "valid"),
    ((1, 5, 5, 3), (4, 4), (3, 3), "same"),
    ((1, 3, 3, 17), (1, 1), (2, 2), "same"),
    ((2, 7, 8, 5), (3, 3), (3, 3), "same"),
    ((2, 1, 13, 3), (1, 4), (1, 3), "same"),
    ((4, 26, 26, 64), (2, 2), (2, 2), "valid"),
]
IDS = [f"{'x'.join(map(str, s))}-p{p[0]}{p[1]}-s{st[0]}{st[1]}-{pad}" for s, p, st, pad in CASES]


def distinct(rng, shape):
    """float32 values with no ties (a random permutation), so the max and its gradient are unambiguous."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0).astype(np.float32)


SMALL = [i for i, case in enumerate(CASES) if np.prod(case[0]) <= 300]


@pytest.mark.parametrize("shape,pool,strides,padding", [CASES[i] for i in SMALL], ids=[IDS[i] for i in SMALL])
def test_references_match_finite_differences(rng, shape, pool, strides, padding):
    x = distinct(rng, shape).astype(np.float64)
    g = rng.standard_normal(ref.max_pool2d(x, pool, strides, padding)[0].shape)
    for fwd, vjp in ((lambda v: ref.max_pool2d(v, pool, strides, padding)[0], ref.max_pool2d_vjp),
                     (lambda v: ref.avg_pool2d(v, pool, strides, padding), ref.avg_pool2d_vjp)):
        numeric = finite_difference(lambda v: np.sum(g * fwd(v)), x.copy())
        np.testing.assert_allclose(vjp(x, g, pool, strides, padding), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,pool,strides,padding", CASES, ids=IDS)
def test_max_pool2d_matches_reference(rng, cpu_isa, num_threads, shape, pool, strides, padding):
    x_np = distinct(rng, shape)
    x = ironnet.tensor(x_np, requires_grad=True)
    y = ops.max_pool2d(x, pool, strides, padding)
    y_ref, _ = ref.max_pool2d(x_np.astype(np.float64), pool, strides, padding)
    assert y.shape == y_ref.shape
    np.testing.assert_array_equal(y.numpy(), y_ref)  # a max is exact
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(ironnet.tensor(g))
    dx_ref = ref.max_pool2d_vjp(x_np.astype(np.float64), g.astype(np.float64), pool, strides, padding)
    np.testing.assert_allclose(x.grad.numpy(), dx_ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape,pool,strides,padding", CASES, ids=IDS)
def test_avg_pool2d_matches_reference(rng, cpu_isa, num_threads, shape, pool, strides, padding):
    x_np = rng.standard_normal(shape).astype(np.float32)
    x = ironnet.tensor(x_np, requires_grad=True)
    y = ops.avg_pool2d(x, pool, strides, padding)
    y_ref = ref.avg_pool2d(x_np.astype(np.float64), pool, strides, padding)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=RTOL, atol=ATOL)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(ironnet.tensor(g))
    dx_ref = ref.avg_pool2d_vjp(x_np.astype(np.float64), g.astype(np.float64), pool, strides, padding)
    np.testing.assert_allclose(x.grad.numpy(), dx_ref, rtol=RTOL, atol=ATOL)


def test_ties_go_to_the_first_maximum(cpu_isa):
    # Every value equal: the whole gradient of each window lands on its top-left element; with
    # overlapping windows (stride 1) an element is the first of several windows and sums their grads.
    x = ironnet.tensor(np.ones((1, 4, 4, 2), np.float32), requires_grad=True)
    y = ops.max_pool2d(x, 2, 1)
    y.backward(ironnet.tensor(np.ones(y.shape, np.float32)))
    expected = np.zeros((4, 4))
    expected[:3, :3] = 1.0
    np.testing.assert_array_equal(x.grad.numpy()[0, :, :, 0], expected)
    np.testing.assert_array_equal(x.grad.numpy()[0, :, :, 1], expected)


def test_padding_never_wins_a_max(cpu_isa):
    x_np = -np.arange(1.0, 1 + 3 * 3, dtype=np.float32).reshape(1, 3, 3, 1) * 1e30  # all very negative
    x_np[0, 0, 0, 0] = -np.inf
    y = ops.max_pool2d(x_np, 3, 2, "same")  # pad_total = 2: one padded row/column each side
    expected, _ = ref.max_pool2d(x_np.astype(np.float64), (3, 3), (2, 2), "same")
    np.testing.assert_array_equal(y.numpy(), expected)
    z = ops.max_pool2d(np.full((1, 1, 1, 1), -np.inf, np.float32), 3, 1, "same")
    assert z.numpy().item() == -np.inf


def test_nan_wins_a_max():
    x_np = np.zeros((1, 2, 2, 1), np.float32)
    x_np[0, 1, 0, 0] = np.nan
    assert np.isnan(ops.max_pool2d(x_np).numpy()).all()


def test_non_contiguous_input(rng):
    base = rng.standard_normal((2, 6, 6, 5)).astype(np.float32)
    x = ironnet.tensor(base).transpose(1, 2)  # (2, 6, 6, 5) with H and W strides swapped
    expected = ref.avg_pool2d(base.transpose(0, 2, 1, 3).astype(np.float64), (2, 2), (2, 2), "valid")
    np.testing.assert_allclose(ops.avg_pool2d(x).numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 7, 5, 17), (3, 28, 28, 64)])
def test_global_pools(rng, num_threads, shape, keepdims):
    x_np = distinct(rng, shape)
    x64 = x_np.astype(np.float64)
    out_shape = (shape[0], 1, 1, shape[3]) if keepdims else (shape[0], shape[3])
    g = rng.standard_normal(out_shape).astype(np.float32)
    full = (shape[0], 1, 1, shape[3])
    for op, fwd, vjp in (
        (ops.global_max_pool2d, ref.max_pool2d, ref.max_pool2d_vjp),
        (ops.global_avg_pool2d, lambda *a: (ref.avg_pool2d(*a),), ref.avg_pool2d_vjp),
    ):
        window = (shape[1:3], (1, 1), "valid")
        x = ironnet.tensor(x_np, requires_grad=True)
        y = op(x, keepdims=keepdims)
        assert y.shape == out_shape
        np.testing.assert_allclose(y.numpy(), fwd(x64, *window)[0].reshape(out_shape), rtol=RTOL, atol=ATOL)
        y.backward(ironnet.tensor(g))
        dx_ref = vjp(x64, g.astype(np.float64).reshape(full), *window)
        np.testing.assert_allclose(x.grad.numpy(), dx_ref, rtol=RTOL, atol=ATOL)


def test_1d_wrappers(rng):
    x_np = distinct(rng, (3, 11, 5))
    image = x_np[:, None].astype(np.float64)
    for op, fwd in ((ops.max_pool1d, lambda *a: ref.max_pool2d(*a)[0]), (ops.avg_pool1d, ref.avg_pool2d)):
        x = ironnet.tensor(x_np, requires_grad=True)
        y = op(x, 3, 2, "same")
        np.testing.assert_allclose(y.numpy(), fwd(image, (1, 3), (2, 2), "same")[:, 0], rtol=RTOL, atol=ATOL)
        y.backward(ironnet.tensor(np.ones(y.shape, np.float32)))
        assert x.grad.shape == x_np.shape
        assert op(x_np).shape == (3, 5, 5)  # pool 2, strides default to the pool
    for op, fwd in ((ops.global_max_pool1d, np.max), (ops.global_avg_pool1d, np.mean)):
        x = ironnet.tensor(x_np, requires_grad=True)
        np.testing.assert_allclose(op(x).numpy(), fwd(x_np.astype(np.float64), axis=1), rtol=RTOL, atol=ATOL)
        assert op(x, keepdims=True).shape == (3, 1, 5)
        op(x).backward(ironnet.tensor(np.ones((3, 5), np.float32)))
        np.testing.assert_allclose(x.grad.numpy().sum(axis=1), np.ones((3, 5)), rtol=RTOL)


def test_autograd_through_a_small_graph(rng):
    # loss = sum(w * global_avg(relu(max_pool(x)))): the gradient flows through three native backwards.
    x_np = distinct(rng, (2, 6, 6, 4))
    w = rng.standard_normal((2, 4)).astype(np.float32)
    x = ironnet.tensor(x_np, requires_grad=True)
    loss = ops.sum(ops.mul(ops.global_avg_pool2d(ops.relu(ops.max_pool2d(x, 3, 2, "same"))), ironnet.tensor(w)))
    loss.backward()
    x64 = x_np.astype(np.float64)
    pooled, _ = ref.max_pool2d(x64, (3, 3), (2, 2), "same")
    g_pooled = np.where(pooled > 0, 1.0, 0.0) * w[:, None, None, :] / (pooled.shape[1] * pooled.shape[2])
    dx_ref = ref.max_pool2d_vjp(x64, g_pooled, (3, 3), (2, 2), "same")
    np.testing.assert_allclose(x.grad.numpy(), dx_ref, rtol=RTOL, atol=ATOL)


def test_no_graph_without_requires_grad(rng):
    y = ops.max_pool2d(ironnet.tensor(distinct(rng, (1, 4, 4, 2))))
    assert not y.requires_grad


@pytest.mark.parametrize("shape,pool,strides,padding", [c for c in CASES if c[3] == "valid" or c[1][0] % 2],
                         ids=[i for c, i in zip(CASES, IDS) if c[3] == "valid" or c[1][0] % 2])
def test_against_torch(rng, shape, pool, strides, padding):
    """PyTorch pads symmetrically, so "same" is compared only where TF's padding is symmetric too."""
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    pad = [0, 0]
    if padding == "same":
        for axis in range(2):
            out = ref.output_length(shape[1 + axis], pool[axis], strides[axis], "same")
            total = max((out - 1) * strides[axis] + pool[axis] - shape[1 + axis], 0)
            if total % 2 or total // 2 > pool[axis] // 2:
                pytest.skip("asymmetric 'same' padding has no PyTorch equivalent")
            pad[axis] = total // 2
    x_np = distinct(rng, shape)
    xt = torch.from_numpy(x_np).permute(0, 3, 1, 2)  # NCHW view of the NHWC data (channels_last)
    for ours, theirs in (
        (ops.max_pool2d, lambda t: functional.max_pool2d(t, pool, strides, pad)),
        (ops.avg_pool2d, lambda t: functional.avg_pool2d(t, pool, strides, pad, count_include_pad=False)),
    ):
        expected = theirs(xt).permute(0, 2, 3, 1).numpy()
        np.testing.assert_allclose(ours(x_np, pool, strides, padding).numpy(), expected, rtol=RTOL, atol=ATOL)


def test_pool_output_length():
    assert ops.pool_output_length(28, 2, 2, "valid") == 14
    assert ops.pool_output_length(7, 3, 2, "same") == 4
    assert ops.pool_output_length(7, 3, 2, "valid") == 3
    assert ops.pool_output_length(None, 2, 2, "valid") is None
    with pytest.raises(ValueError, match=r"pool_output_length: pool_size 3 does not fit length 2 with padding 'valid'"):
        ops.pool_output_length(2, 3, 1, "valid")
    with pytest.raises(ValueError, match=r"pool_output_length: strides must be >= 1, got 0"):
        ops.pool_output_length(4, 2, 0, "same")
    with pytest.raises(ValueError, match=r"pool_output_length: padding must be 'valid' or 'same', got 'full'"):
        ops.pool_output_length(4, 2, 2, "full")


def test_forward_errors():
    x = np.zeros((2, 3, 3, 4), np.float32)
    with pytest.raises(ValueError, match=r"max_pool2d: x must be \(N, H, W, C\).*got \(3, 3, 4\)"):
        ops.max_pool2d(x[0])
    with pytest.raises(TypeError, match=r"avg_pool2d: x must be float32, got int32 \(2, 3, 3, 4\)"):
        ops.avg_pool2d(x.astype(np.int32))
    with pytest.raises(ValueError, match=r"max_pool2d: pool_size \(4, 4\) does not fit input \(2, 3, 3, 4\) "
                                         r"with padding 'valid' \(output size \(0, 0\)\)"):
        ops.max_pool2d(x, 4)
    with pytest.raises(ValueError, match=r"avg_pool2d: pool_size must be >= 1, got \(0, 2\)"):
        ops.avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match=r"max_pool2d: strides must be >= 1, got \(1, -1\)"):
        ops.max_pool2d(x, 2, (1, -1))
    with pytest.raises(ValueError, match=r"avg_pool2d: padding must be 'valid' or 'same', got 'causal'"):
        ops.avg_pool2d(x, 2, padding="causal")
    with pytest.raises(TypeError, match=r"max_pool2d: pool_size must be an int or a pair of ints, got \(2, 2, 2\)"):
        ops.max_pool2d(x, (2, 2, 2))
    with pytest.raises(ValueError, match=r"global_avg_pool2d: needs at least one pixel .* got input \(2, 0, 3, 4\)"):
        ops.global_avg_pool2d(np.zeros((2, 0, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"global_max_pool2d: x must be \(N, H, W, C\).*got \(2, 3\)"):
        ops.global_max_pool2d(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"max_pool1d: x must be \(N, L, C\).*got \(2, 3, 3, 4\)"):
        ops.max_pool1d(x)
    # 1-D errors name the 1-D op and x's own (N, L, C) shape, not the (N, 1, L, C) view the kernels see
    with pytest.raises(ValueError, match=r"max_pool1d: pool_size 5 does not fit length 3 .*x of shape \(2, 3, 4\)"):
        ops.max_pool1d(x[:, 0], 5)
    with pytest.raises(ValueError, match=r"avg_pool1d: strides must be >= 1, got 0, for x of shape \(2, 3, 4\)"):
        ops.avg_pool1d(x[:, 0], 2, strides=0)


def test_backward_errors():
    impl = lambda a: ironnet.tensor(a)._impl  # noqa: E731
    dy = np.zeros((2, 1, 1, 4), np.float32)
    argmax = np.zeros((2, 1, 1, 4), np.int32)
    with pytest.raises(ValueError, match=r"max_pool2d_backward: dy must be \(2, 1, 1, 4\) \(the forward's output "
                                         r"for input \(2, 3, 3, 4\)\), got \(2, 1, 2, 4\)"):
        ironnet._C.max_pool2d_backward(impl(np.zeros((2, 1, 2, 4), np.float32)), impl(argmax), [2, 3, 3, 4],
                                       (2, 2), (2, 2), "valid")
    with pytest.raises(TypeError, match=r"max_pool2d_backward: argmax must be int32, got float32"):
        ironnet._C.max_pool2d_backward(impl(dy), impl(dy), [2, 3, 3, 4], (2, 2), (2, 2), "valid")
    with pytest.raises(ValueError, match=r"max_pool2d_backward: argmax \(2, 1, 1, 3\) and dy \(2, 1, 1, 4\)"):
        ironnet._C.max_pool2d_backward(impl(dy), impl(argmax[..., :3]), [2, 3, 3, 4], (2, 2), (2, 2), "valid")
    with pytest.raises(ValueError, match=r"avg_pool2d_backward: input_shape must be \(N, H, W, C\), got \(3, 3, 4\)"):
        ironnet._C.avg_pool2d_backward(impl(dy), [3, 3, 4], (2, 2), (2, 2), "valid")
    with pytest.raises(ValueError, match=r"global_avg_pool2d_backward: dy must be \(2, 4\) .* got \(2, 5\)"):
        ironnet._C.global_avg_pool2d_backward(impl(np.zeros((2, 5), np.float32)), [2, 3, 3, 4])
    with pytest.raises(ValueError, match=r"global_max_pool2d_backward: dy must be \(N, C\), got \(2, 1, 1, 4\)"):
        ironnet._C.global_max_pool2d_backward(impl(dy), impl(argmax), [2, 3, 3, 4])


def test_empty_batch_and_channels():
    for shape in ((0, 5, 5, 3), (2, 5, 5, 0)):
        x = ironnet.tensor(np.zeros(shape, np.float32), requires_grad=True)
        y = ops.max_pool2d(x, 3, 2, "same")
        assert y.shape == (shape[0], 3, 3, shape[3])
        y.backward(ironnet.tensor(np.zeros(y.shape, np.float32)))
        assert x.grad.shape == shape
        assert ops.global_avg_pool2d(x).shape == (shape[0], shape[3])


def test_backward_twice_needs_retain_graph(rng):
    x = ironnet.tensor(distinct(rng, (1, 4, 4, 2)), requires_grad=True)
    y = ops.sum(ops.max_pool2d(x))
    y.backward(retain_graph=True)
    y.backward()  # the argmax was kept
    np.testing.assert_array_equal(x.grad.numpy().sum(), 2 * 8)
    with pytest.raises(RuntimeError, match=r"already walked"):
        y.backward()  # and then freed with the graph
