"""NumPy float64 reference for ironnet.ops.affine_warp and its backward (tests/test_augmentation.py).

Same conventions as the kernel: transform row [a0 a1 a2 b0 b1 b2] maps output pixel (column x,
row y) to the input location (a0 x + a1 y + a2, b0 x + b1 y + b2); every interpolation tap is an
integer index that the fill mode maps into the image (scipy/jax map_coordinates), a constant-mode
tap outside reads fill_value; nearest rounds half up.
"""
from __future__ import annotations

import numpy as np


def fix_index(i: np.ndarray, n: int, fill_mode: str):
    """(index mapped into [0, n), inside mask); the mask is False only for constant-mode taps outside."""
    inside = (i >= 0) & (i < n)
    if fill_mode == "constant":
        return np.clip(i, 0, n - 1), inside
    if fill_mode == "nearest":
        return np.clip(i, 0, n - 1), np.ones_like(inside)
    if fill_mode == "wrap":
        return i % n, np.ones_like(inside)
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a: period 2n
        r = i % (2 * n)
        return np.where(r < n, r, 2 * n - 1 - r), np.ones_like(inside)
    raise ValueError(fill_mode)


def taps(transform: np.ndarray, height: int, width: int, out_h: int, out_w: int, interpolation: str, fill_mode: str):
    """[(rows, cols, weights, inside)] for each tap; arrays of the output image's (out_h, out_w) shape."""
    a0, a1, a2, b0, b1, b2 = np.asarray(transform, np.float64)
    y, x = np.meshgrid(np.arange(out_h, dtype=np.float64), np.arange(out_w, dtype=np.float64), indexing="ij")
    sx, sy = a0 * x + a1 * y + a2, b0 * x + b1 * y + b2
    if interpolation == "nearest":
        cols, col_in = fix_index(np.floor(sx + 0.5).astype(np.int64), width, fill_mode)
        rows, row_in = fix_index(np.floor(sy + 0.5).astype(np.int64), height, fill_mode)
        return [(rows, cols, np.ones_like(sx), row_in & col_in)]
    x0, y0 = np.floor(sx), np.floor(sy)
    wx1, wy1 = sx - x0, sy - y0
    out = []
    for dy, wy in ((0, 1 - wy1), (1, wy1)):
        for dx, wx in ((0, 1 - wx1), (1, wx1)):
            rows, row_in = fix_index(y0.astype(np.int64) + dy, height, fill_mode)
            cols, col_in = fix_index(x0.astype(np.int64) + dx, width, fill_mode)
            out.append((rows, cols, wy * wx, row_in & col_in))
    return out


def affine_warp(x: np.ndarray, transforms: np.ndarray, interpolation: str = "bilinear", fill_mode: str = "reflect",
                fill_value: float = 0.0) -> np.ndarray:
    """x: (N, H, W, C), transforms: (N, 6) -> (N, H, W, C) float64."""
    x = np.asarray(x, np.float64)
    n, h, w, c = x.shape
    y = np.zeros_like(x)
    for i in range(n):
        for rows, cols, weight, inside in taps(transforms[i], h, w, h, w, interpolation, fill_mode):
            value = np.where(inside[..., None], x[i][rows, cols], fill_value)
            y[i] += weight[..., None] * value
    return y


def affine_warp_vjp(x_shape, transforms: np.ndarray, dy: np.ndarray, interpolation: str = "bilinear",
                    fill_mode: str = "reflect") -> np.ndarray:
    """d(sum(dy * affine_warp(x)))/dx: each dy pixel added onto the taps it read, with their weights."""
    n, h, w, c = x_shape
    dy = np.asarray(dy, np.float64)
    dx = np.zeros(x_shape)
    for i in range(n):
        for rows, cols, weight, inside in taps(transforms[i], h, w, dy.shape[1], dy.shape[2], interpolation, fill_mode):
            np.add.at(dx[i], (rows[inside], cols[inside]), (weight[..., None] * dy[i])[inside])
    return dx
