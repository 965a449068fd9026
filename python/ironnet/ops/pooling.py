"""Pooling on channels-last (NHWC) float32 tensors, differentiable: native CPU kernels (OpenMP + SIMD) or
CUDA kernels, on the input's device.

2-D ops take x: (N, H, W, C); 1-D ops take x: (N, L, C) and run the 2-D kernels on a (N, 1, L, C) view.
`padding` is "valid" (windows inside the input) or "same" with Keras/TensorFlow semantics:
out = ceil(in / stride), pad_total = max((out - 1) * stride + pool - in, 0), pad_top = pad_total // 2
(the odd row, if any, at the bottom). Padding never wins a max and is not counted in an average
(= PyTorch's count_include_pad=False).

Max pooling keeps the argmax of its forward (int32, the flat index ih * W + iw within the image),
and its backward sends each output gradient to that element. Ties go to the FIRST maximum in
row-major window order, as TensorFlow and PyTorch; a NaN in a window wins (as PyTorch).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor
from .linalg import _as_tensor
from .shape import reshape

Size2 = Union[int, Sequence[int]]


def _pair(value: Size2, name: str, op: str) -> Tuple[int, int]:
    """An int or an (h, w) pair of ints as an (h, w) tuple; the native op checks that they are >= 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    try:
        pair = tuple(value)  # type: ignore[arg-type]
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _window_args(op: str, pool_size: Size2, strides: Optional[Size2], padding: str) -> tuple:
    pool = _pair(pool_size, "pool_size", op)
    return pool, pool if strides is None else _pair(strides, "strides", op), padding


def _input(x: Any, op: str) -> Tensor:
    return x if type(x) is Tensor else _as_tensor(x, op, "x")


def pool_output_length(length: Optional[int], pool: int, stride: int, padding: str) -> Optional[int]:
    """Output length along one axis: ceil(length / stride) for "same", (length - pool) // stride + 1
    for "valid"; None when length is None (an unknown dimension). ValueError when pool or stride < 1,
    padding is unknown, or the pool does not fit (output length <= 0)."""
    if length is None:
        return None
    return _C.pool_output_length(int(length), int(pool), int(stride), padding)


# --- windowed 2-D pooling ----------------------------------------------------------------------------


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, pool: tuple, strides: tuple, padding: str) -> Tensor:
        y, argmax = _C.max_pool2d(x._impl, pool, strides, padding)
        ctx.save_for_backward(argmax)  # freed with the graph after backward, like any saved tensor
        ctx.window, ctx.input_shape = (pool, strides, padding), x.shape
        return Tensor(y)

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (argmax,) = ctx.saved_tensors
        dx = _C.max_pool2d_backward(grad._impl, argmax, list(ctx.input_shape), *ctx.window)
        return Tensor(dx), None, None, None


class AvgPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, pool: tuple, strides: tuple, padding: str) -> Tensor:
        ctx.window, ctx.input_shape = (pool, strides, padding), x.shape
        return Tensor(_C.avg_pool2d(x._impl, pool, strides, padding))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return Tensor(_C.avg_pool2d_backward(grad._impl, list(ctx.input_shape), *ctx.window)), None, None, None


def max_pool2d(x: Any, pool_size: Size2 = 2, strides: Optional[Size2] = None, padding: str = "valid") -> Tensor:
    """Max over pool_size windows moved by strides (None: pool_size). x: (N, H, W, C) float32 ->
    (N, Ho, Wo, C). The gradient goes to the first maximum of each window (see the module docstring)."""
    x = _input(x, "max_pool2d")
    args = _window_args("max_pool2d", pool_size, strides, padding)
    if x.requires_grad:
        return MaxPool2d.apply(x, *args)
    return Tensor(_C.max_pool2d(x._impl, *args)[0])


def avg_pool2d(x: Any, pool_size: Size2 = 2, strides: Optional[Size2] = None, padding: str = "valid") -> Tensor:
    """Mean over pool_size windows moved by strides (None: pool_size), padding not counted.
    x: (N, H, W, C) float32 -> (N, Ho, Wo, C)."""
    x = _input(x, "avg_pool2d")
    args = _window_args("avg_pool2d", pool_size, strides, padding)
    if x.requires_grad:
        return AvgPool2d.apply(x, *args)
    return Tensor(_C.avg_pool2d(x._impl, *args))


# --- global pooling over H and W ---------------------------------------------------------------------


class GlobalMaxPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        y, argmax = _C.global_max_pool2d(x._impl)
        ctx.save_for_backward(argmax)
        ctx.input_shape = x.shape
        return Tensor(y)

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        (argmax,) = ctx.saved_tensors
        return (Tensor(_C.global_max_pool2d_backward(grad._impl, argmax, list(ctx.input_shape))),)


class GlobalAvgPool2d(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor) -> Tensor:
        ctx.input_shape = x.shape
        return Tensor(_C.global_avg_pool2d(x._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return (Tensor(_C.global_avg_pool2d_backward(grad._impl, list(ctx.input_shape))),)


def _keep(y: Tensor, keepdims: bool) -> Tensor:
    """(N, C) -> (N, 1, 1, C) when keepdims (a view)."""
    return reshape(y, (y.shape[0], 1, 1, y.shape[1])) if keepdims else y


def global_max_pool2d(x: Any, keepdims: bool = False) -> Tensor:
    """Max over H and W. x: (N, H, W, C) float32 -> (N, C), or (N, 1, 1, C) with keepdims."""
    x = _input(x, "global_max_pool2d")
    y = GlobalMaxPool2d.apply(x) if x.requires_grad else Tensor(_C.global_max_pool2d(x._impl)[0])
    return _keep(y, keepdims)


def global_avg_pool2d(x: Any, keepdims: bool = False) -> Tensor:
    """Mean over H and W. x: (N, H, W, C) float32 -> (N, C), or (N, 1, 1, C) with keepdims."""
    x = _input(x, "global_avg_pool2d")
    y = GlobalAvgPool2d.apply(x) if x.requires_grad else Tensor(_C.global_avg_pool2d(x._impl))
    return _keep(y, keepdims)


# --- 1-D wrappers for sequences (N, L, C) ------------------------------------------------------------


def _as_image(x: Any, op: str) -> Tensor:
    """(N, L, C) -> a (N, 1, L, C) view (differentiable)."""
    x = _input(x, op)
    if x.ndim != 3:
        raise ValueError(f"{op}: x must be (N, L, C) (3-D, channels last), got {x.shape}")
    return reshape(x, (x.shape[0], 1, x.shape[1], x.shape[2]))


def _int(value: Any, name: str, op: str) -> int:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]  # Keras layers may hold (k,)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return value


def _pool1d(op: str, pool2d: Any, x: Any, pool_size: Any, strides: Any, padding: str) -> Tensor:
    image = _as_image(x, op)
    pool = _int(pool_size, "pool_size", op)
    stride = pool if strides is None else _int(strides, "strides", op)
    try:  # checked along L here, so errors name the 1-D op and x's shape, not the 2-D view below
        pool_output_length(image.shape[2], pool, stride, padding)
    except ValueError as error:
        reason = str(error).split(": ", 1)[-1]
        raise ValueError(f"{op}: {reason}, for x of shape {(image.shape[0], image.shape[2], image.shape[3])}") from None
    y = pool2d(image, (1, pool), (1, stride), padding)
    return reshape(y, (y.shape[0], y.shape[2], y.shape[3]))


def max_pool1d(x: Any, pool_size: int = 2, strides: Optional[int] = None, padding: str = "valid") -> Tensor:
    """Max over windows of pool_size steps moved by strides (None: pool_size). x: (N, L, C) -> (N, Lo, C)."""
    return _pool1d("max_pool1d", max_pool2d, x, pool_size, strides, padding)


def avg_pool1d(x: Any, pool_size: int = 2, strides: Optional[int] = None, padding: str = "valid") -> Tensor:
    """Mean over windows of pool_size steps moved by strides (None: pool_size), padding not counted.
    x: (N, L, C) -> (N, Lo, C)."""
    return _pool1d("avg_pool1d", avg_pool2d, x, pool_size, strides, padding)


def global_max_pool1d(x: Any, keepdims: bool = False) -> Tensor:
    """Max over the steps. x: (N, L, C) -> (N, C), or (N, 1, C) with keepdims."""
    y = global_max_pool2d(_as_image(x, "global_max_pool1d"))
    return reshape(y, (y.shape[0], 1, y.shape[1])) if keepdims else y


def global_avg_pool1d(x: Any, keepdims: bool = False) -> Tensor:
    """Mean over the steps. x: (N, L, C) -> (N, C), or (N, 1, C) with keepdims."""
    y = global_avg_pool2d(_as_image(x, "global_avg_pool1d"))
    return reshape(y, (y.shape[0], 1, y.shape[1])) if keepdims else y
