"""Matrix products on the native GEMM (CPU: blocked AVX-512/AVX2/portable kernels; CUDA: tiled float32
kernels, or TF32 tensor cores inside `ironnet.cuda.tf32()`)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _C
from ..autograd import Context, Function, is_grad_enabled
from ..tensor import Tensor


def _as_tensor(x: Any, op: str, name: str) -> Tensor:
    """Tensors pass through; NumPy arrays are viewed without a copy; anything else is refused."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        try:
            return Tensor(_C.TensorImpl.from_numpy(x, copy=False))
        except TypeError as err:
            raise TypeError(f"{op}: {name} {x.shape} has dtype {x.dtype}; expected float32") from err
    raise TypeError(f"{op}: {name} must be an ironnet Tensor or a numpy array, got {type(x).__name__}")


def gemm(
    a: Any,
    b: Any,
    c: Optional[Tensor] = None,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
) -> Tensor:
    """General matrix multiply: `alpha * op(a) @ op(b) + beta * c`, op(x) = x.T when trans_x.

    a: (M, K) or (K, M) when trans_a; b: (K, N) or (N, K) when trans_b; float32, any strides; or b
    from `pack_b` (CPU), whose transpose was applied when it was packed.
    c: (M, N) float32 with contiguous rows, written in place and returned; when None a new tensor is
    returned and beta must be 0.
    """
    a = a if type(a) is Tensor else _as_tensor(a, "gemm", "a")
    if is_grad_enabled() and (a.requires_grad or getattr(b, "requires_grad", False)):
        raise RuntimeError(
            "gemm: not recorded for autograd (it may write in place); use matmul or @, or call it under no_grad()"
        )
    c_impl = None
    if c is not None:
        c = c if type(c) is Tensor else _as_tensor(c, "gemm", "c")
        c_impl = c._impl
    # Positional arguments: pybind11 parses keywords noticeably slower, and small GEMMs feel it.
    if type(b) is _C.PackedB:
        if trans_b:
            raise ValueError("gemm: b is prepacked; pass trans_b to pack_b instead")
        out = _C.gemm_packed(a._impl, b, c_impl, trans_a, alpha, beta)
    else:
        b = b if type(b) is Tensor else _as_tensor(b, "gemm", "b")
        out = _C.gemm(a._impl, b._impl, c_impl, trans_a, trans_b, alpha, beta)
    return c if c is not None else Tensor(out)


def pack_b(b: Any, trans_b: bool = False) -> "_C.PackedB":
    """Packs B (or B.T when trans_b), a float32 (K, N) CPU matrix, once for many `gemm(a, packed)` calls.

    Worth it when one B meets many A's (a layer's weights across batches, a recurrent kernel across
    time steps): each call then skips packing B. The packed copy does not follow later writes to b, and
    is laid out for the CPU ISA active when it was packed.
    """
    b = b if type(b) is Tensor else _as_tensor(b, "pack_b", "b")
    return _C.pack_b(b._impl, trans_b)


def matmul(a: Any, b: Any) -> Tensor:
    """`a @ b` for float32 2-D (M, K) @ (K, N) and batched 3-D (B, M, K) @ (B, K, N) tensors.

    A batch of 1, or a 2-D operand, broadcasts against the other operand's batch. Differentiable:
    the backward pass is two more native GEMMs (dA = dC @ B^T, dB = A^T @ dC), summed over the batch
    for a broadcast operand.
    """
    a = a if type(a) is Tensor else _as_tensor(a, "matmul", "a")
    b = b if type(b) is Tensor else _as_tensor(b, "matmul", "b")
    if not (a.requires_grad or b.requires_grad):  # no graph to record: skip the Function machinery
        return Tensor(_C.matmul(a._impl, b._impl))
    return MatMul.apply(a, b)


