"""ops.conv2d / ops.conv1d (NHWC, one native op each way) against the float64 reference."""
import numpy as np
import pytest

import ironnet
from ironnet import _C
from ironnet.ops import conv1d, conv2d, conv_output_length
from reference.conv_ref import conv2d_backward_ref, conv2d_ref
from reference.matmul_grad_ref import finite_difference


def rand(rng, shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def same_pads(length, k, stride, dilation):
    out = -(-length // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - length, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, x_shape, k_shape, strides, dilation):
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return (same_pads(x_shape[1], k_shape[0], strides[0], dilation[0]),
                same_pads(x_shape[2], k_shape[1], strides[1], dilation[1]))
    return padding


# (N, H, W, C_in, kh, kw, C_out, strides, padding, dilation). C_in * kh * kw <= 80 runs the direct
# kernels, larger fields the GEMM path; the larger shapes span several chunks per thread.
CASES = [
    (2, 7, 9, 1, 3, 3, 5, (1, 1), "valid", (1, 1)),      # direct, C_out below one vector
    (1, 28, 28, 1, 3, 3, 32, (1, 1), "valid", (1, 1)),   # LeNet-like first layer, batch 1
    (3, 13, 11, 3, 3, 3, 37, (2, 2), "same", (1, 1)),    # direct, RGB, stride 2, borders, odd C_out
    (2, 9, 8, 3, 4, 4, 6, (1, 1), "same", (1, 1)),       # direct, even kernel 'same' (extra pad bottom/right)
    (2, 10, 9, 1, 5, 5, 17, (1, 2), "same", (2, 1)),     # direct, non-square stride and dilation
    (2, 8, 7, 16, 2, 2, 24, (1, 1), "same", (1, 1)),     # direct, 2x2 'same'
    (1, 12, 12, 32, 3, 3, 64, (1, 1), "same", (1, 1)),   # GEMM, batch 1: threads share each GEMM
    (3, 11, 10, 16, 3, 2, 40, (2, 1), ((0, 1), (2, 0)), (1, 2)),  # GEMM, explicit asymmetric pads
    (2, 9, 9, 8, 5, 5, 12, (2, 2), "valid", (1, 1)),     # GEMM, 5x5 stride 2
    (2, 15, 13, 12, 3, 3, 9, (1, 1), "same", (2, 2)),    # GEMM, dilation 2 'same'
    (2, 5, 7, 96, 1, 1, 33, (1, 1), "valid", (1, 1)),    # GEMM 1x1: x is the im2col matrix
    (2, 6, 6, 96, 1, 1, 8, (2, 2), "valid", (1, 1)),     # GEMM 1x1 stride 2: gathered, col2im
    (4, 30, 30, 16, 3, 3, 24, (1, 1), "same", (1, 1)),   # GEMM, many chunks per thread
    (3, 40, 40, 2, 3, 3, 16, (1, 1), "same", (1, 1)),    # direct (one vector of channels), many rows per thread
    (2, 9, 9, 2, 3, 3, 48, (1, 1), "same", (1, 1)),      # direct, a last block of whole vectors (AVX-512)
    (2, 11, 7, 8, 3, 3, 20, (2, 1), "same", (1, 1)),     # direct, K = 72
    (2, 11, 9, 9, 3, 3, 20, (1, 2), "valid", (1, 1)),    # GEMM, K = 81 just past the direct kernels
]


def case_id(case):
    n, h, w, ci, kh, kw, co, s, p, d = case
    pad = p if isinstance(p, str) else "explicit"
    return f"{n}x{h}x{w}x{ci}-k{kh}x{kw}x{co}-s{s[0]}{s[1]}-{pad}-d{d[0]}{d[1]}"


@pytest.mark.parametrize("geometry", [((1, 1), ((0, 0), (0, 0)), (1, 1)), ((2, 1), ((1, 0), (2, 1)), (1, 2))])
def test_reference_backward_by_finite_differences(rng, geometry):
    strides, pads, dilation = geometry
    x, w, b = rng.standard_normal((2, 5, 6, 2)), rng.standard_normal((2, 3, 2, 3)), rng.standard_normal(3)
    g = rng.standard_normal(conv2d_ref(x, w, b, strides, pads, dilation).shape)
    dx, dw, db = conv2d_backward_ref(x, w, g, strides, pads, dilation)
    loss = lambda xx, ww, bb: np.sum(g * conv2d_ref(xx, ww, bb, strides, pads, dilation))  # noqa: E731
    np.testing.assert_allclose(dx, finite_difference(lambda v: loss(v, w, b), x.copy()), atol=1e-6)
    np.testing.assert_allclose(dw, finite_difference(lambda v: loss(x, v, b), w.copy()), atol=1e-6)
    np.testing.assert_allclose(db, finite_difference(lambda v: loss(x, w, v), b.copy()), atol=1e-6)


def test_reference_forward_matches_a_single_pixel_by_hand(rng):
    x, w = rng.standard_normal((1, 4, 5, 2)), rng.standard_normal((2, 2, 2, 3))
    y = conv2d_ref(x, w, None, (2, 1), ((1, 0), (0, 1)), (1, 2))
    # Output (1, 0): input rows 2*1-1+{0,1} = {1, 2}, columns 0+{0,2}.
    expected = sum(x[0, 1 + i, 2 * j] @ w[i, j] for i in range(2) for j in range(2))
    np.testing.assert_allclose(y[0, 1, 0], expected)


def check_forward_and_gradients(rng, case, relu):
    n, h, w, ci, kh, kw, co, strides, padding, dilation = case
    x_np, w_np, b_np = rand(rng, (n, h, w, ci)), rand(rng, (kh, kw, ci, co)), rand(rng, (co,))
    x, k, b = (ironnet.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    y = conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation,
               activation="relu" if relu else None)
    assert y.grad_fn.name == "Conv2D"
    pads = explicit_pads(padding, x_np.shape, w_np.shape, strides, dilation)
    z = conv2d_ref(x_np, w_np, b_np, strides, pads, dilation)
    y_ref = np.maximum(z, 0) if relu else z
    depth = kh * kw * ci
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=1e-4, atol=1e-5 * np.sqrt(depth))
    g_np = rand(rng, y.shape)
    y.backward(ironnet.tensor(g_np))
    g_ref = g_np * (z > 0) if relu else g_np
    dx, dw, db = conv2d_backward_ref(x_np, w_np, g_ref, strides, pads, dilation)
    pixels = y.shape[0] * y.shape[1] * y.shape[2]
    np.testing.assert_allclose(x.grad.numpy(), dx, rtol=1e-4, atol=1e-5 * np.sqrt(kh * kw * co))
    np.testing.assert_allclose(k.grad.numpy(), dw, rtol=1e-4, atol=1e-5 * np.sqrt(pixels))
    np.testing.assert_allclose(b.grad.numpy(), db, rtol=1e-4, atol=1e-5 * np.sqrt(pixels))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_forward_and_gradients(rng, cpu_isa, num_threads, case):
    check_forward_and_gradients(rng, case, relu=False)


@pytest.mark.parametrize("case", [CASES[2], CASES[6], CASES[10], CASES[12], CASES[14], CASES[15]], ids=case_id)
def test_fused_relu(rng, cpu_isa, num_threads, case):
    check_forward_and_gradients(rng, case, relu=True)


@pytest.mark.parametrize("case", [CASES[1], CASES[12]], ids=case_id)
def test_thread_counts_agree(rng, case):
    n, h, w, ci, kh, kw, co, strides, padding, dilation = case
    x, k = rand(rng, (n, h, w, ci)), rand(rng, (kh, kw, ci, co))
    g = None
    results = []
    for threads in (1, 2, 3):
        ironnet.set_num_threads(threads)
        try:
            xt, kt = ironnet.tensor(x, requires_grad=True), ironnet.tensor(k, requires_grad=True)
            y = conv2d(xt, kt, strides=strides, padding=padding, dilation_rate=dilation)
            g = rand(rng, y.shape) if g is None else g
            y.backward(ironnet.tensor(g))
            results.append((y.numpy(), xt.grad.numpy(), kt.grad.numpy()))
        finally:
            ironnet.set_num_threads(2)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(a).max())))


