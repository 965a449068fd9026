"""Shape ops: views of the same memory, differentiable (their backward is the inverse view)."""
from __future__ import annotations

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
