"""Batch normalization (Keras 3 BatchNormalization semantics) over one native op per pass.

Training normalizes with the batch's statistics (mean and biased variance over every axis but
`axis`) and moves the moving statistics toward them in place; inference normalizes with the moving
statistics. Both are differentiable in x, gamma and beta: training's backward flows through the
batch mean and variance, inference's is an affine map.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _C, devices
from ..autograd import Context, Function, is_grad_enabled
from ..tensor import Tensor


def _impl(t: Optional[Tensor]):
    return None if t is None else t._impl


def _wrap(impl) -> Optional[Tensor]:
    return None if impl is None else Tensor(impl)


def batch_norm(
    x: Tensor,
    gamma: Optional[Tensor],
    beta: Optional[Tensor],
    moving_mean: Tensor,
    moving_variance: Tensor,
    training: bool,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
    axis: int = -1,
) -> Tensor:
    """Normalizes x per entry of `axis`: y = (x - mean) / sqrt(var + epsilon) * gamma + beta.

    x: (..., C, ...) float32 of rank >= 2, C entries along `axis` (default: the last axis, channels last).
    gamma, beta: (C,), or None for scale=False / center=False.
    moving_mean, moving_variance: (C,). With training=True, mean and var are the batch's (mean and
    biased variance over every axis but `axis`) and the moving statistics are updated in place, outside
    autograd: moving = moving * momentum + batch statistic * (1 - momentum). With training=False, mean
    and var are the moving statistics, left unchanged.
    Returns y, x's shape; differentiable in x, gamma and beta.
    """
    if training:
        if is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, gamma, beta)):
            return BatchNormTrain.apply(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon, axis)
        y, _, _ = _C.batch_norm_train(x._impl, _impl(gamma), _impl(beta), moving_mean._impl, moving_variance._impl,
                                      axis, momentum, epsilon)
        return Tensor(y)
    if is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, gamma, beta)):
        return BatchNormInference.apply(x, gamma, beta, moving_mean, moving_variance, epsilon, axis)
    return Tensor(_C.batch_norm_inference(x._impl, _impl(gamma), _impl(beta), moving_mean._impl,
                                          moving_variance._impl, axis, epsilon))


def _backward(ctx: Context, grad: Tensor, batch_statistics: bool):
    x, gamma, mean, inv_std = ctx.saved_tensors
    need_dx, need_dgamma, need_dbeta = ctx.needs_input_grad[:3]
    dx, dgamma, dbeta = _C.batch_norm_backward(grad._impl, x._impl, mean._impl, inv_std._impl, _impl(gamma),
                                               ctx.axis, batch_statistics, need_dx, need_dgamma, need_dbeta)
    return (_wrap(dx), _wrap(dgamma), _wrap(dbeta)) + (None,) * (len(ctx.needs_input_grad) - 3)


class BatchNormTrain(Function):
    """Batch statistics; the backward differentiates through the batch mean and variance too."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, gamma: Optional[Tensor], beta: Optional[Tensor], moving_mean: Tensor,
                moving_variance: Tensor, momentum: float, epsilon: float, axis: int) -> Tensor:
        y, mean, inv_std = _C.batch_norm_train(x._impl, _impl(gamma), _impl(beta), moving_mean._impl,
                                               moving_variance._impl, axis, momentum, epsilon)
        ctx.save_for_backward(x, gamma, Tensor(mean), Tensor(inv_std))
        ctx.axis = axis
        return Tensor(y)

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return _backward(ctx, grad, batch_statistics=True)


class BatchNormInference(Function):
    """Moving statistics: constants, so the op is affine in x (dx = dy * gamma / sqrt(moving_var + eps))."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, gamma: Optional[Tensor], beta: Optional[Tensor], moving_mean: Tensor,
                moving_variance: Tensor, epsilon: float, axis: int) -> Tensor:
        y = _C.batch_norm_inference(x._impl, _impl(gamma), _impl(beta), moving_mean._impl, moving_variance._impl,
                                    axis, epsilon)
        # Snapshots: a training call may update the moving statistics in place before this backward runs.
        # 1 / sqrt(var + eps) in float64 then float32, as the kernels compute it; (C,) values only, so
        # the round trip through the host is cheap on a GPU too.
        variance = np.asarray(devices.to_host(moving_variance), np.float64)
        inv_std = devices.from_host(1.0 / np.sqrt(variance + epsilon), x.device)
        ctx.save_for_backward(x, gamma, moving_mean.clone(), inv_std)
        ctx.axis = axis
        return Tensor(y)

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return _backward(ctx, grad, batch_statistics=False)
