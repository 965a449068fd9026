"""Cases shared by the pooling tests: test_pooling.py (CPU against the float64 references) and
test_cuda_pooling.py (CUDA against the CPU); each adds a few of its own."""
import numpy as np

# (x shape (N, H, W, C), pool, strides, padding): odd sizes, "same" with pool 3 stride 2, overlapping
# windows (stride 1), non-square pools and strides, stride > pool (skipped input), batch 1, C = 1, 3,
# 17, 64, windows with a single real element, windows clipped by padding on every side.
CASES = [
    ((2, 4, 4, 3), (2, 2), (2, 2), "valid"),
    ((1, 7, 9, 17), (2, 2), (2, 2), "valid"),
    ((2, 8, 8, 17), (3, 3), (2, 2), "same"),
    ((1, 6, 5, 3), (3, 3), (1, 1), "valid"),
    ((2, 5, 6, 17), (3, 2), (1, 1), "same"),
    ((1, 9, 11, 64), (2, 3), (3, 2), "valid"),
    ((2, 10, 7, 3), (2, 2), (3, 3), "valid"),
    ((1, 5, 5, 3), (4, 4), (3, 3), "same"),
    ((1, 3, 3, 17), (1, 1), (2, 2), "same"),
    ((2, 1, 13, 3), (1, 4), (1, 3), "same"),
]


def case_ids(cases):
    """A readable test id per case: 2x4x4x3-p22-s22-valid."""
    return [f"{'x'.join(map(str, s))}-p{p[0]}{p[1]}-s{st[0]}{st[1]}-{pad}" for s, p, st, pad in cases]


def distinct(rng, shape):
    """float32 values with no ties (a random permutation), so every window's maximum and its gradient
    are unambiguous."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0).astype(np.float32)
