"""conv2d and the fused conv2d + relu + max_pool2d on CUDA against the CPU (tests/cuda_parity.py): forward,
every gradient, each subset of gradients asked for, and mixed devices refused. Shapes cover 1x1, 3x3 and
5x5 kernels, strides 1 and 2, 'valid' / 'same' / explicit padding, dilation, channel counts that are not
multiples of the GPU's 128 x 64 tiles (1, 3, 17, 64, 130), batches of 1 and 5, 1x1 and odd images, and sizes
that need several tiles and a split reduction (the weight gradient over many output pixels)."""
from __future__ import annotations

import numpy as np
import pytest

import ironnet
import ironnet.ops.conv as conv_ops
from cuda_parity import assert_cuda_matches_cpu, assert_grads_match, on_device, to_host

pytestmark = pytest.mark.cuda

# (name, N, H, W, C_in, C_out, kh, kw, strides, padding, dilation)
CASES = [
    ("1x1", 2, 5, 7, 3, 17, 1, 1, 1, "valid", 1),
    ("1x1-stride2", 5, 9, 8, 17, 3, 1, 1, 2, "same", 1),
    ("3x3-same", 5, 11, 9, 3, 17, 3, 3, 1, "same", 1),
    ("3x3-valid", 1, 13, 7, 17, 64, 3, 3, 1, "valid", 1),
    ("3x3-stride2-same", 5, 12, 9, 17, 3, 3, 3, 2, "same", 1),
    ("3x3-stride2-valid", 2, 9, 10, 1, 17, 3, 3, 2, "valid", 1),
    ("3x3-explicit", 2, 7, 6, 3, 5, 3, 3, 1, ((2, 0), (1, 3)), 1),
    ("3x3-dilation2", 2, 13, 11, 5, 17, 3, 3, 1, "same", 2),
    ("3x3-dilation-stride", 1, 15, 14, 3, 7, 3, 3, (2, 1), ((1, 2), (3, 0)), (2, 3)),
    ("5x5-same", 5, 9, 9, 3, 64, 5, 5, 1, "same", 1),
    ("5x5-stride2", 2, 17, 13, 17, 17, 5, 5, 2, "valid", 1),
    ("5x3-rect", 2, 10, 11, 4, 6, 5, 3, (1, 2), "same", 1),
    ("1x1-image", 5, 1, 1, 17, 3, 1, 1, 1, "valid", 1),
    ("3x3-on-1x1-image", 1, 1, 1, 3, 17, 3, 3, 1, "same", 1),
    ("stride-beyond-kernel", 2, 11, 11, 3, 5, 2, 2, 3, "valid", 1),
    ("channels-64-to-130", 1, 9, 9, 64, 130, 3, 3, 1, "same", 1),
    ("channels-130-to-1", 1, 6, 5, 130, 1, 3, 3, 1, "same", 1),
    ("many-pixels", 5, 33, 31, 3, 17, 3, 3, 1, "same", 1),  # 5115 output pixels: several dkernel slices
]


def _arrays(rng, case):
    _, n, h, w, c_in, c_out, kh, kw, *_ = case
    x = rng.uniform(-1, 1, (n, h, w, c_in)).astype(np.float32)
    kernel = (rng.uniform(-1, 1, (kh, kw, c_in, c_out)) / np.sqrt(kh * kw * c_in)).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, c_out).astype(np.float32)
    return x, kernel, bias


def _grad_atol(n, h, w):
    """Absolute tolerance of gradients summed over ~n * h * w pixels: float32 rounding grows with sqrt(terms)."""
    return 1e-4 * max(1.0, np.sqrt(n * h * w / 1000))


def _conv(strides, padding, dilation, relu):
    def conv2d(x, kernel, bias=None):
        return ironnet.ops.conv2d(x, kernel, bias, strides=strides, padding=padding, dilation_rate=dilation,
                                  activation="relu" if relu else None)

    return conv2d


@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_conv2d_forward(rng, case, relu):
    x, kernel, bias = _arrays(rng, case)
    assert_cuda_matches_cpu(_conv(*case[8:], relu), [x, kernel, bias], rtol=1e-4, atol=1e-5)
    assert_cuda_matches_cpu(_conv(*case[8:], relu), [x, kernel], rtol=1e-4, atol=1e-5)  # no bias


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_conv2d_gradients(rng, case):
    x, kernel, bias = _arrays(rng, case)
    assert_grads_match(_conv(*case[8:], False), [x, kernel, bias], rtol=1e-4, atol=_grad_atol(*x.shape[:3]))


# Through autograd with relu, each device masks dy by its own forward output: an output within rounding of 0
# could be masked on one device only, so these few small cases keep that chance negligible, and
# test_conv2d_backward_relu_masked covers every case with one mask shared by both devices.
@pytest.mark.parametrize("case", [CASES[2], CASES[5], CASES[8]], ids=[CASES[i][0] for i in (2, 5, 8)])
def test_conv2d_relu_gradients(rng, case):
    x, kernel, bias = _arrays(rng, case)
    assert_grads_match(_conv(*case[8:], True), [x, kernel, bias], rtol=1e-4, atol=_grad_atol(*x.shape[:3]))


