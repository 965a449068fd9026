"""float64 reference for conv2d with relu followed by max_pool2d, and its vector-Jacobian product:
the composition of conv_ref and pooling_ref (each checked by finite differences in its own tests;
the composition is checked in test_conv_pool.py)."""
import numpy as np

from . import pooling_ref
from .conv_ref import conv2d_backward_ref, conv2d_ref


def conv_relu_max_pool(x, w, b, strides, pads, dilation, pool, pool_strides, pool_padding):
    """pooled (N, Hp, Wp, C_out) = max_pool2d(relu(conv2d(x, w) + b))."""
    z = np.maximum(conv2d_ref(x, w, b, strides, pads, dilation), 0.0)
    return pooling_ref.max_pool2d(z, pool, pool_strides, pool_padding)[0]


def conv_relu_max_pool_vjp(x, w, b, g, strides, pads, dilation, pool, pool_strides, pool_padding):
    """(dx, dw, db) of sum(g * conv_relu_max_pool(x, w, b, ...)); the gradient of relu at 0 is 0."""
    z = conv2d_ref(x, w, b, strides, pads, dilation)
    dz = pooling_ref.max_pool2d_vjp(np.maximum(z, 0.0), g, pool, pool_strides, pool_padding) * (z > 0)
    return conv2d_backward_ref(x, w, dz, strides, pads, dilation)
