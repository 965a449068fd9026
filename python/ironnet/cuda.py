"""CUDA device queries. Everything here works (and answers "no device") on machines without a GPU."""
from __future__ import annotations

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
