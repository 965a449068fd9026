"""The Winograd F(2x2, 3x3) path of ops.conv2d (3x3, stride 1, dilation 1, C_in and C_out >= 16, 160+ tiles; see
cpp/kernels/cpu/conv2d.cpp), forward and the input gradient (a stride-1 convolution of dy that runs on
the same path), against the float64 reference at the GEMM path's tolerances."""
import pytest

from test_conv2d import case_id, check_forward_and_gradients

# (N, H, W, C_in, kh, kw, C_out, strides, padding, dilation), every one selecting the Winograd path for
# the forward and for dx (at least 160 2x2 output tiles of each; conv2d.cpp has the rule).
WINOGRAD_CASES = [
    (1, 25, 27, 16, 3, 3, 16, (1, 1), "same", (1, 1)),            # batch 1, odd H and W: partial edge tiles
    (2, 19, 21, 20, 3, 3, 17, (1, 1), "valid", (1, 1)),           # channels not a multiple of any vector width
    (3, 18, 17, 17, 3, 3, 33, (1, 1), ((2, 0), (0, 1)), (1, 1)),  # asymmetric pads, one of 2 (dx: none there)
    (40, 4, 3, 24, 3, 3, 19, (1, 1), ((1, 1), (2, 2)), (1, 1)),   # tiny images: more padding than pixels
    (3, 29, 31, 16, 3, 3, 16, (1, 1), "same", (1, 1)),            # several chunks per thread, a short last one
    (4, 14, 14, 32, 3, 3, 64, (1, 1), "same", (1, 1)),            # the benchmark's 32 -> 64 layer, smaller batch
]


@pytest.mark.parametrize("case", WINOGRAD_CASES, ids=case_id)
@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
def test_winograd_forward_and_gradients(rng, cpu_isa, num_threads, case, relu):
    check_forward_and_gradients(rng, case, relu=relu)
