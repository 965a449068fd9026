"""ops.conv2d_relu_max_pool2d (the fused Conv2D(relu) -> MaxPooling2D op) against the float64 reference
(tests/reference/conv_pool_ref.py) and against the two ops in a row, on every CPU ISA and 1 and 2
threads; its bad inputs."""
import numpy as np
import pytest

import ironnet
from ironnet import _C, ops
from reference.conv_pool_ref import conv_relu_max_pool, conv_relu_max_pool_vjp
from reference.matmul_grad_ref import finite_difference

# (x shape (N, H, W, C_in), kernel (kh, kw), C_out, conv strides, conv padding, dilation,
#  pool, pool strides, pool padding, bias)
CASES = [
    ((4, 28, 28, 1), (3, 3), 32, (1, 1), "valid", (1, 1), (2, 2), (2, 2), "valid", True),   # the small CNN's, 2 threads
    ((1, 11, 13, 3), (3, 3), 17, (1, 1), "same", (1, 1), (3, 3), (2, 2), "same", True),     # batch 1, RGB, pool 3 stride 2
    ((3, 9, 10, 2), (3, 3), 5, (2, 2), "same", (1, 1), (2, 2), (2, 2), "same", False),      # conv stride 2, no bias
    ((2, 12, 11, 1), (3, 3), 20, (1, 1), "valid", (2, 2), (3, 3), (1, 1), "valid", True),   # dilation, overlapping pools
    ((2, 10, 9, 8), (2, 2), 33, (1, 1), "same", (1, 1), (2, 2), (3, 3), "valid", True),     # even kernel, stride > pool
    ((1, 7, 7, 4), (5, 5), 16, (1, 1), "same", (1, 1), (3, 3), (3, 3), "same", True),       # 100 taps, runs of 4
    ((2, 6, 7, 1), (3, 3), 64, (1, 2), "same", (1, 1), (4, 2), (4, 1), "same", True),       # non-square pool/strides
    # Past 80 taps the weight gradient goes field by field (vectors over taps):
    ((4, 13, 13, 32), (3, 3), 64, (1, 1), "valid", (1, 1), (2, 2), (2, 2), "valid", True),  # the small CNN's 2nd, 2 threads
    ((2, 9, 8, 16), (3, 3), 24, (1, 1), "same", (2, 2), (3, 3), (2, 2), "same", False),     # dilation, padding
    ((1, 10, 9, 40), (3, 3), 7, (2, 1), "same", (1, 1), (2, 2), (1, 1), "valid", True),     # runs past 8 vectors, ragged
]
IDS = [f"{'x'.join(map(str, c[0]))}-k{c[1][0]}-co{c[2]}-s{c[3][0]}{c[3][1]}-{c[4]}-d{c[5][0]}-"
       f"p{c[6][0]}{c[6][1]}s{c[7][0]}{c[7][1]}{c[8]}{'' if c[9] else '-nobias'}" for c in CASES]