def _native_backward(device, dy, x, kernel, geometry, need, relu_y=None):
    """conv2d_backward's (dx, dkernel, dbias) on `device` for geometry (strides, dilation, pads), None where
    not asked for."""
    impl = lambda a: on_device(a, device)._impl  # noqa: E731
    grads = ironnet._C.conv2d_backward(impl(dy), impl(x), impl(kernel), *geometry, *need,
                                       None if relu_y is None else impl(relu_y))
    return [None if g is None else to_host(ironnet.Tensor(g)) for g in grads]


@pytest.mark.parametrize("need", [(True, False, False), (False, True, False), (False, False, True),
                                  (False, True, True), (True, True, True)], ids=str)
@pytest.mark.parametrize("masked", [False, True], ids=["dy", "relu-masked-dy"])
def test_conv2d_backward_computes_only_what_is_asked(rng, need, masked):
    x = rng.uniform(-1, 1, (3, 8, 9, 5)).astype(np.float32)
    kernel = rng.uniform(-1, 1, (3, 2, 5, 7)).astype(np.float32)
    geometry = ((2, 1), (1, 2), ((1, 1), (2, 0)))
    y = to_host(ironnet.ops.conv2d(x, kernel, strides=(2, 1), padding=((1, 1), (2, 0)), dilation_rate=(1, 2)))
    dy = rng.uniform(-1, 1, y.shape).astype(np.float32)
    relu_y = np.maximum(y, 0) if masked else None
    cpu = _native_backward("cpu", dy, x, kernel, geometry, need, relu_y)
    gpu = _native_backward("cuda", dy, x, kernel, geometry, need, relu_y)
    for name, c, g, asked in zip(("dx", "dkernel", "dbias"), cpu, gpu, need):
        assert (g is not None) == asked, name
        if asked:
            np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_conv2d_backward_relu_masked(rng, case):
    """dx, dkernel and dbias of every case with dy masked by one relu output (the CPU's) on both devices."""
    x, kernel, bias = _arrays(rng, case)
    strides, padding, dilation = case[8:]
    relu_y = to_host(_conv(strides, padding, dilation, True)(on_device(x, "cpu"), on_device(kernel, "cpu"),
                                                             on_device(bias, "cpu")))
    dy = rng.uniform(-1, 1, relu_y.shape).astype(np.float32)
    stride_hw = conv_ops._pair(strides, "conv2d", "strides")
    dilation_hw = conv_ops._pair(dilation, "conv2d", "dilation_rate")
    geometry = (stride_hw, dilation_hw, conv_ops._pads(padding, x, kernel, stride_hw, dilation_hw))
    cpu = _native_backward("cpu", dy, x, kernel, geometry, (True, True, True), relu_y)
    gpu = _native_backward("cuda", dy, x, kernel, geometry, (True, True, True), relu_y)
    for name, c, g in zip(("dx", "dkernel", "dbias"), cpu, gpu):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=_grad_atol(*x.shape[:3]), err_msg=name)


@pytest.mark.parametrize("n, c_in, c_out", [(0, 3, 4), (2, 0, 4), (2, 3, 0)], ids=["batch0", "c_in0", "c_out0"])
def test_conv2d_empty_batch_and_channels(rng, n, c_in, c_out):
    """Empty sizes: outputs of bias alone (no input channels), zero gradients (no pixels), empty tensors."""
    x = rng.uniform(-1, 1, (n, 5, 5, c_in)).astype(np.float32)
    kernel = rng.uniform(-1, 1, (3, 3, c_in, c_out)).astype(np.float32)
    bias = rng.uniform(-1, 1, c_out).astype(np.float32)
    assert_cuda_matches_cpu(_conv(1, "same", 1, False), [x, kernel, bias])
    dy = rng.uniform(-1, 1, (n, 5, 5, c_out)).astype(np.float32)
    geometry = ((1, 1), (1, 1), ((1, 1), (1, 1)))
    cpu = _native_backward("cpu", dy, x, kernel, geometry, (True, True, True))
    gpu = _native_backward("cuda", dy, x, kernel, geometry, (True, True, True))
    for name, c, g in zip(("dx", "dkernel", "dbias"), cpu, gpu):
        assert g.shape == c.shape, name
        np.testing.assert_allclose(g, c, rtol=1e-5, atol=1e-5, err_msg=name)


def test_conv2d_large_batch_gradients(rng):
    """Output pixels over a grid of 128-row tiles and the bias/kernel reductions split in many slices."""
    x = rng.uniform(-1, 1, (32, 24, 24, 8)).astype(np.float32)
    kernel = (rng.uniform(-1, 1, (3, 3, 8, 16)) / 8).astype(np.float32)
    bias = rng.uniform(-1, 1, 16).astype(np.float32)
    assert_grads_match(_conv(1, "same", 1, False), [x, kernel, bias], rtol=1e-4, atol=_grad_atol(*x.shape[:3]))