def test_only_requested_gradients_are_computed(rng):
    x = ironnet.tensor(rand(rng, (2, 6, 6, 4)))
    k = ironnet.tensor(rand(rng, (3, 3, 4, 5)), requires_grad=True)
    b = ironnet.tensor(rand(rng, (5,)))
    conv2d(x, k, b).backward(ironnet.tensor(np.ones((2, 4, 4, 5), np.float32)))
    assert k.grad is not None and x.grad is None and b.grad is None
    dx, dk, db = _C.conv2d_backward(ironnet.tensor(np.ones((2, 4, 4, 5), np.float32))._impl, x._impl, k._impl,
                                    (1, 1), (1, 1), ((0, 0), (0, 0)), False, False, True)
    assert dx is None and dk is None
    np.testing.assert_allclose(np.asarray(ironnet.Tensor(db).numpy()), np.full(5, 32.0))


def test_without_bias_and_without_grad(rng):
    x, k = rand(rng, (1, 5, 5, 2)), rand(rng, (3, 3, 2, 4))
    y = conv2d(x, k, padding="same")
    assert y.grad_fn is None and y.shape == (1, 5, 5, 4)
    np.testing.assert_allclose(y.numpy(), conv2d_ref(x, k, None, pads=((1, 1), (1, 1))), rtol=1e-5, atol=1e-5)


