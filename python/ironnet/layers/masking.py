"""Masking: marks the time steps whose features all equal a padding value."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from .. import devices, ops
from ..tensor import Tensor
from .base import Layer


class Masking(Layer):
    """keras.layers.Masking: inputs (batch, time, features); a step whose every feature equals
    mask_value is padding. The output is the input with those steps zeroed, and its mask is False
    there (True elsewhere), for the layers downstream."""

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def build(self, input_shape: Any) -> None:
        if len(input_shape) < 3:
            raise ValueError(f"{self.name}: expects inputs (batch, time, features), got shape {tuple(input_shape)}")

    def compute_mask(self, inputs: Tensor, mask: Optional[Any] = None) -> np.ndarray:
        """(batch, time) bool: True where some feature differs from mask_value."""
        return np.any(devices.to_host(inputs) != self.mask_value, axis=-1)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        keep = self.compute_mask(inputs)[..., None].astype(np.float32)
        return ops.mul(inputs, devices.from_host(keep, inputs.device))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}
