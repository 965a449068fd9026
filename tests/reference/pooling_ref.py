"""float64 references for NHWC 2-D pooling: forward values and vector-Jacobian products.

Written window by window, as plainly as possible: padding is never materialised; each window is
clipped to the image (Keras/TensorFlow "same": pad_top = pad_total // 2), a max takes the first
maximum in row-major window order, a mean divides by the count of real elements. Checked by finite
differences in test_pooling.py.
"""
import math

import numpy as np


def output_length(length, pool, stride, padding):
    if padding == "same":
        return math.ceil(length / stride)
    return (length - pool) // stride + 1


def _windows(shape, pool, strides, padding):
    """Yields (oh, ow, rows slice, cols slice) of every window of an (N, H, W, C) input."""
    _, h, w, _ = shape
    (ph, pw), (sh, sw) = pool, strides
    oh_n, ow_n = output_length(h, ph, sh, padding), output_length(w, pw, sw, padding)
    top = max((oh_n - 1) * sh + ph - h, 0) // 2 if padding == "same" else 0
    left = max((ow_n - 1) * sw + pw - w, 0) // 2 if padding == "same" else 0
    for oh in range(oh_n):
        r0 = oh * sh - top
        for ow in range(ow_n):
            c0 = ow * sw - left
            yield oh, ow, slice(max(r0, 0), min(r0 + ph, h)), slice(max(c0, 0), min(c0 + pw, w))


def _out_shape(shape, pool, strides, padding):
    n, h, w, c = shape
    return (n, output_length(h, pool[0], strides[0], padding), output_length(w, pool[1], strides[1], padding), c)


def max_pool2d(x, pool, strides, padding):
    """(y, argmax): argmax the flat index ih * W + iw within the image of each window's first maximum."""
    n, _, w, c = x.shape
    y = np.empty(_out_shape(x.shape, pool, strides, padding))
    argmax = np.empty(y.shape, dtype=np.int64)
    for oh, ow, rows, cols in _windows(x.shape, pool, strides, padding):
        win = x[:, rows, cols, :].reshape(n, -1, c)  # row-major window order
        first = win.argmax(axis=1)  # NumPy's argmax returns the first maximum
        y[:, oh, ow, :] = win.max(axis=1)
        wr, wc = np.divmod(first, cols.stop - cols.start)
        argmax[:, oh, ow, :] = (rows.start + wr) * w + cols.start + wc
    return y, argmax


def max_pool2d_vjp(x, g, pool, strides, padding):
    """d(sum(g * max_pool2d(x)))/dx: each g goes to its window's first maximum."""
    n, _, w, c = x.shape
    _, argmax = max_pool2d(x, pool, strides, padding)
    dx = np.zeros(x.shape)
    flat = dx.reshape(n, -1, c)
    for b in range(n):
        for ch in range(c):
            np.add.at(flat[b, :, ch], argmax[b, :, :, ch].ravel(), g[b, :, :, ch].ravel())
    return dx


def avg_pool2d(x, pool, strides, padding):
    y = np.empty(_out_shape(x.shape, pool, strides, padding))
    for oh, ow, rows, cols in _windows(x.shape, pool, strides, padding):
        y[:, oh, ow, :] = x[:, rows, cols, :].mean(axis=(1, 2))
    return y


def avg_pool2d_vjp(x, g, pool, strides, padding):
    dx = np.zeros(x.shape)
    for oh, ow, rows, cols in _windows(x.shape, pool, strides, padding):
        count = (rows.stop - rows.start) * (cols.stop - cols.start)
        dx[:, rows, cols, :] += g[:, oh, ow, None, None, :] / count
    return dx
