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

    a: (M, K) or (K, M) when trans_a; b: (K, N) or (N, K) when trans_b; float32, any strides.
    c: (M, N) float32 with contiguous rows, written in place and returned; when None a new tensor is
    returned and beta must be 0.
    """
    a = a if type(a) is Tensor else _as_tensor(a, "gemm", "a")
    b = b if type(b) is Tensor else _as_tensor(b, "gemm", "b")
    if c is None:
        return Tensor(_C.gemm(a._impl, b._impl, None, trans_a, trans_b, alpha, beta))
    c_tensor = c if type(c) is Tensor else _as_tensor(c, "gemm", "c")
    # Positional arguments: pybind11 parses keywords noticeably slower, and small GEMMs feel it.
    _C.gemm(a._impl, b._impl, c_tensor._impl, trans_a, trans_b, alpha, beta)
    return c_tensor


def matmul(a: Any, b: Any) -> Tensor:
    """`a @ b` for float32 2-D (M, K) @ (K, N) and batched 3-D (B, M, K) @ (B, K, N) tensors.

    A batch of 1, or a 2-D operand, broadcasts against the other operand's batch.
    """
    a = a if type(a) is Tensor else _as_tensor(a, "matmul", "a")
    b = b if type(b) is Tensor else _as_tensor(b, "matmul", "b")
    return Tensor(_C.matmul(a._impl, b._impl))
