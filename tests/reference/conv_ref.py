"""NumPy float64 reference for 2-D convolution, NHWC with (kh, kw, C_in, C_out) kernels (Keras layouts).

Straight loops over the kernel taps: tap (i, j) sees the padded input shifted by (i * dilation_h,
j * dilation_w) and subsampled by the strides, so each tap is one (pixels, C_in) @ (C_in, C_out) product.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

Pair = Tuple[int, int]
Pads = Tuple[Pair, Pair]


def _tap_slices(i: int, j: int, out_hw: Pair, strides: Pair, dilation: Pair):
    """Index of tap (i, j)'s inputs, one per output pixel, in the padded input (N, Hp, Wp, C)."""
    (ho, wo), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return (slice(None), slice(i * dh, i * dh + (ho - 1) * sh + 1, sh), slice(j * dw, j * dw + (wo - 1) * sw + 1, sw))


def output_hw(x_shape, k_shape, strides: Pair, pads: Pads, dilation: Pair) -> Pair:
    hp = x_shape[1] + pads[0][0] + pads[0][1]
    wp = x_shape[2] + pads[1][0] + pads[1][1]
    return ((hp - dilation[0] * (k_shape[0] - 1) - 1) // strides[0] + 1,
            (wp - dilation[1] * (k_shape[1] - 1) - 1) // strides[1] + 1)


def conv2d_ref(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray], strides: Pair = (1, 1),
               pads: Pads = ((0, 0), (0, 0)), dilation: Pair = (1, 1)) -> np.ndarray:
    """y (N, Ho, Wo, C_out) = conv(x (N, H, W, C_in), w (kh, kw, C_in, C_out)) + b, in float64."""
    x64, w64 = np.asarray(x, np.float64), np.asarray(w, np.float64)
    xp = np.pad(x64, ((0, 0), pads[0], pads[1], (0, 0)))
    ho, wo = output_hw(x.shape, w.shape, strides, pads, dilation)
    y = np.zeros((x.shape[0], ho, wo, w.shape[3]))
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            y += xp[_tap_slices(i, j, (ho, wo), strides, dilation)] @ w64[i, j]
    return y if b is None else y + np.asarray(b, np.float64)


def conv2d_backward_ref(x: np.ndarray, w: np.ndarray, dy: np.ndarray, strides: Pair = (1, 1),
                        pads: Pads = ((0, 0), (0, 0)), dilation: Pair = (1, 1)):
    """(dx, dw, db) of sum(dy * conv2d_ref(x, w, b)), in float64."""
    x64, w64, g = (np.asarray(a, np.float64) for a in (x, w, dy))
    xp = np.pad(x64, ((0, 0), pads[0], pads[1], (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w64)
    out_hw = dy.shape[1:3]
    for i in range(w.shape[0]):
        for j in range(w.shape[1]):
            tap = _tap_slices(i, j, out_hw, strides, dilation)
            dw[i, j] = np.einsum("nhwc,nhwo->co", xp[tap], g)
            dxp[tap] += g @ w64[i, j].T
    h, wd = x.shape[1:3]
    dx = dxp[:, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + wd]
    return dx, dw, g.sum(axis=(0, 1, 2))
