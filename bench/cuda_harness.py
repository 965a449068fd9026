"""What the GPU benchmarks (bench_cuda_*.py) share: loading ironnet and PyTorch with a CUDA device each,
and timing on the GPU.

Timing protocol: warm up (allocator caches, lazy module loading, clocks), then take `repeats` samples,
each `inner` back-to-back calls between two device synchronizations (both libraries queue work
asynchronously, so the host clock measures the GPU's time only between synchronizations); report the
median seconds per call. Several callables are interleaved sample by sample, so drifts (clocks,
temperature) hit all alike.

Imports neither torch nor NumPy at module level: the scripts say clearly what is missing instead.
"""
from __future__ import annotations

import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

import harness


def load_gpu_peers(bench: str, float32_peer: bool = True, cudnn_benchmark: bool = False):
    """(ironnet, torch), both seeing a CUDA device, or exit with a message naming `bench` and what is missing.

    float32_peer: TF32 off in PyTorch's cuBLAS and cuDNN, so it computes in float32 like ironnet (whose
    TF32 GEMM is opt-in). cudnn_benchmark: let cuDNN pick its fastest algorithm per shape."""
    try:
        import torch
    except ImportError:
        sys.exit(f"{bench}: PyTorch is not installed (pip install torch, a CUDA build); it is the peer "
                 "this benchmark measures against")
    if not torch.cuda.is_available():
        sys.exit(f"{bench}: PyTorch {torch.__version__} sees no CUDA device (a CPU-only build, or no GPU here)")
    import ironnet

    if not ironnet.cuda.is_available():
        built = "built with CUDA" if ironnet.cuda.is_compiled() else "built WITHOUT CUDA"
        sys.exit(f"{bench}: ironnet sees no CUDA device ({built})")
    if float32_peer:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    if cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    return ironnet, torch


def synchronizer(ironnet, torch) -> Callable[[], None]:
    """A function that waits until the work both libraries queued on the GPU is done."""

    def sync() -> None:
        ironnet.cuda.synchronize()
        torch.cuda.synchronize()

    return sync


def gpu_medians(fns: Dict[str, Callable[[], object]], sync: Callable[[], None], repeats: int, *,
                inner: Optional[int] = None, min_sample: float = 0.0, warmup_seconds: float = 0.0
                ) -> Dict[str, float]:
    """Median seconds per call of each callable (see the module docstring).

    Warm-up: at least 3 calls and warmup_seconds of calls each. inner: calls per sample, or None for
    enough calls that a sample lasts min_sample seconds (judged from one synchronized call)."""
    calls = {}
    for name, fn in fns.items():
        harness.warm_up(lambda: (fn(), sync()), min_calls=3, min_seconds=warmup_seconds)
        if inner is not None:
            calls[name] = inner
            continue
        sync()
        start = time.perf_counter()
        fn()
        sync()
        calls[name] = harness.inner_calls(time.perf_counter() - start, min_sample)
    samples: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            sync()
            samples[name].append((time.perf_counter() - start) / calls[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def gpu_median(fn: Callable[[], object], sync: Callable[[], None], repeats: int, **options) -> float:
    """Median seconds per call of one callable: gpu_medians' protocol and options."""
    return gpu_medians({"fn": fn}, sync, repeats, **options)["fn"]
