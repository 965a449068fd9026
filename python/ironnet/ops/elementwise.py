"""Broadcasting arithmetic and sum reductions on native kernels (CPU; CUDA raises until its issue).

Each op is one native call forward and one or two native calls backward: the gradient of a
broadcast operand is summed back to its shape by the native `sum_to_shape`.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor

Axis = Union[None, int, Sequence[int]]


def _scalar(value: float, device: str) -> Tensor:
    """A 0-d float32 tensor holding value on device (it broadcasts against any shape)."""
    return Tensor(_C.TensorImpl.from_numpy(np.array(value, np.float32), True)).to(device)


def _operand(x: Any, op: str, name: str, device: str) -> Tensor:
    """Tensors pass through; NumPy arrays and Python numbers meet the other operand on `device`: arrays
    are viewed without a copy on the CPU (copied to a GPU), numbers become 0-d tensors."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        try:
            return Tensor(_C.TensorImpl.from_numpy(x, copy=False)).to(device)
        except TypeError as err:
            raise TypeError(f"{op}: {name} {x.shape} has dtype {x.dtype}; expected float32") from err
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be an ironnet Tensor, a numpy array or a number, got {type(x).__name__}")
    return _scalar(float(x), device)


def _operands(op: str, a: Any, b: Any) -> Tuple[Tensor, Tensor]:
    device = a.device if isinstance(a, Tensor) else b.device if isinstance(b, Tensor) else "cpu"
    return _operand(a, op, "a", device), _operand(b, op, "b", device)


def _reduce_to(grad: Tensor, shape: tuple, scale: float = 1.0) -> Tensor:
    """grad summed over the dimensions its operand of `shape` was broadcast along (times scale)."""
    return Tensor(_C.sum_to_shape(grad._impl, shape, scale))


def _binary(op: str, native: Any, function: Any, a: Any, b: Any) -> Tensor:
    """Runs a broadcasting binary op, recording it for autograd only when an operand needs a gradient."""
    a, b = _operands(op, a, b)
    if not (a.requires_grad or b.requires_grad):
        return Tensor(native(a._impl, b._impl))
    return function.apply(a, b)


def add(a: Any, b: Any) -> Tensor:
    """a + b with NumPy broadcasting; a, b: float32 tensors, arrays or numbers. Differentiable."""
    return _binary("add", _C.add, Add, a, b)


def sub(a: Any, b: Any) -> Tensor:
    """a - b with NumPy broadcasting. Differentiable."""
    return _binary("sub", _C.sub, Sub, a, b)


def mul(a: Any, b: Any) -> Tensor:
    """a * b (elementwise) with NumPy broadcasting. Differentiable."""
    return _binary("mul", _C.mul, Mul, a, b)


def div(a: Any, b: Any) -> Tensor:
    """a / b (elementwise) with NumPy broadcasting. Differentiable."""
    return _binary("div", _C.div, Div, a, b)


def neg(x: Any) -> Tensor:
    """-x. Differentiable."""
    return mul(x, -1.0)


def _axes(op: str, axis: Axis) -> Optional[list]:
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return [int(axis)]
    if isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        return [int(a) for a in axis]
    raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001 (mirrors numpy.sum)
    """Sum of float32 x over axis (all axes when None), accumulated in double. Differentiable.

    x: (d0, ..., dn); out: x's shape without the summed axes (size 1 there when keepdims).
    """
    axes = _axes("sum", axis)
    x = _operand(x, "sum", "x", "cpu")
    if not x.requires_grad:
        return Tensor(_C.sum(x._impl, axes, keepdims))
    return Sum.apply(x, axes, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean of float32 x over axis (all axes when None); NaN over zero elements. Differentiable."""
    axes = _axes("mean", axis)
    x = _operand(x, "mean", "x", "cpu")
    if not x.requires_grad:
        return Tensor(_C.mean(x._impl, axes, keepdims))
    return Mean.apply(x, axes, keepdims)


class Add(Function):
    """out = a + b; da = sum_to_shape(g), db = sum_to_shape(g)."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.shapes = (a.shape, b.shape)
        return Tensor(_C.add(a._impl, b._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        need_a, need_b = ctx.needs_input_grad
        return (_reduce_to(grad, ctx.shapes[0]) if need_a else None, _reduce_to(grad, ctx.shapes[1]) if need_b else None)


class Sub(Function):
    """out = a - b; da = sum_to_shape(g), db = -sum_to_shape(g)."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.shapes = (a.shape, b.shape)
        return Tensor(_C.sub(a._impl, b._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        need_a, need_b = ctx.needs_input_grad
        return (
            _reduce_to(grad, ctx.shapes[0]) if need_a else None,
            _reduce_to(grad, ctx.shapes[1], -1.0) if need_b else None,
        )


class Mul(Function):
    """out = a * b; da = sum_to_shape(g * b), db = sum_to_shape(g * a)."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return Tensor(_C.mul(a._impl, b._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = Tensor(_C.sum_to_shape(_C.mul(grad._impl, b._impl), a.shape)) if need_a else None
        grad_b = Tensor(_C.sum_to_shape(_C.mul(grad._impl, a._impl), b.shape)) if need_b else None
        return grad_a, grad_b


class Div(Function):
    """out = a / b; da = sum_to_shape(g / b), db = -sum_to_shape((g / b) * (a / b))."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return Tensor(_C.div(a._impl, b._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        g_over_b = _C.div(grad._impl, b._impl)
        grad_a = Tensor(_C.sum_to_shape(g_over_b, a.shape)) if need_a else None
        grad_b = None
        if need_b:
            grad_b = Tensor(_C.sum_to_shape(_C.mul(g_over_b, _C.div(a._impl, b._impl)), b.shape, -1.0))
        return grad_a, grad_b


def _kept_shape(shape: tuple, axes: Optional[list]) -> Tuple[tuple, int]:
    """x's shape with the reduced axes set to 1, and how many elements each output summed."""
    rank = len(shape)
    reduced = set(range(rank)) if axes is None else {a % rank if rank else a for a in axes}
    kept = tuple(1 if d in reduced else n for d, n in enumerate(shape))
    count = 1
    for d in reduced:
        count *= shape[d]
    return kept, count


def _spread(grad: Tensor, shape: tuple, axes: Optional[list], scale: float) -> Tensor:
    """grad of a reduction broadcast back over the reduced axes of shape, times scale: one pass of
    the broadcasting multiply kernel over a stride-0 view (contiguous result)."""
    kept, _ = _kept_shape(shape, axes)
    stretched = grad._impl.reshape(list(kept)).expand(list(shape))
    return Tensor(_C.mul(stretched, _scalar(scale, grad.device)._impl))


class Sum(Function):
    """out = sum(x, axes); dx = g broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, axes: Optional[list], keepdims: bool) -> Tensor:
        ctx.shape, ctx.axes = x.shape, axes
        return Tensor(_C.sum(x._impl, axes, keepdims))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return _spread(grad, ctx.shape, ctx.axes, 1.0), None, None


class Mean(Function):
    """out = mean(x, axes); dx = g / count broadcast back over the averaged axes."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, axes: Optional[list], keepdims: bool) -> Tensor:
        ctx.shape, ctx.axes = x.shape, axes
        return Tensor(_C.mean(x._impl, axes, keepdims))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        _, count = _kept_shape(ctx.shape, ctx.axes)
        return _spread(grad, ctx.shape, ctx.axes, 1.0 / count if count else 0.0), None, None