def test_conv2d_is_deterministic(rng):
    x = on_device(rng.uniform(-1, 1, (16, 20, 20, 8)).astype(np.float32), "cuda")
    kernel = on_device(rng.uniform(-1, 1, (3, 3, 8, 16)).astype(np.float32), "cuda")
    dy = on_device(rng.uniform(-1, 1, (16, 20, 20, 16)).astype(np.float32), "cuda")
    runs = [ironnet._C.conv2d_backward(dy._impl, x._impl, kernel._impl, (1, 1), (1, 1), ((1, 1), (1, 1)), True,
                                       True, True) for _ in range(2)]
    for first, second in zip(*runs):
        np.testing.assert_array_equal(to_host(ironnet.Tensor(first)), to_host(ironnet.Tensor(second)))


# --- fused conv2d + relu + max_pool2d -----------------------------------------------------------------

POOL_CASES = [
    # (name, conv case index, pool_size, pool_strides, pool_padding)
    ("2x2", 2, 2, None, "valid"),
    ("3x3-stride2-same", 3, 3, 2, "same"),
    ("overlapping", 7, (3, 2), 1, "valid"),
    ("strided-conv", 4, 2, None, "same"),
]


def _conv_pool(strides, padding, dilation, pool, pool_strides, pool_padding):
    def conv2d_relu_max_pool2d(x, kernel, bias):
        return ironnet.ops.conv2d_relu_max_pool2d(x, kernel, bias, strides=strides, padding=padding,
                                                  dilation_rate=dilation, pool_size=pool, pool_strides=pool_strides,
                                                  pool_padding=pool_padding)

    return conv2d_relu_max_pool2d


@pytest.mark.parametrize("pool_case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_conv2d_relu_max_pool2d(rng, pool_case):
    _, index, pool, pool_strides, pool_padding = pool_case
    x, kernel, bias = _arrays(rng, CASES[index])
    fn = _conv_pool(*CASES[index][8:], pool, pool_strides, pool_padding)
    assert_cuda_matches_cpu(fn, [x, kernel, bias], rtol=1e-4, atol=1e-5)
    assert_grads_match(fn, [x, kernel, bias], rtol=1e-4, atol=_grad_atol(*x.shape[:3]))


def test_conv2d_relu_max_pool2d_argmax_matches(rng):
    """The argmax the backward consumes is the CPU's, ties included: integer inputs make many, and their
    sums are exact on both devices (a 2x3 kernel: no Winograd transform on the CPU to round them)."""
    x = rng.integers(-2, 3, (2, 9, 8, 3)).astype(np.float32)
    kernel = rng.integers(-1, 2, (2, 3, 3, 5)).astype(np.float32)

    def fused(x, kernel):
        pooled, argmax = ironnet._C.conv2d_relu_max_pool2d(x._impl, kernel._impl, None, (1, 1), (1, 1),
                                                           ((1, 1), (1, 1)), (2, 2), (2, 2), "same")
        return ironnet.Tensor(pooled), ironnet.Tensor(argmax)

    assert_cuda_matches_cpu(fused, [x, kernel], rtol=0, atol=0)


# --- devices ------------------------------------------------------------------------------------------


def test_mixed_devices_are_refused(rng):
    x, kernel, bias = _arrays(rng, CASES[2])
    gx, gk, gb = (on_device(a, "cuda") for a in (x, kernel, bias))
    cx, ck, cb = (on_device(a, "cpu") for a in (x, kernel, bias))
    mixed = r"tensors are on different devices: .*(cuda.*cpu|cpu.*cuda)"
    with pytest.raises(ValueError, match="^conv2d: " + mixed):
        ironnet.ops.conv2d(gx, ck, padding="same")
    with pytest.raises(ValueError, match="^conv2d: " + mixed):
        ironnet.ops.conv2d(gx, gk, cb, padding="same")
    with pytest.raises(ValueError, match="^conv2d_relu_max_pool2d: " + mixed):
        ironnet.ops.conv2d_relu_max_pool2d(cx, gk, gb)
    dy = on_device(np.zeros((5, 9, 7, 17), np.float32), "cpu")
    with pytest.raises(ValueError, match="^conv2d_backward: " + mixed):
        ironnet._C.conv2d_backward(dy._impl, gx._impl, gk._impl, (1, 1), (1, 1), ((0, 0), (0, 0)), True, True, True)
    pooled, argmax = ironnet._C.conv2d_relu_max_pool2d(gx._impl, gk._impl, None, (1, 1), (1, 1), ((1, 1), (1, 1)),
                                                       (2, 2), (2, 2), "valid")
    dpooled = on_device(np.zeros(ironnet.Tensor(pooled).shape, np.float32), "cpu")
    with pytest.raises(ValueError, match="^conv2d_relu_max_pool2d_backward: " + mixed):
        ironnet._C.conv2d_relu_max_pool2d_backward(dpooled._impl, pooled, argmax, gx._impl, gk._impl, (1, 1), (1, 1),
                                                   ((1, 1), (1, 1)), (2, 2), (2, 2), "valid", True, True, True)
