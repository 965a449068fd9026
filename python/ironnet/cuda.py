"""CUDA device queries and memory statistics. The queries work (and answer "no device") on machines
without a GPU; the memory statistics raise ValueError for a device that does not exist."""
from __future__ import annotations

from typing import Union

from . import _C


def is_compiled() -> bool:
    """True when this build of ironnet contains the CUDA backend."""
    return _C.cuda_compiled()


def device_count() -> int:
    """Number of usable CUDA devices; 0 without a driver or a GPU."""
    return _C.cuda_device_count()


def is_available() -> bool:
    return device_count() > 0


def get_device_name(index: int = 0) -> str:
    return _C.cuda_device_name(index)


def synchronize(index: int = 0) -> None:
    """Waits until every kernel queued on the device has finished."""
    _C.cuda_synchronize(index)


def _index(device: Union[int, str]) -> int:
    """The device number of 0, 'cuda' or 'cuda:N'."""
    if isinstance(device, int):
        return device
    if device == "cuda":
        return 0
    if isinstance(device, str) and device.startswith("cuda:") and device[5:].isdigit():
        return int(device[5:])
    raise ValueError(f"expected a CUDA device index or 'cuda' / 'cuda:N', got {device!r}")


def memory_allocated(device: Union[int, str] = 0) -> int:
    """Bytes of device memory held by tensors on `device` (sizes rounded up as the allocator does).

    Freed tensors' memory is kept by ironnet's caching allocator for reuse: see memory_reserved().
    ValueError when the device does not exist; RuntimeError when ironnet was built without CUDA (the
    same for the other statistics).
    """
    return _C.cuda_memory_stats(_index(device))["allocated"]


def memory_reserved(device: Union[int, str] = 0) -> int:
    """Bytes ironnet holds from the CUDA driver on `device`: memory_allocated() plus the cached free
    blocks that the next allocations reuse (empty_cache() gives those back)."""
    return _C.cuda_memory_stats(_index(device))["reserved"]


def max_memory_allocated(device: Union[int, str] = 0) -> int:
    """The most memory_allocated(device) has been since the process started."""
    return _C.cuda_memory_stats(_index(device))["peak_allocated"]


def empty_cache() -> None:
    """Gives the cached free blocks of every device back to the driver, so other processes can use
    them. Tensors still alive keep their memory; ironnet's speed does not need this (the cache is what
    spares each training step its cudaMalloc calls)."""
    _C.cuda_empty_cache()
