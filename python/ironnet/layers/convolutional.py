"""Convolution layers: Conv2D on images (N, H, W, C) and Conv1D on sequences (N, L, C), channels_last,
with Keras's arguments and kernel layout (kh, kw, in, out) / (k, in, out)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .. import activations, initializers, ops
from ..tensor import Tensor
from ._args import check_data_format, check_input_rank, check_padding, int_tuple
from .base import Layer, Shape


class _Conv(Layer):
    """The shared body of Conv1D (rank 1) and Conv2D (rank 2): weights, shape rules, the fused call."""

    rank = 2
    _layout = "(batch, height, width, channels)"
    _paddings = ("valid", "same")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 **kwargs: Any):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{kind}: filters must be a positive integer, got {filters!r}")
        self.filters = filters
        self.kernel_size = int_tuple(kernel_size, self.rank, kind, "kernel_size")
        self.strides = int_tuple(strides, self.rank, kind, "strides")
        self.dilation_rate = int_tuple(dilation_rate, self.rank, kind, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:  # Keras refuses this pair too
            raise ValueError(f"{kind}: strides > 1 cannot be combined with dilation_rate > 1, got strides="
                             f"{self.strides}, dilation_rate={self.dilation_rate}")
        self.padding = check_padding(padding, kind, self._paddings)
        self.data_format = check_data_format(data_format, kind)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel: Optional[Tensor] = None
        self.bias: Optional[Tensor] = None

    def build(self, input_shape: Shape) -> None:
        check_input_rank(self.name, input_shape, self.rank, self._layout)
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: needs inputs with a known number of channels, got shape {input_shape}")
        self.compute_output_shape(input_shape)  # refuses kernels larger than the input before any weight exists
        self.kernel = self.add_weight("kernel", (*self.kernel_size, input_shape[-1], self.filters),
                                      self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def _convolve(self, x: Tensor, fuse_relu: bool) -> Tensor:
        raise NotImplementedError

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        check_input_rank(self.name, inputs.shape, self.rank, self._layout)
        if inputs.shape[-1] != self.kernel.shape[-2]:
            raise ValueError(f"{self.name}: inputs {inputs.shape} have {inputs.shape[-1]} channels, the layer was "
                             f"built for {self.kernel.shape[-2]} (kernel {self.kernel.shape})")
        if self.activation is ops.relu:  # fused into the convolution: one native call each way
            return self._convolve(inputs, True)
        return self.activation(self._convolve(inputs, False))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        spatial = []
        for axis, (length, k, s, d) in enumerate(zip(input_shape[1:-1], self.kernel_size, self.strides,
                                                      self.dilation_rate)):
            if length is None:
                spatial.append(None)
                continue
            out = ops.conv_output_length(length, k, s, self.padding, d)
            if out <= 0:
                raise ValueError(
                    f"{self.name}: the kernel {self.kernel_size} (dilation {self.dilation_rate}) is larger than the "
                    f"input {tuple(input_shape)} along spatial axis {axis} with padding={self.padding!r}"
                )
            spatial.append(out)
        return (input_shape[0], *spatial, self.filters)

    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.name_of(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.name_of(self.kernel_initializer),
            "bias_initializer": initializers.name_of(self.bias_initializer),
        }


class Conv2D(_Conv):
    """keras.layers.Conv2D: y = activation(conv(x, kernel) + bias) on (batch, height, width, channels).

    kernel: (kh, kw, in_channels, filters); bias: (filters,); (kh*kw*in + 1) * filters parameters.
    padding 'same' pads like Keras/TensorFlow (output = ceil(input / stride), the odd pixel at the end)."""

    rank = 2

    def _convolve(self, x: Tensor, fuse_relu: bool) -> Tensor:
        return ops.conv2d(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                          activation="relu" if fuse_relu else None)


class Conv1D(_Conv):
    """keras.layers.Conv1D on sequences (batch, steps, channels); kernel (k, in_channels, filters).

    padding 'causal' pads only on the left, so output step t sees input steps <= t."""

    rank = 1
    _layout = "(batch, steps, channels)"
    _paddings = ("valid", "same", "causal")

    def _convolve(self, x: Tensor, fuse_relu: bool) -> Tensor:
        return ops.conv1d(x, self.kernel, self.bias, self.strides[0], self.padding, self.dilation_rate[0],
                          activation="relu" if fuse_relu else None)
