"""Seeded dropout: the mask is a hash of (seed, element index), recomputed in backward, not stored."""
from __future__ import annotations

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor


def dropout(x: Tensor, rate: float, seed: int) -> Tensor:
    """x with each element zeroed with probability `rate`, the others scaled by 1 / (1 - rate).

    The same seed gives the same mask (for any thread count); draw a fresh seed per training step.
    """
    if not x.requires_grad:
        return Tensor(_C.dropout(x._impl, rate, seed))
    return Dropout.apply(x, rate, seed)


class Dropout(Function):
    @staticmethod
    def forward(ctx: Context, x: Tensor, rate: float, seed: int) -> Tensor:
        ctx.rate, ctx.seed = rate, seed
        return Tensor(_C.dropout(x._impl, rate, seed))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        # The gradient passes exactly where the input did, with the same scale: the same call.
        return Tensor(_C.dropout(grad._impl, ctx.rate, ctx.seed)), None, None
