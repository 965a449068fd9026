"""Peephole fusion for Sequential: which adjacent layers run as one native op, invisibly but faster.

The rule: a Conv2D with activation "relu" directly followed by a MaxPooling2D runs as
ops.conv2d_relu_max_pool2d when the convolution's receptive field (kh * kw * C_in) has at most
MAX_FUSED_TAPS taps. Both layers keep their weights, configs, summaries and saving; only the call
changes, and its values and gradients are those of the two layers in a row (the same argmax, ties
included; sums in another order, so float32 rounding may differ in the last bits).

Why only small receptive fields: the fused op's weight gradient never builds the full-size conv output
or gradient (for the small CNN's first layer, 11 MB each read and written per step), but it does the
direct kernels' multiply-adds. Those are the conv's own path up to 80 taps (kDirectMaxTaps in
cpp/kernels/cpu/conv2d.cpp), where fusing measured 2.1 -> 0.5 ms per backward on 128x28x28x1 -> 32
(1 thread); at 288 taps (13x13x32 -> 64) the GEMM path wins and fusing was 5% slower.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from .. import ops
from ..layers.base import Layer
from ..layers.convolutional import Conv2D
from ..layers.pooling import MaxPooling2D
from ..tensor import Tensor

MAX_FUSED_TAPS = 80

Step = Tuple[Layer, Optional[Layer]]  # a layer alone, or a (Conv2D, MaxPooling2D) pair run fused


def _fusable(conv: Layer, pool: Layer) -> bool:
    # Exact types: a subclass may override call(). Built layers only: the first call builds them
    # through their own __call__, unfused.
    if type(conv) is not Conv2D or type(pool) is not MaxPooling2D or not (conv.built and pool.built):
        return False
    kh, kw, c_in, _ = conv.kernel.shape
    return conv.activation is ops.relu and kh * kw * c_in <= MAX_FUSED_TAPS


def plan(layers: Sequence[Layer]) -> List[Step]:
    """The layers in order, each fusable Conv2D paired with the MaxPooling2D after it."""
    steps: List[Step] = []
    i = 0
    while i < len(layers):
        if i + 1 < len(layers) and _fusable(layers[i], layers[i + 1]):
            steps.append((layers[i], layers[i + 1]))
            i += 2
        else:
            steps.append((layers[i], None))
            i += 1
    return steps


def run(step: Step, x: Tensor, training: bool) -> Tensor:
    """Runs one step of a plan on x."""
    layer, pool = step
    if pool is None:
        return layer(x, training=training)
    conv: Conv2D = layer  # type: ignore[assignment]
    if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[-1] != conv.kernel.shape[-2]:
        return pool(conv(x, training=training), training=training)  # the layers report bad inputs themselves
    return ops.conv2d_relu_max_pool2d(x, conv.kernel, conv.bias, conv.strides, conv.padding, conv.dilation_rate,
                                      pool.pool_size, pool.strides, pool.padding)
