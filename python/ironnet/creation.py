"""Making tensors: from Python data, from NumPy (shared memory), from DLPack producers, or fresh."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from . import _C
from .tensor import Tensor, as_dtype, float32


def tensor(data: Any, dtype: Any = None, device: str = "cpu", requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, scalars, NumPy arrays, tensors).

    Floating-point data becomes float32 and integer or boolean data int64, unless `dtype` says otherwise.
    requires_grad makes it a leaf of the autograd graph (float32 only).
    """
    if isinstance(data, Tensor):
        data = data.cpu().numpy()
    array = np.asarray(data)
    if dtype is None:
        if array.dtype.kind in "fc" or array.dtype == object:
            dtype = float32
        elif array.dtype.kind in "iub":
            dtype = _C.DType.int64 if array.dtype != np.int32 else _C.DType.int32
        else:
            raise TypeError(f"tensor: cannot make a tensor from data of dtype {array.dtype}")
    dtype = as_dtype(dtype)
    array = np.asarray(array, dtype=np.dtype(dtype.name))
    out = Tensor(_C.TensorImpl.from_numpy(array, copy=True)).to(device)
    out.requires_grad = requires_grad
    return out


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (no copy); writes through either are seen by both.

    The array must be float32, int32 or int64 (TypeError otherwise). Read-only arrays, and arrays with
    negative or non-element strides, are copied instead, since ironnet kernels may write in place.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(_C.TensorImpl.from_numpy(array, copy=False))


def from_dlpack(x: Any) -> Tensor:
    """A tensor viewing the memory of any DLPack producer (PyTorch, NumPy, CuPy, JAX, ...), no copy."""
    if isinstance(x, Tensor):
        return x
    if not hasattr(x, "__dlpack__"):
        # A bare capsule, as older producers hand out.
        if type(x).__name__ != "PyCapsule":
            raise TypeError(
                f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got {type(x).__name__}"
            )
        return Tensor(_C.from_dlpack_capsule(x))
    kind, _ = x.__dlpack_device__()
    # We run on CUDA's legacy default stream (1 in DLPack's numbering): the producer syncs to it.
    stream = 1 if kind == 2 else None
    try:
        capsule = x.__dlpack__(stream=stream, max_version=(1, 0))
    except TypeError:  # a producer from before DLPack 1.0 knows no max_version
        capsule = x.__dlpack__(stream=stream)
    return Tensor(_C.from_dlpack_capsule(capsule))


def _shape(shape: Iterable[int] | int) -> tuple:
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def empty(shape: Iterable[int] | int, dtype: Any = float32, device: str = "cpu") -> Tensor:
    """An uninitialized tensor (64-byte aligned memory on the CPU)."""
    return Tensor(_C.TensorImpl.empty(_shape(shape), as_dtype(dtype), device))


def zeros(shape: Iterable[int] | int, dtype: Any = float32, device: str = "cpu") -> Tensor:
    return Tensor(_C.TensorImpl.zeros(_shape(shape), as_dtype(dtype), device))
