"""Embedding: integer ids -> learned vectors, with Keras's mask_zero (id 0 marks padding)."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from .. import devices, initializers, ops
from ..ops.embedding import int_tensor
from ..tensor import Tensor
from .base import Layer, Shape


class Embedding(Layer):
    """keras.layers.Embedding: ids (batch, ...) in [0, input_dim) -> (batch, ..., output_dim), one row of
    the weight "embeddings" (input_dim, output_dim) per id.

    mask_zero=True makes id 0 padding: the output's mask is (ids != 0), for the layers downstream
    (recurrent layers skip those steps); the vocabulary then still has input_dim ids, 0 included.
    Float ids holding whole numbers are accepted (Keras casts them); other floats are a ValueError."""

    _accepts_int_inputs = True

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 mask_zero: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        for what, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding: {what} must be a positive integer, got {value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings: Optional[Tensor] = None

    def build(self, input_shape: Shape) -> None:
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        try:
            return ops.embedding(self._ids(inputs), self.embeddings)
        except ValueError as err:  # the op names the id and the table; say which layer too
            raise ValueError(f"{self.name}: {err}") from None

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Optional[np.ndarray]:
        """(ids != 0) as a bool array of the ids' shape when mask_zero, else None."""
        if not self.mask_zero:
            return None
        return devices.to_host(self._ids(inputs)) != 0

    def _ids(self, inputs: Tensor) -> Tensor:
        if inputs.dtype.name in ("int32", "int64"):
            return inputs
        values = devices.to_host(inputs)
        if not np.all(np.isfinite(values) & (values == np.round(values))):
            raise ValueError(f"{self.name}: ids must be whole numbers, got {inputs.dtype.name} values such as "
                             f"{values[values != np.round(values)].ravel()[:3].tolist()}")
        return int_tensor(values.astype(np.int64)).to(inputs.device)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape, self.output_dim)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.name_of(self.embeddings_initializer),
            "mask_zero": self.mask_zero,
        }
