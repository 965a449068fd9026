"""Convolutions, channels last like Keras: conv2d (N, H, W, C) and conv1d (N, L, C) on one native op.

The forward is one native call (chunked im2col around the packed GEMM, or direct kernels when a
receptive field is tiny), with the bias and an optional relu fused; the backward is one more native
call that computes only the gradients asked for (dx, dkernel, dbias) from a single pass over dy.
CUDA tensors run the same two calls on implicit-GEMM kernels (cuda/conv2d.cu); mixing devices raises
ValueError.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional, Tuple, Union

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor
from .linalg import _as_tensor
from .shape import reshape

IntOrPair = Union[int, Tuple[int, int]]
Pads = Tuple[Tuple[int, int], Tuple[int, int]]


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _pair(value: Any, op: str, name: str) -> Tuple[int, int]:
    """An int or an (h, w) pair of ints >= 1 as a pair."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{op}: {name} must be >= 1, got {pair}")
    return pair


def _same_pads(length: int, kernel: int, stride: int, dilation: int) -> Tuple[int, int]:
    """Keras/TensorFlow 'same': out = ceil(length / stride), the extra padding after (bottom/right)."""
    out = -(-length // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - length, 0)
    return total // 2, total - total // 2


def conv_output_length(
    length: Optional[int], kernel: int, stride: int, padding: str, dilation: int = 1
) -> Optional[int]:
    """Output length of a convolution along one axis (None stays None, for unknown sizes).

    padding: "valid" (no padding: (length - (kernel - 1) * dilation - 1) // stride + 1), "same" or
    "causal" (ceil(length / stride)).
    """
    if length is None:
        return None
    if padding in ("same", "causal"):
        return -(-length // stride)
    if padding == "valid":
        return (length - (kernel - 1) * dilation - 1) // stride + 1
    raise ValueError(f"conv_output_length: padding must be 'valid', 'same' or 'causal', got {padding!r}")


def _explicit_pads(padding: Any, op: str) -> Pads:
    try:
        (top, bottom), (left, right) = padding
    except (TypeError, ValueError):
        top = None  # not two pairs: refused below
    if top is None or not all(_is_int(v) for v in (top, bottom, left, right)):
        raise ValueError(f"{op}: padding must be 'valid', 'same' or ((top, bottom), (left, right)), got {padding!r}")
    return (int(top), int(bottom)), (int(left), int(right))


def _pads(padding: Any, x: Tensor, kernel: Tensor, strides: Tuple[int, int], dilation: Tuple[int, int]) -> Pads:
    """Explicit ((top, bottom), (left, right)) pads for a padding argument."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(
                f"conv2d: padding must be 'valid', 'same' or ((top, bottom), (left, right)), got {padding!r}")
        if x.ndim != 4 or kernel.ndim != 4:  # the native op reports the rank
            return (0, 0), (0, 0)
        return (_same_pads(x.shape[1], kernel.shape[0], strides[0], dilation[0]),
                _same_pads(x.shape[2], kernel.shape[1], strides[1], dilation[1]))
    return _explicit_pads(padding, "conv2d")


def _relu_flag(activation: Optional[str], op: str) -> bool:
    if activation not in (None, "relu"):
        raise ValueError(f"{op}: activation must be None or 'relu' (others run as their own op), got {activation!r}")
    return activation == "relu"


def conv2d(
    x: Any,
    kernel: Any,
    bias: Optional[Any] = None,
    strides: IntOrPair = 1,
    padding: Union[str, Pads] = "valid",
    dilation_rate: IntOrPair = 1,
    activation: Optional[str] = None,
) -> Tensor:
    """2-D convolution (cross-correlation, as in Keras): y = [relu](conv(x, kernel) + bias).

    x: (N, H, W, C_in) float32; kernel: (kh, kw, C_in, C_out); bias: (C_out,) or None.
    strides, dilation_rate: int or (h, w). padding: "valid", "same" (TensorFlow's: out = ceil(H / stride),
    the odd padding row/column at the bottom/right) or explicit ((top, bottom), (left, right)).
    activation: None or "relu" (applied in the same native call; its mask inside the backward call).
    Returns (N, Ho, Wo, C_out). Differentiable in x, kernel and bias.
    """
    relu = _relu_flag(activation, "conv2d")
    x = x if type(x) is Tensor else _as_tensor(x, "conv2d", "x")
    kernel = kernel if type(kernel) is Tensor else _as_tensor(kernel, "conv2d", "kernel")
    if bias is not None and type(bias) is not Tensor:
        bias = _as_tensor(bias, "conv2d", "bias")
    stride_hw = _pair(strides, "conv2d", "strides")
    dilation_hw = _pair(dilation_rate, "conv2d", "dilation_rate")
    pads = _pads(padding, x, kernel, stride_hw, dilation_hw)
    if not (x.requires_grad or kernel.requires_grad or (bias is not None and bias.requires_grad)):
        return Tensor(_C.conv2d(x._impl, kernel._impl, None if bias is None else bias._impl, stride_hw, dilation_hw,
                                pads, relu))
    return Conv2D.apply(x, kernel, bias, stride_hw, dilation_hw, pads, relu)


class Conv2D(Function):
    """y = [relu](conv2d(x, kernel) + bias) as one native op; backward: one native call for dx, dkernel, dbias."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, kernel: Tensor, bias: Optional[Tensor], strides: Tuple[int, int],
                dilation: Tuple[int, int], pads: Pads, relu: bool) -> Tensor:
        y = Tensor(_C.conv2d(x._impl, kernel._impl, None if bias is None else bias._impl, strides, dilation, pads,
                             relu))
        ctx.geometry = (strides, dilation, pads)
        ctx.save_for_backward(x, kernel, y if relu else None)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        x, kernel, relu_output = ctx.saved_tensors
        need_x, need_kernel, need_bias = ctx.needs_input_grad[:3]
        dx, dkernel, dbias = _C.conv2d_backward(grad._impl, x._impl, kernel._impl, *ctx.geometry, need_x, need_kernel,
                                                need_bias, None if relu_output is None else relu_output._impl)
        return (*(None if g is None else Tensor(g) for g in (dx, dkernel, dbias)), None, None, None, None)


def _single(value: Any, name: str) -> int:
    """An int or a 1-tuple of an int (Keras's Conv1D accepts both)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not _is_int(value):
        raise TypeError(f"conv1d: {name} must be an int or a 1-tuple of an int, got {value!r}")
    if value < 1:
        raise ValueError(f"conv1d: {name} must be >= 1, got {value}")
    return int(value)


def conv1d(
    x: Any,
    kernel: Any,
    bias: Optional[Any] = None,
    strides: Union[int, Tuple[int]] = 1,
    padding: str = "valid",
    dilation_rate: Union[int, Tuple[int]] = 1,
    activation: Optional[str] = None,
) -> Tensor:
    """1-D convolution, Keras's Conv1D: x (N, L, C_in), kernel (k, C_in, C_out), bias (C_out,) or None.

    padding: "valid", "same" or "causal" (only on the left, (k - 1) * dilation_rate: output t sees
    inputs up to t). Runs as conv2d on the views x (N, 1, L, C_in) and kernel (1, k, C_in, C_out) (no
    copies). Returns (N, Lo, C_out); differentiable in x, kernel and bias.
    """
    relu = _relu_flag(activation, "conv1d")
    x = x if type(x) is Tensor else _as_tensor(x, "conv1d", "x")
    kernel = kernel if type(kernel) is Tensor else _as_tensor(kernel, "conv1d", "kernel")
    if x.ndim != 3:
        raise ValueError(f"conv1d: x must be 3-D (N, L, C_in), got {x.shape}")
    if kernel.ndim != 3:
        raise ValueError(f"conv1d: kernel must be 3-D (k, C_in, C_out), got {kernel.shape}")
    stride = _single(strides, "strides")
    dilation = _single(dilation_rate, "dilation_rate")
    k = kernel.shape[0]
    if padding == "causal":
        left, right = (k - 1) * dilation, 0
    elif padding == "same":
        left, right = _same_pads(x.shape[1], k, stride, dilation)
    elif padding == "valid":
        left, right = 0, 0
    else:
        raise ValueError(f"conv1d: padding must be 'valid', 'same' or 'causal', got {padding!r}")
    n, length, c_in = x.shape
    y = conv2d(reshape(x, (n, 1, length, c_in)), reshape(kernel, (1, *kernel.shape)), bias, strides=(1, stride),
               padding=((0, 0), (left, right)), dilation_rate=(1, dilation), activation="relu" if relu else None)
    return reshape(y, (n, y.shape[2], y.shape[3]))
