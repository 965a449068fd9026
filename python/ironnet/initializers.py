"""Weight initializers (keras.initializers names and formulas), drawing from a NumPy generator.

fan_in / fan_out follow Keras: for a Dense kernel (in, out) they are in and out; for a convolution
kernel (kh, kw, in, out) the receptive field kh * kw multiplies both.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np


def _fans(shape: Tuple[int, ...]) -> Tuple[float, float]:
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _truncated_normal(rng: np.random.Generator, shape: Tuple[int, ...], stddev: float) -> np.ndarray:
    """Normal draws redrawn until within two standard deviations (Keras's TruncatedNormal); Keras
    scales the stddev by 0.87962566 so the truncated distribution keeps the intended variance."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev


class Initializer:
    """Returns a float32 array of the requested shape; seeded generators make it reproducible."""

    def __call__(self, shape: Tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class Zeros(Initializer):
    def __call__(self, shape, rng):
        return np.zeros(shape, np.float32)


class Ones(Initializer):
    def __call__(self, shape, rng):
        return np.ones(shape, np.float32)


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05):
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, rng):
        return (self.mean + self.stddev * rng.standard_normal(shape)).astype(np.float32)


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05):
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape).astype(np.float32)


class VarianceScaling(Initializer):
    """scale / fan (fan_in, fan_out or their mean) as the variance of a truncated normal, a normal
    or a uniform distribution: the family Glorot and He belong to."""

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                f"VarianceScaling: distribution must be truncated_normal, untruncated_normal or uniform, got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, rng):
        fan_in, fan_out = _fans(tuple(shape))
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape).astype(np.float32)
        if self.distribution == "untruncated_normal":
            return (math.sqrt(variance) * rng.standard_normal(shape)).astype(np.float32)
        return _truncated_normal(rng, tuple(shape), math.sqrt(variance) / 0.87962566103423978).astype(np.float32)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain` (Keras's Orthogonal; the recurrent kernels' default, so
    repeated multiplication by it neither explodes nor vanishes). The shape is flattened to
    (prod(shape[:-1]), shape[-1]); the Q of a Gaussian matrix's QR, with R's diagonal signs folded in
    so the distribution is uniform over orthogonal matrices."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of rank 2 or more, got {tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(np.float32)


def GlorotUniform() -> VarianceScaling:
    return VarianceScaling(1.0, "fan_avg", "uniform")


def GlorotNormal() -> VarianceScaling:
    return VarianceScaling(1.0, "fan_avg", "truncated_normal")


def HeNormal() -> VarianceScaling:
    return VarianceScaling(2.0, "fan_in", "truncated_normal")


def HeUniform() -> VarianceScaling:
    return VarianceScaling(2.0, "fan_in", "uniform")


def LecunNormal() -> VarianceScaling:
    return VarianceScaling(1.0, "fan_in", "truncated_normal")


_BY_NAME: Dict[str, Callable[[], Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,  # Keras's alias (Embedding's default)
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}


def get(identifier: Any) -> Initializer:
    """An Initializer from a Keras name ('glorot_uniform', 'he_normal', 'zeros', ...) or itself."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    raise ValueError(f"unknown initializer {identifier!r}: expected an Initializer or one of {sorted(_BY_NAME)}")


def name_of(initializer: Initializer) -> Optional[str]:
    """The Keras name that makes an equal initializer, for configs (None when it has none)."""
    for name, make in _BY_NAME.items():
        candidate = make()
        if type(candidate) is type(initializer) and vars(candidate) == vars(initializer):
            return name
    return None