def test_empty_batch(rng):
    k = ironnet.tensor(rand(rng, (3, 3, 2, 4)), requires_grad=True)
    y = conv2d(ironnet.tensor(np.zeros((0, 5, 5, 2), np.float32)), k)
    assert y.shape == (0, 3, 3, 4)
    y.backward(ironnet.tensor(np.zeros((0, 3, 3, 4), np.float32)))
    np.testing.assert_array_equal(k.grad.numpy(), np.zeros((3, 3, 2, 4)))


@pytest.mark.parametrize("relu", [False, True])
def test_no_input_channels_bias_gradient(rng, relu):
    """c_in = 0: y is the bias alone, so dbias is still the (relu-masked) sum of dy over the pixels."""
    x, k, dy = np.zeros((2, 5, 5, 0), np.float32), np.zeros((3, 3, 0, 4), np.float32), rand(rng, (2, 5, 5, 4))
    relu_y = rand(rng, dy.shape) if relu else None
    dx, dk, db = _C.conv2d_backward(ironnet.tensor(dy)._impl, ironnet.tensor(x)._impl, ironnet.tensor(k)._impl,
                                    (1, 1), (1, 1), ((1, 1), (1, 1)), True, True, True,
                                    None if relu_y is None else ironnet.tensor(relu_y)._impl)
    assert ironnet.Tensor(dx).shape == x.shape and ironnet.Tensor(dk).shape == k.shape
    masked = dy if relu_y is None else dy * (relu_y > 0)
    np.testing.assert_allclose(ironnet.Tensor(db).numpy(), masked.sum(axis=(0, 1, 2)), rtol=1e-5, atol=1e-5)


