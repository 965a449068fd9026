"""Runtime settings and build facts: threads, the CPU instruction set kernels use, show_config()."""
from __future__ import annotations

import platform
from typing import Optional

from . import _C
from . import cuda


def get_num_threads() -> int:
    """Threads every CPU kernel uses (default: OMP_NUM_THREADS, else the number of cores)."""
    return _C.get_num_threads()


def set_num_threads(n: int) -> None:
    """Sets the threads every CPU kernel uses; n >= 1."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    _C.set_num_threads(n)


def get_cpu_isa() -> str:
    """The SIMD path CPU kernels use now: 'avx512', 'avx2' or 'portable'."""
    return _C.get_cpu_isa()


def set_cpu_isa(isa: Optional[str]) -> None:
    """Forces a SIMD path ('avx512', 'avx2', 'portable'), e.g. to test or compare them; None restores
    the best one this CPU supports. Raises ValueError for a path this CPU cannot run."""
    if isa is not None and not isinstance(isa, str):
        raise TypeError(f"set_cpu_isa: isa must be a string or None, got {type(isa).__name__}")
    _C.set_cpu_isa(_C.best_cpu_isa() if isa is None else isa)


def supported_cpu_isas() -> list:
    """Every SIMD path this CPU can run, best first."""
    return _C.supported_cpu_isas()


def measure_fma_peak(threads: Optional[int] = None, isa: Optional[str] = None, seconds: float = 0.2) -> float:
    """The float32 FMA throughput, in GFLOP/s, that `threads` threads (default: get_num_threads()) reach
    on this machine with the vectors of `isa` (default: the active one), measured now: independent
    multiply-add chains, the fastest of ~1 ms runs repeated for about `seconds` (so another process
    on the machine lowers it little). The ceiling benchmarks compare
    kernels against; a datasheet figure is wrong wherever the vector units differ (Zen 4 runs 512-bit
    FMAs at half rate)."""
    if threads is None:
        threads = get_num_threads()
    if not isinstance(threads, int) or isinstance(threads, bool):
        raise TypeError(f"measure_fma_peak: threads must be an int, got {type(threads).__name__}")
    if isa is not None and not isinstance(isa, str):
        raise TypeError(f"measure_fma_peak: isa must be a string or None, got {type(isa).__name__}")
    return _C.measure_fma_peak(threads, get_cpu_isa() if isa is None else isa, float(seconds))


def config() -> dict:
    """The facts show_config() prints, as a dict."""
    info = dict(_C.build_info())
    info.update(
        python=platform.python_version(),
        machine=platform.machine(),
        cpu_isa=get_cpu_isa(),
        cpu_isas_supported=supported_cpu_isas(),
        num_threads=get_num_threads(),
        cuda_available=cuda.is_available(),
        cuda_devices=[cuda.get_device_name(i) for i in range(cuda.device_count())],
    )
    return info


def show_config() -> None:
    """Prints the version, compiler, CPU ISA path, thread count and CUDA status."""
    info = config()
    cuda_line = "compiled in" if info["cuda_compiled"] else "not compiled in"
    if info["cuda_compiled"]:
        cuda_line += f" (runtime {info['cuda_runtime']})"
        cuda_line += f"; devices: {', '.join(info['cuda_devices'])}" if info["cuda_available"] else "; no device available"
    print(f"ironnet {info['version']}")
    print(f"  compiler:   {info['compiler']}, OpenMP {info['openmp']}")
    print(f"  python:     {info['python']} on {info['machine']}")
    print(f"  CPU ISA:    {info['cpu_isa']} (supported: {', '.join(info['cpu_isas_supported'])})")
    print(f"  threads:    {info['num_threads']}")
    print(f"  CUDA:       {cuda_line}")
