"""Inputs shared by the image-augmentation tests: test_augmentation.py (CPU against the float64
reference) and test_cuda_image.py (CUDA against the CPU)."""
import numpy as np

from ironnet import ops

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
# (N, H, W, C): one pixel wide or high, odd sizes, several channels.
SHAPES = [(1, 5, 7, 1), (3, 11, 13, 3), (2, 1, 9, 2), (2, 6, 1, 1), (1, 17, 17, 5)]


def images(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def random_transforms(rng, n, h, w):
    """Rotations with some scale, shear and shifts that reach well outside the image."""
    t = ops.rotation_transforms(rng.uniform(-np.pi, np.pi, n), h, w).astype(np.float64)
    t[:, [0, 1, 3, 4]] *= rng.uniform(0.6, 1.6, (n, 4))
    t[:, [2, 5]] += rng.uniform(-1.5, 1.5, (n, 2)) * [w, h]
    return t.astype(np.float32)
