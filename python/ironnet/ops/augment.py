"""Image augmentation ops on channels_last batches (N, H, W, C): per-image affine warps and flips.

A transform row [a0 a1 a2 b0 b1 b2] maps each OUTPUT pixel (column x, row y) to the INPUT location
(a0 x + a1 y + a2, b0 x + b1 y + b2) that it reads - the TF/Keras output -> input convention.
The warp is linear in x: its backward is the native transpose (a scatter-add with the same
weights); no gradient flows to the transforms. A flip is its own inverse, hence its own backward.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _C, devices
from ..autograd import Context, Function
from ..tensor import Tensor


def _check_tensor(x: Any, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: x must be an ironnet Tensor (N, H, W, C), got {type(x).__name__}")


def _float_rows(values: Any, device: str) -> "_C.TensorImpl":
    """A float32 native tensor from a Tensor or array-like (copied to `device`, the images'; shapes are
    checked natively)."""
    if isinstance(values, Tensor):
        return values._impl
    return devices.from_host(values, device)._impl


def _flags(values: Any, n: int, op: str, name: str, device: str) -> "_C.TensorImpl":
    """One int64 flag per image from booleans (a bool broadcasts to every image), on `device`."""
    flags = np.asarray(values)
    if flags.dtype != bool:
        raise TypeError(f"{op}: {name} must hold booleans, one per image, got dtype {flags.dtype}")
    if flags.ndim == 0:
        flags = np.full(n, bool(flags))
    return devices.from_host(flags, device, np.int64)._impl


def affine_warp(x: Tensor, transforms: Any, interpolation: str = "bilinear", fill_mode: str = "reflect",
                fill_value: float = 0.0) -> Tensor:
    """x: (N, H, W, C) resampled through transforms: (N, 6), one output -> input affine map per image.

    interpolation: "bilinear" | "nearest" (rounds half up); fill_mode for reads outside the image:
    "reflect" (d c b a | a b c d | d c b a), "wrap", "constant" (fill_value) or "nearest" (edge).
    Returns (N, H, W, C); differentiable with respect to x.
    """
    _check_tensor(x, "affine_warp")
    t = _float_rows(transforms, x.device)
    if not x.requires_grad:
        return Tensor(_C.affine_warp(x._impl, t, interpolation, fill_mode, fill_value))
    return AffineWarp.apply(x, t, interpolation, fill_mode, fill_value)


def flip(x: Tensor, horizontal: Any, vertical: Any) -> Tensor:
    """x: (N, H, W, C) with image n mirrored left-right where horizontal[n] and upside-down where
    vertical[n] (horizontal, vertical: (N,) booleans, or one bool for every image). Differentiable."""
    _check_tensor(x, "flip")
    n = x.shape[0] if x.ndim > 0 else 0
    h, v = (_flags(horizontal, n, "flip", "horizontal", x.device),
            _flags(vertical, n, "flip", "vertical", x.device))
    if not x.requires_grad:
        return Tensor(_C.flip(x._impl, h, v))
    return Flip.apply(x, h, v)


def rotation_transforms(angles: np.ndarray, height: int, width: int) -> np.ndarray:
    """(N, 6) float32 transforms rotating each image by angles[n] radians (counter-clockwise as shown
    with row 0 at the top; Keras's matrix) about its centre ((width - 1) / 2, (height - 1) / 2)."""
    angles = np.asarray(angles, dtype=np.float64)
    cos, sin = np.cos(angles), np.sin(angles)
    x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2.0
    y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2.0
    return np.stack([cos, -sin, x_offset, sin, cos, y_offset], axis=1).astype(np.float32)


def translation_transforms(down: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(N, 6) float32 transforms moving each image's content down[n] rows and right[n] columns (in
    pixels, fractional allowed; negative moves it up / left)."""
    down, right = np.asarray(down, dtype=np.float64), np.asarray(right, dtype=np.float64)
    ones, zeros = np.ones_like(down), np.zeros_like(down)
    return np.stack([ones, zeros, -right, zeros, ones, -down], axis=1).astype(np.float32)


class AffineWarp(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, transforms: "_C.TensorImpl", interpolation: str, fill_mode: str,
                fill_value: float) -> Tensor:
        ctx.transforms, ctx.interpolation, ctx.fill_mode, ctx.input_shape = transforms, interpolation, fill_mode, x.shape
        return Tensor(_C.affine_warp(x._impl, transforms, interpolation, fill_mode, fill_value))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        dx = Tensor(_C.affine_warp_backward(grad._impl, ctx.transforms, list(ctx.input_shape), ctx.interpolation,
                                            ctx.fill_mode))
        return dx, None, None, None, None


class Flip(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, horizontal: "_C.TensorImpl", vertical: "_C.TensorImpl") -> Tensor:
        ctx.horizontal, ctx.vertical = horizontal, vertical
        return Tensor(_C.flip(x._impl, horizontal, vertical))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return Tensor(_C.flip(grad._impl, ctx.horizontal, ctx.vertical)), None, None
