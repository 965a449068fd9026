"""CUDA device queries and the TF32 switch. Everything here works (and answers "no device") on machines
without a GPU."""
from __future__ import annotations

import contextlib
from typing import Iterator

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
