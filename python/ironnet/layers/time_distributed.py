"""TimeDistributed: one layer applied to every time step, with the same weights."""
from __future__ import annotations

from typing import Any, Dict, List

from .. import ops
from ..tensor import Tensor
from .base import Layer, Shape


class TimeDistributed(Layer):
    """keras.layers.TimeDistributed(layer): inputs (batch, time, ...) -> (batch, time, *layer's output
    per sample). Time is folded into the batch, so the wrapped layer runs once on (batch * time, ...)
    and its weights are shared by all steps; they are this layer's weights (saved under its name, and
    counted once by summary(), as in Keras). Masks pass through unchanged; the wrapped layer itself
    sees none (its samples are single steps)."""

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise TypeError(f"TimeDistributed: expected a Layer to wrap, got {type(layer).__name__}")
        if layer._takes_list:
            raise ValueError(f"TimeDistributed: cannot wrap {layer.name} ({type(layer).__name__}), which takes a "
                             "list of inputs")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 3:
            raise ValueError(f"{self.name}: expects inputs of rank >= 3 (batch, time, ...), got shape "
                             f"{tuple(input_shape)}")
        if not self.layer.built:
            self.layer.build_for((None, *input_shape[2:]))
        self._weights = self.layer._weights  # the same list: one set of weights for every step

    def _sublayers(self) -> List[Layer]:
        return [self.layer]

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if inputs.ndim < 3:
            raise ValueError(f"{self.name}: expects inputs of rank >= 3 (batch, time, ...), got shape {inputs.shape}")
        batch, steps = inputs.shape[:2]
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        outputs = self.layer(folded, training=training)
        return ops.reshape(outputs, (batch, steps, *outputs.shape[1:]))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        per_step = self.layer.compute_output_shape((None, *input_shape[2:]))
        return (input_shape[0], input_shape[1], *per_step[1:])

    def get_config(self) -> Dict[str, Any]:
        from . import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "TimeDistributed":
        from . import deserialize

        return cls(**{**config, "layer": deserialize(config["layer"])})
