"""conv2d with relu followed by max_pool2d as one native op (NHWC), for small-receptive-field layers.

The same values and gradients as ``max_pool2d(conv2d(x, kernel, bias, ..., activation="relu"), ...)``
(ties to the first maximum of a window, as max_pool2d), but the full-size conv output is freed as soon
as it is pooled, and the kernel and bias gradients are computed from the pooled side alone: max
pooling sends each window's gradient to its argmax, and relu lets it through there exactly where the
pooled value is positive, so the dense conv gradient (zero almost everywhere) is never built.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor
from .conv import IntOrPair, Pads, _pads, _pair
from .linalg import _as_tensor
from .pooling import Size2, _window_args

_OP = "conv2d_relu_max_pool2d"


def conv2d_relu_max_pool2d(
    x: Any,
    kernel: Any,
    bias: Optional[Any] = None,
    strides: IntOrPair = 1,
    padding: Union[str, Pads] = "valid",
    dilation_rate: IntOrPair = 1,
    pool_size: Size2 = 2,
    pool_strides: Optional[Size2] = None,
    pool_padding: str = "valid",
) -> Tensor:
    """max_pool2d(relu(conv2d(x, kernel) + bias)) in one native op.

    x: (N, H, W, C_in) float32; kernel: (kh, kw, C_in, C_out); bias: (C_out,) or None. strides, padding,
    dilation_rate: as conv2d. pool_size, pool_strides (None: pool_size), pool_padding ("valid" or "same"):
    as max_pool2d on the conv output (N, Ho, Wo, C_out). Returns (N, Hp, Wp, C_out); differentiable in
    x, kernel and bias.
    """
    x = x if type(x) is Tensor else _as_tensor(x, _OP, "x")
    kernel = kernel if type(kernel) is Tensor else _as_tensor(kernel, _OP, "kernel")
    if bias is not None and type(bias) is not Tensor:
        bias = _as_tensor(bias, _OP, "bias")
    stride_hw = _pair(strides, _OP, "strides")
    dilation_hw = _pair(dilation_rate, _OP, "dilation_rate")
    conv = (stride_hw, dilation_hw, _pads(padding, x, kernel, stride_hw, dilation_hw))
    window = _window_args(_OP, pool_size, pool_strides, pool_padding)
    if not (x.requires_grad or kernel.requires_grad or (bias is not None and bias.requires_grad)):
        pooled, _ = _C.conv2d_relu_max_pool2d(x._impl, kernel._impl, None if bias is None else bias._impl, *conv,
                                              *window)
        return Tensor(pooled)
    return Conv2DReluMaxPool2D.apply(x, kernel, bias, conv, window)


class Conv2DReluMaxPool2D(Function):
    """pooled = max_pool2d(relu(conv2d(x, kernel) + bias)); saves x, the kernel, pooled and argmax (all
    pooled-size or smaller), never the conv output. Backward: one native call for dx, dkernel, dbias."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, kernel: Tensor, bias: Optional[Tensor], conv: Tuple[Any, ...],
                window: Tuple[Any, ...]) -> Tensor:
        pooled, argmax = _C.conv2d_relu_max_pool2d(x._impl, kernel._impl, None if bias is None else bias._impl,
                                                   *conv, *window)
        ctx.geometry = (*conv, *window)
        ctx.save_for_backward(x, kernel, pooled, argmax)
        return Tensor(pooled)

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        x, kernel, pooled, argmax = ctx.saved_tensors
        need_x, need_kernel, need_bias = ctx.needs_input_grad[:3]
        grads = _C.conv2d_relu_max_pool2d_backward(grad._impl, pooled, argmax, x._impl, kernel._impl, *ctx.geometry,
                                                   need_x, need_kernel, need_bias)
        return (*(None if g is None else Tensor(g) for g in grads), None, None)
