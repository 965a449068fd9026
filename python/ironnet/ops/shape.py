"""Shape ops: views of the same memory where possible, differentiable (backward is the inverse)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """x with dimensions dim0 and dim1 swapped: a view (no copy); the gradient is swapped back."""
    if not x.requires_grad:
        return Tensor(x._impl.transpose(dim0, dim1))
    return Transpose.apply(x, dim0, dim1)


class Transpose(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, dim0: int, dim1: int) -> Tensor:
        ctx.dims = (dim0, dim1)
        return Tensor(x._impl.transpose(dim0, dim1))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return Tensor(grad._impl.transpose(*ctx.dims)), None, None


def _shape_arg(shape: Any) -> list:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return [int(shape)]
    try:
        dims = list(shape)
    except TypeError:
        raise TypeError(f"reshape: shape must be an int or a sequence of ints, got {shape!r}") from None
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
        raise TypeError(f"reshape: shape must be a sequence of ints, got {shape!r}")
    return [int(d) for d in dims]


def reshape(x: Tensor, shape: Any) -> Tensor:
    """x's elements in row-major order with `shape` (one entry may be -1): a view when x is
    contiguous, else a copy. Differentiable: the gradient is reshaped back."""
    if not isinstance(x, Tensor):
        raise TypeError(f"reshape: x must be an ironnet Tensor, got {type(x).__name__}")
    dims = _shape_arg(shape)
    if not x.requires_grad:
        return Tensor(x._impl.reshape(dims))
    return Reshape.apply(x, dims)


class Reshape(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, dims: list) -> Tensor:
        ctx.shape = x.shape
        return Tensor(x._impl.reshape(dims))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return Tensor(grad._impl.reshape(list(ctx.shape))), None


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors joined along axis into a new contiguous tensor: same rank, dtype and device, equal
    sizes except along axis. Differentiable: each input gets its slice of the gradient."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"concatenate: expected a list or tuple of tensors, got {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"concatenate: tensor {i} is a {type(t).__name__}, not an ironnet Tensor")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"concatenate: axis must be an int, got {axis!r}")
    if not any(t.requires_grad for t in tensors):
        return Tensor(_C.concatenate([t._impl for t in tensors], int(axis)))
    return Concatenate.apply(int(axis), *tensors)


class Concatenate(Function):
    @staticmethod
    def forward(ctx: Context, axis: int, *tensors: Tensor) -> Tensor:
        out = Tensor(_C.concatenate([t._impl for t in tensors], axis))
        ctx.axis = axis % out.ndim
        ctx.sizes = [t.shape[ctx.axis] for t in tensors]
        return out

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        grads, start = [None], 0
        for needed, size in zip(ctx.needs_input_grad[1:], ctx.sizes):
            grads.append(Tensor(grad._impl.narrow(ctx.axis, start, size)) if needed else None)
            start += size
        return tuple(grads)
