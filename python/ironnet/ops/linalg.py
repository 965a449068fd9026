"""Matrix products on the native GEMM (CPU: blocked AVX-512/AVX2/portable kernels; CUDA: tiled kernel)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _C
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

    A batch of 1, or a 2-D operand, broadcasts against the other operand's batch.
    """
    a = a if type(a) is Tensor else _as_tensor(a, "matmul", "a")
    b = b if type(b) is Tensor else _as_tensor(b, "matmul", "b")
    return Tensor(_C.matmul(a._impl, b._impl))
