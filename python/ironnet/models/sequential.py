"""Sequential: a stack of layers, each fed the previous one's output."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..layers.base import Layer
from ..layers.core import InputLayer
from ..layers.symbolic import SymbolicTensor
from ..tensor import Tensor
from . import fusion
from .model import Model


class Sequential(Model):
    """keras.Sequential: layers built as soon as the input shape is known (an Input, or input_shape= on
    the first layer), else on the first call."""

    def __init__(self, layers: Optional[Sequence[Layer]] = None, name: Optional[str] = None):
        super().__init__(name=name or "sequential")
        self._layers: List[Layer] = []
        self._input: Optional[InputLayer] = None
        self._fuse = True  # fusion.py's peephole rule; off only to compare against it in tests
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> List[Layer]:
        return list(self._layers)

    def add(self, layer: Any) -> None:
        """Appends a layer; an Input (its symbolic tensor) or an InputLayer may only come first. The layer
        joins the model's device (see Model.to)."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: expected a Layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input is not None:
                raise ValueError(f"{self.name}.add: an Input must come first")
            self._input = layer
            return
        if not self._layers and self._input is None and layer.input_shape is not None:
            self._input = InputLayer(layer.input_shape[1:])
        self._layers.append(layer)
        if layer.device != self._device:
            layer._move_to(self._device)
        if self._input is not None:
            self.build(self._input.input_shape)

    def build(self, input_shape: Any) -> None:
        """Builds every layer not built yet, chaining the shapes from `input_shape` (batch included)."""
        shape = tuple(input_shape)
        for layer in self._layers:
            if not layer.built:
                layer.build_for(shape)
            shape = layer.output_shape

    @property
    def built(self) -> bool:
        return bool(self._layers) and all(layer.built for layer in self._layers)

    def get_config(self) -> Dict[str, Any]:
        """{"name", "input_shape" (one sample's shape, or None when not known), "layers": [serialized layers]}."""
        from .. import layers as layers_mod

        if self._input is not None:
            input_shape = list(self._input.input_shape[1:])
        elif self._layers and self._layers[0].built:
            input_shape = list(self._layers[0].input_shape[1:])
        else:
            input_shape = None
        return {"name": self.name, "input_shape": input_shape,
                "layers": [layers_mod.serialize(layer) for layer in self._layers]}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Sequential":
        """A new model (fresh weights, built when the config has an input shape) from `get_config()`."""
        from .. import layers as layers_mod

        specs = config.get("layers")
        if not isinstance(specs, list):
            raise ValueError(f"Sequential.from_config: 'layers' must be a list, got {specs!r}")
        model = cls(name=config.get("name"))
        if config.get("input_shape") is not None:
            model.add(InputLayer(config["input_shape"]))
        for spec in specs:
            model.add(layers_mod.deserialize(spec))
        return model

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        return self.call_with_mask(x, training=training)[0]

    def call_with_mask(self, x: Tensor, training: bool = False) -> Tuple[Tensor, Optional[np.ndarray]]:
        """The output and its mask: each layer gets the mask of the one before (none at first)."""
        if not self._layers:
            raise ValueError(f"{self.name}: the model has no layers")
        if self._input is not None:
            x = self._input.call(x)
        steps = fusion.plan(self._layers) if self._fuse else [(layer, None) for layer in self._layers]
        mask = None  # set by a layer that makes one (Embedding(mask_zero=True), Masking), then carried on
        for layer, pool in steps:
            if pool is None:
                x, mask = layer.call_with_mask(x, training=training, mask=mask)
            else:  # a fused Conv2D + MaxPooling2D pair: neither supports masking
                x, mask = fusion.run((layer, pool), x, training), None
        return x, mask
