"""Image augmentation layers (keras.layers RandomFlip, RandomRotation, RandomTranslation), channels_last.

Active only when called with training=True, each call drawing fresh parameters per image; the
identity (the same tensor) at inference. A `seed` gives the layer its own generator, so runs
repeat; without one, draws come from ironnet's global generator (ironnet.random).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .. import ops
from .. import random as ir_random
from ..tensor import Tensor
from .base import Layer, Shape

Factor = Union[float, Sequence[float]]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _factor_range(layer: str, name: str, factor: Any) -> Tuple[float, float]:
    """(lower, upper) from a float f (meaning (-|f|, |f|)) or a pair, each within [-1, 1]."""
    is_number = lambda v: isinstance(v, Real) and not isinstance(v, bool)  # noqa: E731
    if is_number(factor):
        lower, upper = -abs(float(factor)), abs(float(factor))
    elif isinstance(factor, (list, tuple)) and len(factor) == 2 and all(map(is_number, factor)):
        lower, upper = float(factor[0]), float(factor[1])
    else:
        raise ValueError(f"{layer}: {name} must be a float or a (lower, upper) pair, got {factor!r}")
    if not (-1.0 <= lower <= 1.0 and -1.0 <= upper <= 1.0):
        raise ValueError(f"{layer}: {name} must lie in [-1, 1], got {factor!r}")
    if lower > upper:
        raise ValueError(f"{layer}: {name} has lower bound {lower} > upper bound {upper}")
    return lower, upper


def _choice(layer: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{layer}: unknown {name} {value!r}; expected one of {', '.join(map(repr, allowed))}")
    return value


class _RandomImageLayer(Layer):
    """Shared by the augmentation layers: the generator, the training switch, and single images
    (H, W, C) handled as a batch of one. Subclasses implement `_augment(x (N, H, W, C), rng)`."""

    def __init__(self, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = ir_random.generator(seed) if seed is not None else None

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        raise NotImplementedError

    def build(self, input_shape: Shape) -> None:
        self._check_rank(input_shape)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        self._check_rank(inputs.shape)
        if not training:
            return inputs
        rng = self._rng if self._rng is not None else ir_random.generator()
        if inputs.ndim == 3:  # one image
            return ops.reshape(self._augment(ops.reshape(inputs, (1, *inputs.shape)), rng), inputs.shape)
        return self._augment(inputs, rng)

    def _check_rank(self, shape: Shape) -> None:
        if len(shape) not in (3, 4):
            raise ValueError(
                f"{self.name} ({type(self).__name__}): expects images (N, H, W, C) or one image (H, W, C), "
                f"channels_last; got shape {tuple(shape)}"
            )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(_RandomImageLayer):
    """Flips each image left-right and/or upside-down, each with probability 1/2 per direction.

    mode: "horizontal_and_vertical" | "horizontal" (left-right) | "vertical" (upside-down).
    inputs: (N, H, W, C) or (H, W, C); differentiable (the gradient is flipped back)."""

    MODES = ("horizontal_and_vertical", "horizontal", "vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.mode = _choice("RandomFlip", "mode", mode, self.MODES)

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        n = images.shape[0]
        never = np.zeros(n, dtype=bool)
        horizontal = rng.random(n) < 0.5 if self.mode != "vertical" else never
        vertical = rng.random(n) < 0.5 if self.mode != "horizontal" else never
        return ops.flip(images, horizontal, vertical)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}


class _RandomWarpLayer(_RandomImageLayer):
    """A random per-image affine warp: subclasses draw the (N, 6) transforms in `_transforms`."""

    def __init__(self, layer: str, fill_mode: str, interpolation: str, seed: Optional[int], fill_value: float,
                 **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = _choice(layer, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = _choice(layer, "interpolation", interpolation, INTERPOLATIONS)
        if not isinstance(fill_value, Real) or not math.isfinite(fill_value):
            raise ValueError(f"{layer}: fill_value must be a finite number, got {fill_value!r}")
        self.fill_value = float(fill_value)

    def _transforms(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _augment(self, images: Tensor, rng: np.random.Generator) -> Tensor:
        n, height, width, _ = images.shape
        transforms = self._transforms(n, height, width, rng)
        return ops.affine_warp(images, transforms, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomRotation(_RandomWarpLayer):
    """Rotates each image about its centre by an angle drawn uniformly from factor * 2 pi.

    factor: a float f, meaning [-f, f], or a pair (lower, upper), as fractions of a full turn in
    [-1, 1]; positive angles turn counter-clockwise. inputs: (N, H, W, C) or (H, W, C)."""

    def __init__(self, factor: Factor, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: Optional[int] = None, fill_value: float = 0.0, **kwargs: Any):
        super().__init__("RandomRotation", fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor_range = _factor_range("RandomRotation", "factor", factor)
        self.factor = list(factor) if isinstance(factor, (list, tuple)) else float(factor)

    def _transforms(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        angles = rng.uniform(*self.factor_range, n) * 2.0 * np.pi
        return ops.rotation_transforms(angles, height, width)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


class RandomTranslation(_RandomWarpLayer):
    """Shifts each image by a vertical and a horizontal offset drawn uniformly from the factors,
    as fractions of its height and width (a float f means [-f, f]; positive moves down / right).

    inputs: (N, H, W, C) or (H, W, C)."""

    def __init__(self, height_factor: Factor, width_factor: Factor, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0, **kwargs: Any):
        super().__init__("RandomTranslation", fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_range = _factor_range("RandomTranslation", "height_factor", height_factor)
        self.width_range = _factor_range("RandomTranslation", "width_factor", width_factor)
        as_config = lambda f: list(f) if isinstance(f, (list, tuple)) else float(f)  # noqa: E731
        self.height_factor, self.width_factor = as_config(height_factor), as_config(width_factor)

    def _transforms(self, n: int, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
        down = rng.uniform(*self.height_range, n) * height
        right = rng.uniform(*self.width_range, n) * width
        return ops.translation_transforms(down, right)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}
