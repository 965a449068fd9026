"""Core layers: Input, Dense, Activation, Flatten (Keras names, arguments and weight layouts)."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

from .. import activations, initializers, ops
from ..tensor import Tensor
from .base import Layer, Shape
from .symbolic import Node, SymbolicTensor


class InputLayer(Layer):
    """Declares the shape of a model's input (without the batch dimension); passes inputs through.

    `output` is the SymbolicTensor that a functional Model starts from (what Input returns)."""

    def __init__(self, shape: Sequence[int], name: Optional[str] = None, dtype: Any = None):
        super().__init__(name=name, input_shape=shape)
        self.dtype = _input_dtype(dtype)
        self.build_for(self.input_shape)
        self.output = SymbolicTensor(self.input_shape, Node(self, []), name=self.name)
        self.output.dtype = self.dtype

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if inputs.shape[1:] != self.input_shape[1:]:
            raise ValueError(
                f"{self.name}: expected inputs of shape (batch, {', '.join(map(str, self.input_shape[1:]))}), "
                f"got {inputs.shape}"
            )
        return inputs

    def get_config(self) -> Dict[str, Any]:
        config = {"name": self.name, "shape": list(self.input_shape[1:])}
        if self.dtype != "float32":
            config["dtype"] = self.dtype
        return config


def _input_dtype(dtype: Any) -> str:
    """The declared dtype of a model input: float32 (the default) or int32/int64 for token ids. Data
    is not cast to it: integer data stays integer up to the first layer computing in float32."""
    name = "float32" if dtype is None else dtype if isinstance(dtype, str) else getattr(dtype, "name", None)
    if name not in ("float32", "int32", "int64"):
        raise ValueError(f"Input: dtype must be float32, int32 or int64, got {dtype!r}")
    return name


def Input(shape: Sequence[int], name: Optional[str] = None, dtype: Any = None) -> SymbolicTensor:
    """keras.Input: a symbolic tensor of shape (None, *shape) to call layers on and build a functional
    Model from; also accepted as the first element of a Sequential. shape: one sample's shape; dtype:
    float32 (default), or int32/int64 for ids fed to an Embedding."""
    return InputLayer(shape, name=name, dtype=dtype).output


class Dense(Layer):
    """y = activation(x @ kernel + bias); kernel (in, units) and bias (units,) as in Keras.

    Inputs of rank > 2 apply the layer to the last axis (Keras's behaviour)."""

    supports_masking = True  # per-step (per-feature) work: a mask passes through

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros", **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel: Optional[Tensor] = None
        self.bias: Optional[Tensor] = None

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: needs inputs with a known last dimension, got shape {input_shape}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"{self.name}: inputs {inputs.shape} have {inputs.shape[-1]} features, the layer was built for "
                f"{self.kernel.shape[0]}"
            )
        lead = inputs.shape[:-1]
        x = inputs if inputs.ndim == 2 else ops.reshape(inputs, (math.prod(lead), inputs.shape[-1]))
        if self.activation is ops.relu:  # fused into the dense op: one native call each way
            y = ops.linear(x, self.kernel, self.bias, activation="relu")
        else:
            y = self.activation(ops.linear(x, self.kernel, self.bias))
        return y if inputs.ndim == 2 else ops.reshape(y, (*lead, self.units))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.name_of(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.name_of(self.kernel_initializer),
            "bias_initializer": initializers.name_of(self.bias_initializer),
        }


class Activation(Layer):
    """Applies an activation by Keras name ('relu', 'softmax', ...) or a callable."""

    supports_masking = True  # per-step (per-feature) work: a mask passes through

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        return self.activation(inputs)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "activation": activations.name_of(self.activation)}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...): a view when the input is contiguous."""

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))
