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


def _native_pair(name: str, forward: Any, backward: Any, saves_output: bool) -> type:
    """A Function over one native forward kernel and its backward kernel.

    forward(x, *params) -> y; backward(grad, saved, *params) -> dx, where `saved` is the output y when
    saves_output (sigmoid, tanh, softmax, log_softmax) and the input x otherwise. Params (a slope,
    alpha, the gelu form) pass through to both and get no gradient.
    """

    class Pair(Function):
        @staticmethod
        def forward(ctx: Context, x: Tensor, *params: Any) -> Tensor:
            y = Tensor(forward(x._impl, *params))
            ctx.save_for_backward(y if saves_output else x)
            ctx.params = params
            return y

        @staticmethod
        def backward(ctx: Context, grad: Tensor):
            (saved,) = ctx.saved_tensors
            return (Tensor(backward(grad._impl, saved._impl, *ctx.params)), *([None] * len(ctx.params)))

    Pair.__name__ = Pair.__qualname__ = name
    return Pair


ReLU = _native_pair("ReLU", _C.relu, _C.relu_backward, saves_output=False)
LeakyReLU = _native_pair("LeakyReLU", _C.leaky_relu, _C.leaky_relu_backward, saves_output=False)
ELU = _native_pair("ELU", _C.elu, _C.elu_backward, saves_output=False)
GELU = _native_pair("GELU", _C.gelu, _C.gelu_backward, saves_output=False)
Sigmoid = _native_pair("Sigmoid", _C.sigmoid, _C.sigmoid_backward, saves_output=True)
Tanh = _native_pair("Tanh", _C.tanh, _C.tanh_backward, saves_output=True)
Softmax = _native_pair("Softmax", _C.softmax, _C.softmax_backward, saves_output=True)  # over the last axis
LogSoftmax = _native_pair("LogSoftmax", _C.log_softmax, _C.log_softmax_backward, saves_output=True)


def _run(function: Any, native: Any, x: Tensor, *params: Any) -> Tensor:
    """Records the op for autograd only when x needs a gradient."""
    return function.apply(x, *params) if x.requires_grad else Tensor(native(x._impl, *params))


def relu(x: Any) -> Tensor:
    """max(x, 0) elementwise. x: any shape. The gradient at 0 is 0."""
    return _run(ReLU, _C.relu, _input(x, "relu"))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x where x > 0, else negative_slope * x. x: any shape.

    The default 0.2 is keras.activations.leaky_relu's (the Keras LeakyReLU layer defaults to 0.3).
    """
    return _run(LeakyReLU, _C.leaky_relu, _input(x, "leaky_relu"), float(negative_slope))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1). x: any shape."""
    return _run(ELU, _C.elu, _input(x, "elu"), float(alpha))


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (exact, erf-based, as Keras by default). x: any shape.

    approximate=True: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    return _run(GELU, _C.gelu, _input(x, "gelu"), bool(approximate))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), without overflow for any finite x. x: any shape."""
    return _run(Sigmoid, _C.sigmoid, _input(x, "sigmoid"))


def tanh(x: Any) -> Tensor:
    """tanh(x) elementwise. x: any shape."""
    return _run(Tanh, _C.tanh, _input(x, "tanh"))


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
    return _run(function, native, x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) over `axis` (stable: each row is shifted by its max). x: at least 1-D.

    The result is contiguous when axis is the last one (a transposed view otherwise).
    """
    return _over_axis(_input(x, "softmax"), int(axis), "softmax", _C.softmax, Softmax)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """x - log(sum(exp(x))) over `axis` (stable: each row is shifted by its max). x: at least 1-D."""
    return _over_axis(_input(x, "log_softmax"), int(axis), "log_softmax", _C.log_softmax, LogSoftmax)
