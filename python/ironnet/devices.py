"""Device names and the explicit host <-> device crossings of the Python layer.

Everything the training and inference paths compute runs through native ops on the tensors' own
device; NumPy only sees host copies made here (metrics, masks, saving), and small host-made
arrays (dropout masks, augmentation parameters, labels) reach an op's device through `from_host`.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import numpy as np

from . import _C, cuda
from .tensor import Tensor

_DEVICE = re.compile(r"cpu|cuda(:\d+)?")


def canonical(device: Any, what: str) -> str:
    """The name tensors report for a device ('cpu', 'cuda' for device 0, 'cuda:N') from any of its
    spellings ('cuda:0' is 'cuda').

    TypeError for a non-string, ValueError naming a malformed string, and the RuntimeError a tensor
    move raises (Tensor.to) when the build has no CUDA or the device does not exist; `what` names
    the caller in the message.
    """
    if not isinstance(device, str):
        raise TypeError(f"{what}: device must be a string such as 'cpu' or 'cuda', got {type(device).__name__}")
    if not _DEVICE.fullmatch(device):
        raise ValueError(f"{what}: unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'")
    if device == "cpu":
        return device
    index = int(device[5:]) if ":" in device else 0
    if not cuda.is_compiled():
        raise RuntimeError(f"{what}: device {device!r}: ironnet was built without CUDA "
                           "(reinstall with IRONNET_CUDA=ON and nvcc on PATH)")
    count = cuda.device_count()
    if index >= count:
        raise RuntimeError(f"{what}: device {device!r} is not available ({count} CUDA devices)")
    return "cuda" if index == 0 else f"cuda:{index}"


def from_host(array: Any, device: str, dtype: Optional[Any] = np.float32) -> Tensor:
    """A tensor on `device` holding `array` (converted to `dtype`; None keeps an int32/int64 or
    float32 array's dtype). On the CPU it is a fresh copy (callers may reuse their array); on a GPU
    one asynchronous copy from pinned memory (host_to_device)."""
    array = np.ascontiguousarray(array, dtype=dtype)
    if device == "cpu":
        return Tensor(_C.TensorImpl.from_numpy(array, copy=True))
    return host_to_device(Tensor(_C.TensorImpl.from_numpy(array, copy=False)), device)


def host_to_device(t: Tensor, device: str) -> Tensor:
    """A CPU tensor's values on the GPU `device`, copied the way input batches should be: into
    page-locked memory first (one host memcpy), then asynchronously on the device's stream, so the
    host goes on preparing the next batch while the copy runs. `t` may be changed right after."""
    return t.pin_memory().to(device, non_blocking=True)


def to_host(t: Tensor) -> np.ndarray:
    """t's values as a NumPy array: a view of a CPU tensor, a copy of a GPU one (which waits for the
    kernels queued before it)."""
    return t.cpu().numpy()


def move_(t: Tensor, device: str) -> None:
    """Moves t to `device` in place: the same Python object afterwards holds its values there, so
    whatever refers to it (a layer, an optimizer's state table) follows. Its .grad moves with it.
    For leaves only (weights, states, optimizer slots): a graph node keeps the old memory."""
    if t.device != device:
        t._impl = t._impl.to(device)
    if t.grad is not None and t.grad.device != device:
        t.grad = t.grad.to(device)


def assign_(t: Tensor, values: Any) -> None:
    """Writes `values` (array-like, t's shape) into t in place, on whatever device t lives."""
    array = np.ascontiguousarray(values, dtype=np.dtype(t.dtype.name))
    t._impl.copy_from(_C.TensorImpl.from_numpy(array, copy=False))
