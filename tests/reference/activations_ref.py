"""float64 references for the activations: forward values and vector-Jacobian products.

Each entry of ACTIVATIONS maps a name to (forward(x, **params), vjp(x, g, **params)), where vjp
returns d(sum(g * forward(x)))/dx. They are written in forms that stay finite and quiet (no NumPy
overflow warnings) for any finite x, and are checked by finite differences in test_activations.py.
"""
import math

import numpy as np

_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x):
    return np.where(x > 0, x, 0.0)


def relu_vjp(x, g):
    return np.where(x > 0, g, 0.0)


def leaky_relu(x, negative_slope=0.2):
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_vjp(x, g, negative_slope=0.2):
    return np.where(x > 0, g, negative_slope * g)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_vjp(x, g, alpha=1.0):
    return np.where(x > 0, g, alpha * np.exp(np.minimum(x, 0.0)) * g)


def gelu(x, approximate=False):
    if approximate:
        u = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        return x * _sigmoid(2.0 * u)  # = 0.5 x (1 + tanh(u)), without its cancellation for x << 0
    return 0.5 * x * _erfc(-x / math.sqrt(2.0))


def gelu_vjp(x, g, approximate=False):
    if approximate:
        u = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x**2)
        s = _sigmoid(2.0 * u)
        return g * (s + x * s * _sigmoid(-2.0 * u) * 2.0 * du)
    cdf = 0.5 * _erfc(-x / math.sqrt(2.0))
    pdf = np.exp(-0.5 * np.minimum(x * x, 1e300)) / math.sqrt(2.0 * math.pi)
    return g * (cdf + x * pdf)


def sigmoid(x):
    return _sigmoid(x)


def sigmoid_vjp(x, g):
    return g * _sigmoid(x) * _sigmoid(-x)


def tanh(x):
    return np.tanh(x)


def tanh_vjp(x, g):
    return g * (1.0 - np.tanh(x) ** 2)


def softmax(x):
    if x.size == 0:  # no rows, or empty rows: nothing to normalize
        return np.zeros_like(x)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_vjp(x, g):
    y = softmax(x)
    return y * (g - np.sum(g * y, axis=-1, keepdims=True))


def log_softmax(x):
    if x.size == 0:
        return np.zeros_like(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def log_softmax_vjp(x, g):
    return g - softmax(x) * np.sum(g, axis=-1, keepdims=True)


ACTIVATIONS = {
    "relu": (relu, relu_vjp),
    "leaky_relu": (leaky_relu, leaky_relu_vjp),
    "elu": (elu, elu_vjp),
    "gelu": (gelu, gelu_vjp),
    "sigmoid": (sigmoid, sigmoid_vjp),
    "tanh": (tanh, tanh_vjp),
    "softmax": (softmax, softmax_vjp),
    "log_softmax": (log_softmax, log_softmax_vjp),
}
