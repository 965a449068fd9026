"""Pooling layers (Keras names and arguments), channels_last: windowed max/average pooling over images
(N, H, W, C) and sequences (N, L, C), and global pooling that reduces every spatial axis."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from .. import devices, ops
from ..tensor import Tensor
from ._args import check_data_format, check_input_rank, check_padding, int_tuple
from .base import Layer, Shape

_LAYOUTS = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)"}


class _Pooling(Layer):
    """Windowed pooling of `rank` spatial axes by the op `ops.<_op_name>(x, pool_size, strides, padding)`."""

    rank = 2
    _op_name: str

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = int_tuple(pool_size, self.rank, kind, "pool_size")
        self.strides = self.pool_size if strides is None else int_tuple(strides, self.rank, kind, "strides")
        self.padding = check_padding(padding, kind)
        self.data_format = check_data_format(data_format, kind)

    def build(self, input_shape: Shape) -> None:
        check_input_rank(self.name, input_shape, self.rank, _LAYOUTS[self.rank])

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        check_input_rank(self.name, inputs.shape, self.rank, _LAYOUTS[self.rank])
        window = self.pool_size if self.rank == 2 else self.pool_size[0]
        step = self.strides if self.rank == 2 else self.strides[0]
        return getattr(ops, self._op_name)(inputs, window, step, self.padding)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        try:
            spatial = [ops.pool_output_length(length, k, s, self.padding)
                       for length, k, s in zip(input_shape[1:-1], self.pool_size, self.strides)]
        except ValueError as err:
            raise ValueError(f"{self.name}: the pool {self.pool_size} is larger than the input "
                             f"{tuple(input_shape)} with padding={self.padding!r} ({err})") from None
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling):
    """The maximum over each pool_size window (padded positions never win); gradient to the argmax."""

    _op_name = "max_pool2d"


class AveragePooling2D(_Pooling):
    """The mean over each window; with padding='same' only the real (unpadded) values are averaged."""

    _op_name = "avg_pool2d"


class MaxPooling1D(_Pooling):
    rank = 1
    _op_name = "max_pool1d"


class AveragePooling1D(_Pooling):
    rank = 1
    _op_name = "avg_pool1d"


class _GlobalPooling(Layer):
    """Reduces every spatial axis: (batch, ..., channels) -> (batch, channels), or keeps them as 1s."""

    rank = 2
    _op_name: str  # ops.<_op_name>(x, keepdims)

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = check_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def build(self, input_shape: Shape) -> None:
        check_input_rank(self.name, input_shape, self.rank, _LAYOUTS[self.rank])

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        check_input_rank(self.name, inputs.shape, self.rank, _LAYOUTS[self.rank])
        return getattr(ops, self._op_name)(inputs, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.keepdims:
            return (input_shape[0], *(1 for _ in range(self.rank)), input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    _op_name = "global_avg_pool2d"


class GlobalMaxPooling2D(_GlobalPooling):
    _op_name = "global_max_pool2d"


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over steps; with a mask (batch, steps), over the kept steps only, as in Keras (a
    sample with none kept gives zeros, where Keras would divide 0 by 0)."""

    rank = 1
    _op_name = "global_avg_pool1d"
    supports_masking = True

    def call(self, inputs: Tensor, training: bool = False, mask: Optional[Any] = None) -> Tensor:
        if mask is None:
            return super().call(inputs, training)
        check_input_rank(self.name, inputs.shape, self.rank, _LAYOUTS[self.rank])
        keep = np.asarray(mask, dtype=bool)
        if keep.shape != tuple(inputs.shape[:2]):
            raise ValueError(f"{self.name}: mask {keep.shape} does not match inputs {inputs.shape} (batch, steps)")
        weights = keep / np.maximum(keep.sum(axis=1, keepdims=True), 1)  # 1/kept at kept steps, else 0
        weighted = ops.mul(inputs, devices.from_host(weights[..., None], inputs.device))
        return ops.sum(weighted, axis=1, keepdims=self.keepdims)

    def compute_mask(self, inputs: Tensor, mask: Optional[Any] = None) -> None:
        return None  # the steps are averaged away


class GlobalMaxPooling1D(_GlobalPooling):
    rank = 1
    _op_name = "global_max_pool1d"