def test_small_graph_backward(rng):
    """loss = sum(g * conv2d(relu(conv2d(x, w1, b1, same)), w2, strides=2)): both layers' gradients."""
    x_np, w1_np, b1_np, w2_np = rand(rng, (2, 9, 9, 3)), rand(rng, (3, 3, 3, 8)), rand(rng, (8,)), rand(rng, (2, 2, 8, 4))
    x, w1, b1, w2 = (ironnet.tensor(a, requires_grad=True) for a in (x_np, w1_np, b1_np, w2_np))
    h = conv2d(x, w1, b1, padding="same", activation="relu")
    y = conv2d(h, w2, strides=2)
    g_np = rand(rng, y.shape)
    (y * ironnet.tensor(g_np)).sum().backward()
    same = ((1, 1), (1, 1))
    z1 = conv2d_ref(x_np, w1_np, b1_np, pads=same)
    h_ref = np.maximum(z1, 0)
    dh, dw2, _ = conv2d_backward_ref(h_ref, w2_np, g_np, strides=(2, 2))
    dx, dw1, db1 = conv2d_backward_ref(x_np, w1_np, dh * (z1 > 0), pads=same)
    for got, want in ((x.grad, dx), (w1.grad, dw1), (b1.grad, db1), (w2.grad, dw2)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", [CASES[2], CASES[7], CASES[9]], ids=case_id)
def test_matches_torch(rng, case):
    torch = pytest.importorskip("torch")
    n, h, w, ci, kh, kw, co, strides, padding, dilation = case
    x_np, w_np, b_np = rand(rng, (n, h, w, ci)), rand(rng, (kh, kw, ci, co)), rand(rng, (co,))
    x, k, b = (ironnet.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    y = conv2d(x, k, b, strides=strides, padding=padding, dilation_rate=dilation)
    (top, bottom), (left, right) = explicit_pads(padding, x_np.shape, w_np.shape, strides, dilation)
    xt = torch.tensor(x_np, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w_np, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b_np, dtype=torch.float64, requires_grad=True)
    padded = torch.nn.functional.pad(xt.permute(0, 3, 1, 2), (left, right, top, bottom))
    yt = torch.nn.functional.conv2d(padded, wt.permute(3, 2, 0, 1), bt, stride=strides, dilation=dilation)
    yt = yt.permute(0, 2, 3, 1)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = rand(rng, y.shape)
    y.backward(ironnet.tensor(g))
    yt.backward(torch.tensor(g, dtype=torch.float64))
    for got, want in ((x.grad, xt.grad), (k.grad, wt.grad), (b.grad, bt.grad)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


# ---- conv1d --------------------------------------------------------------------------------------

@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("n,length,ci,k,co,stride,dilation", [(2, 17, 3, 3, 5, 1, 1), (1, 30, 8, 5, 12, 2, 2),
                                                              (3, 9, 40, 2, 7, 1, 3), (2, 13, 32, 3, 6, 1, 2)])
def test_conv1d(rng, num_threads, padding, n, length, ci, k, co, stride, dilation):
    x_np, w_np, b_np = rand(rng, (n, length, ci)), rand(rng, (k, ci, co)), rand(rng, (co,))
    x, w, b = (ironnet.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    y = conv1d(x, w, b, strides=stride, padding=padding, dilation_rate=dilation)
    assert y.shape[1] == conv_output_length(length, k, stride, padding, dilation)
    left, right = {"valid": (0, 0), "causal": ((k - 1) * dilation, 0)}.get(
        padding, same_pads(length, k, stride, dilation))
    geometry = ((1, stride), ((0, 0), (left, right)), (1, dilation))
    z = conv2d_ref(x_np[:, None], w_np[None], b_np, *geometry)[:, 0]
    np.testing.assert_allclose(y.numpy(), z, rtol=1e-4, atol=1e-5 * np.sqrt(k * ci))
    g = rand(rng, y.shape)
    y.backward(ironnet.tensor(g))
    dx, dw, db = conv2d_backward_ref(x_np[:, None], w_np[None], g[:, None], *geometry)
    np.testing.assert_allclose(x.grad.numpy(), dx[:, 0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(w.grad.numpy(), dw[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.grad.numpy(), db, rtol=1e-4, atol=1e-4)


def test_conv1d_causal_sees_no_future(rng):
    x, w = rand(rng, (1, 12, 2)), rand(rng, (3, 2, 4))
    y = conv1d(x, w, padding="causal", dilation_rate=2).numpy()
    x2 = x.copy()
    x2[:, 7:] += 1.0  # change the future of step 6
    y2 = conv1d(x2, w, padding="causal", dilation_rate=2).numpy()
    np.testing.assert_array_equal(y[:, :7], y2[:, :7])
    assert not np.allclose(y[:, 7:], y2[:, 7:])


@pytest.mark.parametrize("length", [1, 7, 8, 28])
@pytest.mark.parametrize("k,stride,dilation", [(1, 1, 1), (3, 1, 1), (3, 2, 1), (4, 3, 2), (2, 2, 1)])
def test_conv_output_length_matches_the_op(rng, length, k, stride, dilation):
    for padding in ("valid", "same", "causal"):
        expected = conv_output_length(length, k, stride, padding, dilation)
        if expected < 1:
            continue
        y = conv1d(rand(rng, (1, length, 1)), rand(rng, (k, 1, 1)), strides=stride, padding=padding,
                   dilation_rate=dilation)
        assert y.shape[1] == expected
    assert conv_output_length(None, k, stride, "same", dilation) is None


# ---- errors --------------------------------------------------------------------------------------

def test_errors(rng):
    x, k = rand(rng, (2, 5, 5, 3)), rand(rng, (3, 3, 3, 4))
    with pytest.raises(ValueError, match=r"conv2d: x must be 4-D \(N, H, W, C_in\), got \(5, 5, 3\)"):
        conv2d(rand(rng, (5, 5, 3)), k)
    with pytest.raises(ValueError, match=r"conv2d: kernel must be 4-D \(kh, kw, C_in, C_out\), got \(3, 3, 3\)"):
        conv2d(x, rand(rng, (3, 3, 3)))
    with pytest.raises(TypeError, match=r"conv2d: x must be float32, got int32 \(2, 5, 5, 3\)"):
        conv2d(ironnet.tensor(np.zeros((2, 5, 5, 3), np.int32)), k)
    with pytest.raises(ValueError, match=r"conv2d: x \(2, 5, 5, 3\) has 3 channels but the kernel "
                                         r"\(3, 3, 2, 4\) expects 2"):
        conv2d(x, rand(rng, (3, 3, 2, 4)))
    with pytest.raises(ValueError, match=r"conv2d: the kernel \(3, 3, 3, 4\) with dilation \(3, 1\) spans 7x3 "
                                         r"but x \(2, 5, 5, 3\) padded is only 5x5"):
        conv2d(x, k, dilation_rate=(3, 1))
    with pytest.raises(ValueError, match=r"conv2d: the kernel \(6, 6, 3, 4\) .* padded is only 5x5"):
        conv2d(x, rand(rng, (6, 6, 3, 4)))
    with pytest.raises(ValueError, match=r"conv2d: bias \(3,\) does not match the kernel's 4 filters \(3, 3, 3, 4\)"):
        conv2d(x, k, rand(rng, (3,)))
    with pytest.raises(ValueError, match=r"conv2d: strides must be >= 1, got \(0, 1\)"):
        conv2d(x, k, strides=(0, 1))
    with pytest.raises(ValueError, match=r"conv2d: dilation_rate must be >= 1, got \(1, -1\)"):
        conv2d(x, k, dilation_rate=(1, -1))
    with pytest.raises(TypeError, match=r"conv2d: strides must be an int or a pair of ints, got 1.5"):
        conv2d(x, k, strides=1.5)
    with pytest.raises(ValueError, match=r"conv2d: padding must be >= 0, got \(\(0, 0\), \(-1, 0\)\)"):
        conv2d(x, k, padding=((0, 0), (-1, 0)))
    with pytest.raises(ValueError, match=r"conv2d: padding must be 'valid', 'same' or \(\(top, bottom\), "
                                         r"\(left, right\)\), got 'full'"):
        conv2d(x, k, padding="full")
    with pytest.raises(ValueError, match=r"conv2d: padding must be .* got \(1, 1\)"):
        conv2d(x, k, padding=(1, 1))
    with pytest.raises(ValueError, match=r"conv2d: activation must be None or 'relu'"):
        conv2d(x, k, activation="tanh")


def test_native_errors(rng):
    """What the Python wrapper checks early, the native op checks too (it is called directly by layers)."""
    x, k = ironnet.tensor(rand(rng, (2, 5, 5, 3)))._impl, ironnet.tensor(rand(rng, (3, 3, 3, 4)))._impl
    with pytest.raises(ValueError, match=r"conv2d: strides must be >= 1, got \(1, 0\)"):
        _C.conv2d(x, k, None, (1, 0), (1, 1), ((0, 0), (0, 0)), False)
    with pytest.raises(ValueError, match=r"conv2d: dilation_rate must be >= 1, got \(0, 1\)"):
        _C.conv2d(x, k, None, (1, 1), (0, 1), ((0, 0), (0, 0)), False)
    dy = ironnet.tensor(rand(rng, (2, 3, 4, 4)))._impl
    with pytest.raises(ValueError, match=r"conv2d_backward: dy \(2, 3, 4, 4\) does not match the output "
                                         r"\(2, 3, 3, 4\) of x \(2, 5, 5, 3\) and kernel \(3, 3, 3, 4\)"):
        _C.conv2d_backward(dy, x, k, (1, 1), (1, 1), ((0, 0), (0, 0)), True, True, True)
    dy = ironnet.tensor(rand(rng, (2, 3, 3, 4)))._impl
    with pytest.raises(ValueError, match=r"conv2d_backward: relu output \(2, 3, 4, 4\) does not match dy "
                                         r"\(2, 3, 3, 4\)"):
        _C.conv2d_backward(dy, x, k, (1, 1), (1, 1), ((0, 0), (0, 0)), True, True, True,
                           ironnet.tensor(rand(rng, (2, 3, 4, 4)))._impl)


def test_conv1d_errors(rng):
    x, k = rand(rng, (2, 9, 3)), rand(rng, (3, 3, 4))
    with pytest.raises(ValueError, match=r"conv1d: x must be 3-D \(N, L, C_in\), got \(2, 9, 3, 1\)"):
        conv1d(rand(rng, (2, 9, 3, 1)), k)
    with pytest.raises(ValueError, match=r"conv1d: kernel must be 3-D \(k, C_in, C_out\), got \(3, 4\)"):
        conv1d(x, rand(rng, (3, 4)))
    with pytest.raises(ValueError, match=r"conv1d: padding must be 'valid', 'same' or 'causal', got 'full'"):
        conv1d(x, k, padding="full")
    with pytest.raises(ValueError, match=r"conv1d: strides must be >= 1, got 0"):
        conv1d(x, k, strides=0)
    with pytest.raises(ValueError, match=r"conv2d: x \(2, 1, 9, 3\) has 3 channels but the kernel "
                                         r"\(1, 3, 2, 4\) expects 2"):
        conv1d(x, rand(rng, (3, 2, 4)))
    with pytest.raises(ValueError, match=r"conv_output_length: padding must be 'valid', 'same' or 'causal'"):
        conv_output_length(10, 3, 1, "full", 1)