def pads_of(padding, x_shape, kernel, strides, dilation):
    if padding == "valid":
        return (0, 0), (0, 0)
    pads = []
    for length, k, s, d in zip(x_shape[1:3], kernel, strides, dilation):
        out = -(-length // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - length, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def small_ints(rng, shape, low, high):
    """Small integers as float32: every conv sum is exact in float32, so the argmax (ties included,
    and there are many) is the reference's, and the gradients can be compared tightly."""
    return rng.integers(low, high + 1, shape).astype(np.float32)


def make_case(rng, case):
    shape, kernel, c_out, strides, padding, dilation, pool, pool_strides, pool_padding, with_bias = case
    x = small_ints(rng, shape, -3, 3)
    w = small_ints(rng, (*kernel, shape[3], c_out), -2, 2)
    b = small_ints(rng, (c_out,), -2, 2) if with_bias else None
    conv = dict(strides=strides, padding=padding, dilation_rate=dilation)
    window = dict(pool_size=pool, pool_strides=pool_strides, pool_padding=pool_padding)
    ref_args = (strides, pads_of(padding, shape, kernel, strides, dilation), dilation, pool, pool_strides,
                pool_padding)
    return x, w, b, conv, window, ref_args


def fused_grads(x, w, b, g, conv, window, need_x=True):
    xt = ironnet.tensor(x, requires_grad=need_x)
    wt = ironnet.tensor(w, requires_grad=True)
    bt = None if b is None else ironnet.tensor(b, requires_grad=True)
    y = ops.conv2d_relu_max_pool2d(xt, wt, bt, **conv, **window)
    ops.sum(ops.mul(y, ironnet.tensor(g))).backward()
    return y.numpy(), xt.grad, wt.grad.numpy(), None if bt is None else bt.grad.numpy()


def test_reference_by_finite_differences(rng):
    x = rng.standard_normal((2, 7, 6, 2))
    w = rng.standard_normal((3, 3, 2, 3))
    b = rng.standard_normal(3) * 0.1
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), (3, 3), (2, 2), "same")
    g = rng.standard_normal(conv_relu_max_pool(x, w, b, *args).shape)
    dx, dw, db = conv_relu_max_pool_vjp(x, w, b, g, *args)
    for value, grad, loss in ((x, dx, lambda v: np.sum(g * conv_relu_max_pool(v, w, b, *args))),
                              (w, dw, lambda v: np.sum(g * conv_relu_max_pool(x, v, b, *args))),
                              (b, db, lambda v: np.sum(g * conv_relu_max_pool(x, w, v, *args)))):
        np.testing.assert_allclose(grad, finite_difference(loss, value.copy()), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_reference(rng, cpu_isa, num_threads, case):
    x, w, b, conv, window, ref_args = make_case(rng, case)
    expected = conv_relu_max_pool(x, w, b, *ref_args)
    g = small_ints(rng, expected.shape, -4, 4)
    y, dx, dw, db = fused_grads(x, w, b, g, conv, window)
    np.testing.assert_array_equal(y, expected)
    assert (y == 0).any() and (y > 0).any()  # the relu mask matters on both sides
    dx_ref, dw_ref, db_ref = conv_relu_max_pool_vjp(x, w, b, g, *ref_args)
    np.testing.assert_allclose(dx.numpy(), dx_ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(dw, dw_ref, rtol=1e-5, atol=1e-4)
    if b is not None:
        np.testing.assert_allclose(db, db_ref, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_unfused_pair(rng, cpu_isa, num_threads, case):
    """Random (tie-free) values: the same float32 conv kernel, so the same argmax as the two ops."""
    _, w_int, b_int, conv, window, _ = make_case(rng, case)
    x = rng.standard_normal(case[0]).astype(np.float32)
    w = (w_int * 0.2).astype(np.float32)
    b = None if b_int is None else (b_int * 0.1).astype(np.float32)
    xt, wt = ironnet.tensor(x, requires_grad=True), ironnet.tensor(w, requires_grad=True)
    bt = None if b is None else ironnet.tensor(b, requires_grad=True)
    pooled = ops.max_pool2d(ops.conv2d(xt, wt, bt, activation="relu", **conv), window["pool_size"],
                            window["pool_strides"], window["pool_padding"])
    g = rng.standard_normal(pooled.shape).astype(np.float32)
    ops.sum(ops.mul(pooled, ironnet.tensor(g))).backward()
    y, dx, dw, db = fused_grads(x, w, b, g, conv, window)
    np.testing.assert_array_equal(y, pooled.numpy())
    np.testing.assert_allclose(dx.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dw, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    if b is not None:
        np.testing.assert_allclose(db, bt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_only_the_needed_gradients(rng):
    x, w, b, conv, window, ref_args = make_case(rng, CASES[1])
    g = small_ints(rng, conv_relu_max_pool(x, w, b, *ref_args).shape, -4, 4)
    _, dw_ref, db_ref = conv_relu_max_pool_vjp(x, w, b, g, *ref_args)
    _, dx, dw, db = fused_grads(x, w, b, g, conv, window, need_x=False)  # a first layer: no dx
    assert dx is None
    np.testing.assert_allclose(dw, dw_ref, rtol=1e-5, atol=1e-4)
    # A frozen kernel with a trainable bias: the bias gradient alone.
    xt, wt, bt = ironnet.tensor(x), ironnet.tensor(w), ironnet.tensor(b, requires_grad=True)
    y = ops.conv2d_relu_max_pool2d(xt, wt, bt, **conv, **window)
    ops.sum(ops.mul(y, ironnet.tensor(g))).backward()
    assert wt.grad is None
    np.testing.assert_allclose(bt.grad.numpy(), db_ref, rtol=1e-5, atol=1e-4)


def test_without_gradients_matches_reference(rng):
    x, w, b, conv, window, ref_args = make_case(rng, CASES[2])
    y = ops.conv2d_relu_max_pool2d(x, w, b, **conv, **window)  # NumPy inputs: no graph
    np.testing.assert_array_equal(y.numpy(), conv_relu_max_pool(x, w, b, *ref_args))


def impl(a):
    return ironnet.tensor(np.asarray(a))._impl


VALID = ((0, 0), (0, 0))


@pytest.mark.parametrize("x_shape,w_shape,b_shape,pool,pool_padding,error,match", [
    ((2, 8, 8), (3, 3, 1, 4), (4,), (2, 2), "valid", ValueError,
     r"conv2d_relu_max_pool2d: x must be 4-D \(N, H, W, C_in\), got \(2, 8, 8\)"),
    ((2, 8, 8, 3), (3, 3, 2, 4), (4,), (2, 2), "valid", ValueError,
     r"conv2d_relu_max_pool2d: x \(2, 8, 8, 3\) has 3 channels but the kernel \(3, 3, 2, 4\) expects 2"),
    ((2, 8, 8, 2), (3, 3, 2, 4), (5,), (2, 2), "valid", ValueError,
     r"conv2d_relu_max_pool2d: bias \(5,\) does not match the kernel's 4 filters"),
    ((1, 6, 6, 2), (3, 3, 2, 4), (4,), (5, 5), "valid", ValueError,
     r"conv2d_relu_max_pool2d: pool_size \(5, 5\) does not fit input \(1, 4, 4, 4\)"),
    ((1, 6, 6, 2), (3, 3, 2, 4), (4,), (0, 2), "valid", ValueError,
     r"conv2d_relu_max_pool2d: pool_size must be >= 1, got \(0, 2\)"),
    ((1, 6, 6, 2), (3, 3, 2, 4), (4,), (2, 2), "full", ValueError,
     r"conv2d_relu_max_pool2d: padding must be 'valid' or 'same', got 'full'"),
    ((1, 2, 6, 2), (3, 3, 2, 4), (4,), (2, 2), "valid", ValueError,
     r"conv2d_relu_max_pool2d: the kernel \(3, 3, 2, 4\) .* but x \(1, 2, 6, 2\) padded is only 2x6"),
])
def test_bad_inputs(x_shape, w_shape, b_shape, pool, pool_padding, error, match):
    x, w, b = (np.ones(s, np.float32) for s in (x_shape, w_shape, b_shape))
    with pytest.raises(error, match=match):
        _C.conv2d_relu_max_pool2d(impl(x), impl(w), impl(b), (1, 1), (1, 1), VALID, pool, (2, 2), pool_padding)


def test_bad_backward_inputs(rng):
    x, w = np.ones((1, 6, 6, 2), np.float32), np.ones((3, 3, 2, 4), np.float32)
    pooled, argmax = _C.conv2d_relu_max_pool2d(impl(x), impl(w), None, (1, 1), (1, 1), VALID, (2, 2), (2, 2), "valid")
    good = impl(np.ones((1, 2, 2, 4), np.float32))
    args = (impl(x), impl(w), (1, 1), (1, 1), VALID, (2, 2), (2, 2), "valid", True, True, True)
    with pytest.raises(ValueError, match=r"conv2d_relu_max_pool2d_backward: dpooled \(1, 3, 2, 4\) does not match "
                                         r"the pooled output \(1, 2, 2, 4\)"):
        _C.conv2d_relu_max_pool2d_backward(impl(np.ones((1, 3, 2, 4), np.float32)), pooled, argmax, *args)
    with pytest.raises(TypeError, match=r"conv2d_relu_max_pool2d_backward: argmax must be int32, got float32"):
        _C.conv2d_relu_max_pool2d_backward(good, pooled, good, *args)
    with pytest.raises(ValueError, match=r"conv2d_relu_max_pool2d_backward: pooled \(1, 2, 2\) does not match"):
        _C.conv2d_relu_max_pool2d_backward(good, impl(np.ones((1, 2, 2), np.float32)), argmax, *args)
