"""Recurrent sequences as single native ops: LSTM, GRU (both forms) and the simple (Elman) RNN.

Each call runs the whole sequence in one native call (the input projection of every step as one GEMM,
then per step one recurrent GEMM and one fused pointwise kernel) and is one autograd node whose
backward is native backprop through time (weight gradients as GEMMs over all steps). Under no_grad,
or when nothing requires grad, the forward keeps nothing for backward.

Layouts are Keras's: x (B, T, I) batch-major; kernel (I, k*H); recurrent_kernel (H, k*H); gate
blocks LSTM i, f, c, o (k = 4), GRU z, r, h (k = 3), simple RNN k = 1. Common arguments:
  mask: None or (B, T) bool (NumPy array or Tensor, nonzero = real step); on a padded step the state
    carries over unchanged and y is 0 there; h_last is the state after the last real step. It is
    copied to x's device.
  reverse: steps run t = T-1 ... 0; y[:, t] stays aligned with input position t (Keras's
    go_backwards is reverse=True followed by flipping y along time).
  recurrent_mask: None or (B, H) float32 multiplier of h_{t-1} before it meets recurrent_kernel
    (recurrent dropout, already scaled); the same every step. Not differentiated. On x's device, like
    every tensor operand (a ValueError names the operands on another device).
  activation: "tanh", "relu", "sigmoid" or "linear"; recurrent_activation: "sigmoid" or
    "hard_sigmoid" (Keras 3's relu6(x + 3) / 6).
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional, Tuple

import numpy as np

from .. import _C, devices
from ..autograd import Context, Function, is_grad_enabled
from ..tensor import Tensor
from .linalg import _as_tensor


class _Config(NamedTuple):
    cell: str  # "lstm", "gru" or "simple_rnn": also the op name in error messages
    reverse: bool
    reset_after: bool
    activation: str
    recurrent_activation: str


def _optional(value: Any, op: str, name: str) -> Optional[Tensor]:
    if value is None or type(value) is Tensor:
        return value
    return _as_tensor(value, op, name)


def _mask_impl(mask: Any, op: str, device: str) -> Optional["_C.TensorImpl"]:
    """A (B, T) int32 copy of the mask (1 = real step) on `device` (x's), shape-checked by the native op."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        values = devices.to_host(mask)
    elif isinstance(mask, np.ndarray):
        values = mask
    else:
        raise TypeError(f"{op}: mask must be a bool numpy array or a Tensor (B, T), got {type(mask).__name__}")
    if values.dtype != np.bool_ and not np.issubdtype(values.dtype, np.number):
        raise TypeError(f"{op}: mask must be bool (B, T), got dtype {values.dtype}")
    return devices.from_host(values != 0, device, np.int32)._impl


def _check_names(op: str, activation: Any, recurrent_activation: Any) -> None:
    for name, value in (("activation", activation), ("recurrent_activation", recurrent_activation)):
        if not isinstance(value, str):
            raise TypeError(f"{op}: {name} must be a string, got {type(value).__name__}")


def _run(config: _Config, x: Any, kernel: Any, recurrent_kernel: Any, bias: Any, h0: Any, c0: Any, mask: Any,
         recurrent_mask: Any) -> Tuple[Tensor, ...]:
    op = config.cell
    _check_names(op, config.activation, config.recurrent_activation)
    x = x if type(x) is Tensor else _as_tensor(x, op, "x")
    kernel = kernel if type(kernel) is Tensor else _as_tensor(kernel, op, "kernel")
    recurrent_kernel = (recurrent_kernel if type(recurrent_kernel) is Tensor
                        else _as_tensor(recurrent_kernel, op, "recurrent_kernel"))
    bias, h0, c0 = _optional(bias, op, "bias"), _optional(h0, op, "h0"), _optional(c0, op, "c0")
    recurrent_mask = _optional(recurrent_mask, op, "recurrent_mask")
    mask_impl = _mask_impl(mask, op, x.device)
    differentiable = (x, kernel, recurrent_kernel, bias, h0, c0)
    if is_grad_enabled() and any(t is not None and t.requires_grad for t in differentiable):
        return _Recurrent.apply(*differentiable, mask_impl, recurrent_mask, config)
    outputs = _C.recurrent_forward(op, *(_impl(t) for t in differentiable), mask_impl, _impl(recurrent_mask),
                                   *config[1:], False)
    return tuple(Tensor(o) for o in outputs[:3] if o is not None)


def _impl(t: Optional[Tensor]) -> Optional["_C.TensorImpl"]:
    return None if t is None else t._impl


class _Recurrent(Function):
    """A whole recurrent sequence as one node; backward: native BPTT from the saved workspace."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, kernel: Tensor, recurrent_kernel: Tensor, bias: Optional[Tensor],
                h0: Optional[Tensor], c0: Optional[Tensor], mask: Optional["_C.TensorImpl"],
                recurrent_mask: Optional[Tensor], config: _Config):
        impls = (x._impl, kernel._impl, recurrent_kernel._impl, _impl(bias), _impl(h0), _impl(c0), mask,
                 _impl(recurrent_mask))
        y, h_last, c_last, workspace = _C.recurrent_forward(config.cell, *impls, *config[1:], True)
        ctx.save_for_backward(impls, workspace)
        ctx.config = config
        outputs = (Tensor(y), Tensor(h_last))
        return outputs + ((Tensor(c_last),) if c_last is not None else ())

    @staticmethod
    def backward(ctx: Context, dy: Tensor, dh_last: Tensor, dc_last: Optional[Tensor] = None):
        impls, workspace = ctx.saved_tensors
        config = ctx.config
        need = list(ctx.needs_input_grad[:6])
        grads = _C.recurrent_backward(config.cell, *impls, *config[1:], workspace, dy._impl, dh_last._impl,
                                      _impl(dc_last), need)
        return (*(None if g is None else Tensor(g) for g in grads), None, None, None)


def lstm(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None, h0: Any = None, c0: Any = None,
         mask: Any = None, *, reverse: bool = False, recurrent_mask: Any = None, activation: str = "tanh",
         recurrent_activation: str = "sigmoid") -> Tuple[Tensor, Tensor, Tensor]:
    """LSTM over a sequence (Keras's equations): i, f, o = ra(.), c~ = act(.) of x_t W + h U + b,
    c_t = f c_{t-1} + i c~, h_t = o act(c_t).

    x: (B, T, I); kernel: (I, 4H); recurrent_kernel: (H, 4H); bias: (4H,) or None; h0, c0: (B, H) or
    None (zeros). Returns y (B, T, H), h_last (B, H), c_last (B, H); differentiable w.r.t. x, the
    kernels, bias, h0 and c0. See the module docstring for mask, reverse and recurrent_mask.
    """
    config = _Config("lstm", bool(reverse), True, activation, recurrent_activation)
    return _run(config, x, kernel, recurrent_kernel, bias, h0, c0, mask, recurrent_mask)  # type: ignore[return-value]


def gru(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None, h0: Any = None, mask: Any = None, *,
        reverse: bool = False, recurrent_mask: Any = None, reset_after: bool = True, activation: str = "tanh",
        recurrent_activation: str = "sigmoid") -> Tuple[Tensor, Tensor]:
    """GRU over a sequence (Keras's equations): z, r = ra(x W + b + h U [+ rb]);
    reset_after: h~ = act(x W_h + b_h + r * (h U_h + rb_h)), else h~ = act(x W_h + b_h + (r * h) U_h);
    h_t = z h_{t-1} + (1 - z) h~.

    x: (B, T, I); kernel: (I, 3H); recurrent_kernel: (H, 3H); bias: (2, 3H) when reset_after (row 0
    input bias, row 1 recurrent bias), (3H,) otherwise, or None; h0: (B, H) or None. Returns y (B, T, H)
    and h_last (B, H); differentiable w.r.t. x, the kernels, bias and h0.
    """
    config = _Config("gru", bool(reverse), bool(reset_after), activation, recurrent_activation)
    return _run(config, x, kernel, recurrent_kernel, bias, h0, None, mask, recurrent_mask)  # type: ignore[return-value]


def simple_rnn(x: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None, h0: Any = None, mask: Any = None, *,
               reverse: bool = False, recurrent_mask: Any = None,
               activation: str = "tanh") -> Tuple[Tensor, Tensor]:
    """Elman RNN over a sequence: h_t = act(x_t W + h_{t-1} U + b).

    x: (B, T, I); kernel: (I, H); recurrent_kernel: (H, H); bias: (H,) or None; h0: (B, H) or None.
    Returns y (B, T, H) and h_last (B, H); differentiable w.r.t. x, the kernels, bias and h0.
    """
    config = _Config("simple_rnn", bool(reverse), True, activation, "sigmoid")
    return _run(config, x, kernel, recurrent_kernel, bias, h0, None, mask, recurrent_mask)  # type: ignore[return-value]
