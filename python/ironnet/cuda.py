"""CUDA device queries, memory statistics and the TF32 switch. The queries work (and answer "no
device") on machines without a GPU; the memory statistics raise ValueError for a device that does not
exist."""
from __future__ import annotations

import contextlib
from typing import Iterator, Union

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


def allow_tf32() -> bool:
    """Whether float32 matrix products on CUDA may run on TF32 tensor cores (False unless set)."""
    return _C.cuda_allow_tf32()


def set_allow_tf32(allow: bool) -> None:
    """Lets float32 GEMMs on CUDA (gemm, matmul, linear and the GEMMs inside other ops) use TF32
    tensor cores, like `torch.backends.cuda.matmul.allow_tf32 = True`.

    TF32 keeps float32's 8-bit exponent but rounds every input to 10 mantissa bits (a relative error
    up to 2**-11 per input) before multiplying; products are accumulated in float32. That is several
    times faster than float32 and accurate to about 1e-3 relative, which training usually tolerates
    but exact comparisons do not. Off by default; a process-wide setting, read at each launch. CPU
    products are never affected.
    """
    _C.cuda_set_allow_tf32(bool(allow))


@contextlib.contextmanager
def tf32(allow: bool = True) -> Iterator[None]:
    """Within the block, CUDA GEMMs may (or, with allow=False, may not) use TF32; the previous
    setting is restored on exit, also when the block raises.

        with ironnet.cuda.tf32():
            y = model(x)
    """
    previous = allow_tf32()
    set_allow_tf32(allow)
    try:
        yield
    finally:
        set_allow_tf32(previous)


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
