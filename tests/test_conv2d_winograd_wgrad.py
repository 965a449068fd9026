"""The Winograd F(2x2, 3x3) weight and bias gradient of a 3x3 stride-1 convolution (C_in and C_out >= 16, 1024+ output
pixels; cpp/kernels/cpu/conv2d.cpp has the rule), against the float64 reference at the GEMM path's tolerances.

Called through _C.conv2d_backward, so that dy can come with the relu's output (the mask is applied inside
the transform) and without dx, and through the layer (dx wanted: dW reads a masked copy of dy)."""
import numpy as np
import pytest

import ironnet
from ironnet import _C
from reference.conv_ref import conv2d_backward_ref, output_hw
from test_conv2d import check_forward_and_gradients, rand

# (N, H, W, C_in, C_out, ((top, bottom), (left, right))), every one with 1024+ output pixels (so the path runs).
WGRAD_CASES = [
    (1, 33, 35, 16, 16, ((1, 1), (1, 1))),   # batch 1, 'same', odd H and W: partial edge tiles
    (4, 19, 21, 20, 17, ((0, 0), (0, 0))),   # 'valid'; channels not a multiple of any vector width
    (4, 18, 17, 17, 33, ((2, 0), (0, 1))),   # asymmetric padding
    (52, 4, 3, 24, 19, ((1, 1), (2, 2))),    # tiny images: more padding than pixels
    (3, 29, 31, 16, 16, ((1, 1), (1, 1))),   # several chunks per thread, a short last one
    (9, 13, 13, 32, 64, ((0, 0), (0, 0))),   # the small CNN's second convolution, smaller batch
]


def case_id(case):
    n, h, w, ci, co, pads = case
    return f"{n}x{h}x{w}x{ci}-{co}-pad{pads[0][0]}{pads[0][1]}{pads[1][0]}{pads[1][1]}"


def impl(a: np.ndarray):
    return ironnet.tensor(a)._impl


@pytest.mark.parametrize("case", WGRAD_CASES, ids=case_id)
@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
@pytest.mark.parametrize("need_db", [True, False], ids=["db", "no_db"])
def test_winograd_weight_and_bias_grad(rng, cpu_isa, num_threads, case, relu, need_db):
    n, h, w, ci, co, pads = case
    x, k = rand(rng, (n, h, w, ci)), rand(rng, (3, 3, ci, co))
    ho, wo = output_hw(x.shape, k.shape, (1, 1), pads, (1, 1))
    dy = rand(rng, (n, ho, wo, co))
    # A relu output with about half its entries zero: dy flows only where it is positive.
    relu_y = np.maximum(rand(rng, dy.shape), 0).astype(np.float32) if relu else None
    dx, dw, db = _C.conv2d_backward(impl(dy), impl(x), impl(k), (1, 1), (1, 1), pads, False, True, need_db,
                                    impl(relu_y) if relu else None)
    assert dx is None and (db is not None) == need_db
    g = dy * (relu_y > 0) if relu else dy
    _, dw_ref, db_ref = conv2d_backward_ref(x, k, g, (1, 1), pads)
    pixels = n * ho * wo
    np.testing.assert_allclose(np.asarray(dw), dw_ref, rtol=1e-4, atol=1e-5 * np.sqrt(pixels))
    if need_db:
        np.testing.assert_allclose(np.asarray(db), db_ref, rtol=1e-4, atol=1e-5 * np.sqrt(pixels))


@pytest.mark.parametrize("case", WGRAD_CASES, ids=case_id)
def test_through_the_layer_with_dx(rng, cpu_isa, num_threads, case):
    """The layer's path: dx wanted, so dW and db read a relu-masked copy of dy (the one dx reads too)."""
    n, h, w, ci, co, pads = case
    check_forward_and_gradients(rng, (n, h, w, ci, 3, 3, co, (1, 1), pads, (1, 1)), relu=True)
