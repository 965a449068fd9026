"""Sequential: a stack of layers, each fed the previous one's output."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

from ..layers.base import Layer
from ..layers.core import InputLayer
from ..layers.symbolic import SymbolicTensor
from ..tensor import Tensor
from .model import Model


class Sequential(Model):
    """keras.Sequential: layers built as soon as the input shape is known (an Input, or input_shape= on
    the first layer), else on the first call."""

    def __init__(self, layers: Optional[Sequence[Layer]] = None, name: Optional[str] = None):
        super().__init__(name=name or "sequential")
        self._layers: List[Layer] = []
        self._input: Optional[InputLayer] = None
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> List[Layer]:
        return list(self._layers)

    def add(self, layer: Any) -> None:
        """Appends a layer; an Input (its symbolic tensor) or an InputLayer may only come first."""
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
        if self._input is not None:
            self.build(self._input.input_shape)

    def build(self, input_shape: Any) -> None:
        """Builds every layer not built yet, chaining the shapes from `input_shape` (batch included)."""
        shape = tuple(input_shape)
        for layer in self._layers:
            if not layer.built:
                layer.build_for(shape)
            shape = layer.output_shape

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        if not self._layers:
            raise ValueError(f"{self.name}: the model has no layers")
        if self._input is not None:
            x = self._input.call(x)
        for layer in self._layers:
            x = layer(x, training=training)
        return x
