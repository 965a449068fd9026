"""Peephole fusion for Sequential: which adjacent layers run as one native op, invisibly but faster.

The rule: a Conv2D with activation "relu" directly followed by a MaxPooling2D whose windows tile its
output (strides == pool_size, at least 2x2) runs as ops.conv2d_relu_max_pool2d when the convolution
has 16+ input channels or a receptive field (kh * kw * C_in) of at most 27 taps. Both layers keep
their weights, configs, summaries and saving; only the call changes, and its values and gradients
are those of the two layers in a row (the same argmax, ties included; sums in another order, so
float32 rounding may differ in the last bits).

Why: the fused op never keeps the full-size conv output, and its weight gradient never builds the
full-size conv gradient. Measured, weight gradient incl. max pooling's backward, 1 thread, AVX-512,
3x3 kernels, 2x2 pools, unfused -> fused: C_in 1 (128x28x28 -> 32) 1.3 -> 0.5 ms, C_in 3
(64x28x28 -> 32) 0.69 -> 0.59, C_in 8 1.2 -> 1.5 (slower: not fused), C_in 16 7.4 -> 2.4, C_in 32
(128x13x13 -> 64) 5.8 -> 1.9 (cpp/kernels/cpu/conv2d_relu_maxpool.cpp: which kernel runs where).
With 16+ channels the fused gradient adds one receptive field per pooled output instead of one per
conv output, pool_h * pool_w times fewer: overlapping windows (stride < pool) or 1x1 pools would
take that gain back and are left unfused (unmeasured).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from .. import ops
from ..layers.base import Layer
from ..layers.convolutional import Conv2D
from ..layers.pooling import MaxPooling2D
from ..tensor import Tensor

MAX_WINDOW_TAPS = 27  # fused where kh * kw * C_in <= this ...
MIN_ARGMAX_CHANNELS = 16  # ... or C_in >= this

Step = Tuple[Layer, Optional[Layer]]  # a layer alone, or a (Conv2D, MaxPooling2D) pair run fused


def _fusable(conv: Layer, pool: Layer) -> bool:
    # Exact types: a subclass may override call(). Built layers only: the first call builds them
    # through their own __call__, unfused.
    if type(conv) is not Conv2D or type(pool) is not MaxPooling2D or not (conv.built and pool.built):
        return False
    kh, kw, c_in, _ = conv.kernel.shape
    tiles = tuple(pool.strides) == tuple(pool.pool_size) and min(pool.pool_size) >= 2
    pays = c_in >= MIN_ARGMAX_CHANNELS or kh * kw * c_in <= MAX_WINDOW_TAPS
    return conv.activation is ops.relu and tiles and pays


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
    if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[-1] != conv.kernel.shape[-2] or x.dtype.name != "float32":
        # The layers convert integer data and report bad inputs themselves.
        return pool(conv(x, training=training), training=training)
    return ops.conv2d_relu_max_pool2d(x, conv.kernel, conv.bias, conv.strides, conv.padding, conv.dilation_rate,
                                      pool.pool_size, pool.strides, pool.padding)