def _grad_operand(grad: Tensor, other: Tensor, shape: tuple, grad_is_left: bool) -> Tensor:
    """The gradient of one matmul operand of `shape`.

    grad_is_left: d(a) = grad @ other^T; otherwise d(b) = other^T @ grad. When the operand was
    broadcast over grad's batch (2-D, or a batch of 1), the per-batch products are summed into it by
    accumulating GEMMs (beta = 1), one native call per batch entry.
    """
    g, o = grad._impl, other._impl
    if grad.ndim == 2:  # plain 2-D product: one GEMM with a transposed operand
        if grad_is_left:
            return Tensor(_C.gemm(g, o, None, False, True, 1.0, 0.0))
        return Tensor(_C.gemm(o, g, None, True, False, 1.0, 0.0))
    batch = grad.shape[0]
    if len(shape) == 3 and shape[0] == batch:  # one product per batch entry: a batched matmul
        o_t = o.transpose(-1, -2)
        return Tensor(_C.matmul(g, o_t) if grad_is_left else _C.matmul(o_t, g))
    out = _C.TensorImpl.zeros(shape, _C.DType.float32, grad.device)
    target = out.select(0, 0) if len(shape) == 3 else out
    other_batched = other.ndim == 3 and other.shape[0] == batch
    for i in range(batch):
        g_i = g.select(0, i)
        o_i = o.select(0, i if other_batched else 0) if other.ndim == 3 else o
        if grad_is_left:
            _C.gemm(g_i, o_i, target, False, True, 1.0, 1.0)
        else:
            _C.gemm(o_i, g_i, target, True, False, 1.0, 1.0)
    return Tensor(out)


class MatMul(Function):
    """C = A @ B over the native GEMM; backward: dA = dC @ B^T, dB = A^T @ dC (native GEMMs)."""

    @staticmethod
    def forward(ctx: Context, a: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(a, b)
        return Tensor(_C.matmul(a._impl, b._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        a, b = ctx.saved_tensors
        grad_a = _grad_operand(grad, b, a.shape, grad_is_left=True) if ctx.needs_input_grad[0] else None
        grad_b = _grad_operand(grad, a, b.shape, grad_is_left=False) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def linear(x: Any, kernel: Any, bias: Optional[Any] = None, activation: Optional[str] = None) -> Tensor:
    """A dense layer's product: x (N, in) @ kernel (in, out) + bias (out,), float32, on the CPU or CUDA.

    One coarse native op: on the CPU the bias is written into the output first and the GEMM adds on
    top (beta = 1), so it costs no pass of its own, and activation="relu" is applied in the same call,
    in place, while the output is still in cache; on CUDA the bias and relu are the GEMM's epilogue. Backward: the relu mask (from the saved output), then
    dx = dy @ kernel^T, dkernel = x^T @ dy (GEMMs) and dbias = column sums of dy, in one native call.
    """
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu' (others run as their own op), got {activation!r}")
    relu = activation == "relu"
    x = x if type(x) is Tensor else _as_tensor(x, "linear", "x")
    kernel = kernel if type(kernel) is Tensor else _as_tensor(kernel, "linear", "kernel")
    if bias is not None and type(bias) is not Tensor:
        bias = _as_tensor(bias, "linear", "bias")
    if not (x.requires_grad or kernel.requires_grad or (bias is not None and bias.requires_grad)):
        return Tensor(_C.linear(x._impl, kernel._impl, None if bias is None else bias._impl, relu))
    return Linear.apply(x, kernel, bias, relu)


class Linear(Function):
    """y = [relu](x @ kernel + bias) as one native op; backward: mask, two GEMMs and a column sum."""

    @staticmethod
    def forward(ctx: Context, x: Tensor, kernel: Tensor, bias: Optional[Tensor], relu: bool) -> Tensor:
        y = Tensor(_C.linear(x._impl, kernel._impl, None if bias is None else bias._impl, relu))
        ctx.save_for_backward(x, kernel, y if relu else None)
        return y

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        x, kernel, relu_output = ctx.saved_tensors
        need_x, need_kernel, need_bias, _ = ctx.needs_input_grad
        dx, dkernel, dbias = _C.linear_backward(grad._impl, x._impl, kernel._impl, need_x, need_kernel, need_bias,
                                                None if relu_output is None else relu_output._impl)
        return (*(None if g is None else Tensor(g) for g in (dx, dkernel, dbias)), None)
