"""Activation functions on native CPU kernels (OpenMP + SIMD), differentiable.

Each op is one native forward kernel and one native backward kernel. The backward reads whatever is
cheapest to differentiate from: the input for relu, leaky_relu, elu and gelu; the forward's output
for sigmoid, tanh, softmax and log_softmax (so those save only their output). Every op takes x of any
shape and strides (float32; a non-contiguous x is copied once) and returns a new contiguous tensor of
x's shape. CPU only for now: a CUDA tensor raises ValueError.
"""
from __future__ import annotations

from typing import Any

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor
from .linalg import _as_tensor
from .shape import transpose


def _input(x: Any, op: str) -> Tensor:
    return x if type(x) is Tensor else _as_tensor(x, op, "x")


# --- ops differentiated from their input ------------------------------------------------------


class ReLU(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return Tensor(_C.relu(x._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (x,) = ctx.saved_tensors
        return Tensor(_C.relu_backward(grad._impl, x._impl))


def relu(x: Any) -> Tensor:
    """max(x, 0) elementwise. x: any shape. The gradient at 0 is 0."""
    x = _input(x, "relu")
    return ReLU.apply(x) if x.requires_grad else Tensor(_C.relu(x._impl))


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, negative_slope: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return Tensor(_C.leaky_relu(x._impl, negative_slope))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (x,) = ctx.saved_tensors
        return Tensor(_C.leaky_relu_backward(grad._impl, x._impl, ctx.negative_slope)), None


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x where x > 0, else negative_slope * x. x: any shape.

    The default 0.2 is keras.activations.leaky_relu's (the Keras LeakyReLU layer defaults to 0.3).
    """
    x = _input(x, "leaky_relu")
    slope = float(negative_slope)
    return LeakyReLU.apply(x, slope) if x.requires_grad else Tensor(_C.leaky_relu(x._impl, slope))


class ELU(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, alpha: float) -> Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return Tensor(_C.elu(x._impl, alpha))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (x,) = ctx.saved_tensors
        return Tensor(_C.elu_backward(grad._impl, x._impl, ctx.alpha)), None


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1). x: any shape."""
    x = _input(x, "elu")
    alpha = float(alpha)
    return ELU.apply(x, alpha) if x.requires_grad else Tensor(_C.elu(x._impl, alpha))


class GELU(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, approximate: bool) -> Tensor:
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        return Tensor(_C.gelu(x._impl, approximate))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (x,) = ctx.saved_tensors
        return Tensor(_C.gelu_backward(grad._impl, x._impl, ctx.approximate)), None


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (exact, erf-based, as Keras by default). x: any shape.

    approximate=True: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    x = _input(x, "gelu")
    approximate = bool(approximate)
    return GELU.apply(x, approximate) if x.requires_grad else Tensor(_C.gelu(x._impl, approximate))


# --- ops differentiated from their output -----------------------------------------------------


class Sigmoid(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        y = Tensor(_C.sigmoid(x._impl))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (y,) = ctx.saved_tensors
        return Tensor(_C.sigmoid_backward(grad._impl, y._impl))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), without overflow for any finite x. x: any shape."""
    x = _input(x, "sigmoid")
    return Sigmoid.apply(x) if x.requires_grad else Tensor(_C.sigmoid(x._impl))


class Tanh(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        y = Tensor(_C.tanh(x._impl))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (y,) = ctx.saved_tensors
        return Tensor(_C.tanh_backward(grad._impl, y._impl))


def tanh(x: Any) -> Tensor:
    """tanh(x) elementwise. x: any shape."""
    x = _input(x, "tanh")
    return Tanh.apply(x) if x.requires_grad else Tensor(_C.tanh(x._impl))


class Softmax(Function):
    """Over the last axis; softmax() moves another axis there with transposes (views)."""

    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        y = Tensor(_C.softmax(x._impl))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (y,) = ctx.saved_tensors
        return Tensor(_C.softmax_backward(grad._impl, y._impl))


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        y = Tensor(_C.log_softmax(x._impl))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (y,) = ctx.saved_tensors
        return Tensor(_C.log_softmax_backward(grad._impl, y._impl))


def _over_axis(x: Tensor, axis: int, op: str, native: Any, function: Any) -> Tensor:
    """Applies a last-axis op over `axis`: swaps it to the end and back (views; the native op copies)."""
    if x.ndim == 0:  # the native op names the problem
        return Tensor(native(x._impl))
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}")
    axis %= x.ndim
    last = x.ndim - 1
    if axis != last:
        return transpose(_over_axis(transpose(x, axis, last), last, op, native, function), axis, last)
    return function.apply(x) if x.requires_grad else Tensor(native(x._impl))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) over `axis` (stable: each row is shifted by its max). x: at least 1-D.

    The result is contiguous when axis is the last one (a transposed view otherwise).
    """
    return _over_axis(_input(x, "softmax"), int(axis), "softmax", _C.softmax, Softmax)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - log(sum(exp(x))) over `axis` (stable: each row is shifted by its max). x: at least 1-D."""
    return _over_axis(_input(x, "log_softmax"), int(axis), "log_softmax", _C.log_softmax, LogSoftmax)
