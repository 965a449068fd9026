"""Dropout: active only in training; a fresh seed each training call (seeded layers repeat)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .. import ops
from .. import random as ir_random
from ..tensor import Tensor
from .base import Layer


class Dropout(Layer):
    """Zeroes each input with probability `rate` during training and scales the rest by 1/(1-rate);
    the identity at inference. A `seed` makes the sequence of masks reproducible."""

    supports_masking = True  # per-step (per-feature) work: a mask passes through

    def __init__(self, rate: float, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate, self.seed = float(rate), seed
        self._rng = ir_random.generator(seed) if seed is not None else None

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if not training or self.rate == 0.0:
            return inputs
        rng = self._rng if self._rng is not None else ir_random.generator()
        return ops.dropout(inputs, self.rate, int(rng.integers(0, 2**63)))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
