"""`python -m ironnet.demo_gemm`: what this build is, a short tour of the tensor API, and a quick GEMM benchmark.

The benchmark checks ironnet's float32 GEMM against a float64 NumPy product first, then times it against
NumPy's matmul (its BLAS) on the same data with the same number of threads. bench/bench_gemm.py is
the full comparison (more shapes, PyTorch, thread counts, results table).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import nullcontext
from typing import Callable, Dict, List, Tuple

import numpy as np

import ironnet

SHAPES: List[Tuple[int, int, int]] = [(256, 256, 256), (1024, 1024, 1024), (128, 1024, 784)]  # (M, N, K)


def tour() -> None:
    """A few lines of the tensor API, each printed with what it shows."""
    print("\n== Tensors ==")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ironnet.from_numpy(x)  # shares x's memory
    x[0, 0] = 10.0
    print(f"t = ironnet.from_numpy(x)      shape {t.shape}, dtype {t.dtype.name}; x[0, 0] = 10 is seen "
          f"through t: {t.numpy()[0, 0]:g}  (zero copy: {np.shares_memory(t.numpy(), x)})")
    w = ironnet.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = t @ w  # (2, 3) @ (3, 2) -> (2, 2)
    print(f"y = t @ w                      (2, 3) @ (3, 2) -> {y.shape}: {y.numpy().tolist()}")
    tt = t.T
    print(f"t.T                            a view: shape {tt.shape}, strides {tt.strides} (elements), "
          f"contiguous {tt.is_contiguous()}, same memory {np.shares_memory(tt.numpy(), x)}")
    g = ironnet.ops.gemm(t, t, trans_b=True, alpha=0.5)  # 0.5 * t @ t.T without materialising t.T
    print(f"ironnet.ops.gemm(t, t, trans_b=True, alpha=0.5) -> {g.numpy().tolist()}")
    z = np.from_dlpack(y)  # DLPack: any framework that speaks it can view ironnet memory
    print(f"np.from_dlpack(y)              {z.tolist()} (zero copy: {np.shares_memory(z, y.numpy())})")


def check(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Tuple[float, float]:
    """Largest |C - C64| / (|A| @ |B|) over C, and the bound K * 2^-24 any float32 summation order meets."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    err = float(np.max(np.abs(c - a64 @ b64) / np.maximum(np.abs(a64) @ np.abs(b64), 1e-300)))
    return err, a.shape[1] * 2.0**-24


def median_times(fns: Dict[str, Callable[[], object]], repeats: int, pause: float) -> Dict[str, float]:
    """Median seconds per call of each function, measured interleaved (one sample of each per round).

    Each sample lasts >= 20 ms and follows a short sleep and one untimed call: thread pools spin for a
    while after their last job, and on a machine with few cores one library's spinning threads would
    otherwise slow the next library down.
    """
    inner = {}
    for name, fn in fns.items():
        fn()
        t0 = time.perf_counter()
        fn()
        inner[name] = max(1, int(0.02 / max(time.perf_counter() - t0, 1e-7)) + 1)
    samples: Dict[str, List[float]] = {name: [] for name in fns}
    for r in range(repeats):
        for name in list(fns)[r % 2:] + list(fns)[:r % 2]:
            time.sleep(pause)
            fns[name]()
            t0 = time.perf_counter()
            for _ in range(inner[name]):
                fns[name]()
            samples[name].append((time.perf_counter() - t0) / inner[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def cpu_busy_seconds() -> float:
    """CPU seconds all processes have used (Linux /proc/stat, hypervisor steal included); 0 elsewhere."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def benchmark(repeats: int) -> bool:
    threads = ironnet.get_num_threads()
    try:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=threads, user_api="blas")
        numpy_threads = f"NumPy's BLAS capped to {threads} with threadpoolctl"
    except ImportError:
        limit = nullcontext()
        numpy_threads = "NumPy's BLAS uses its own thread count (OPENBLAS_NUM_THREADS)"
    print(f"\n== GEMM, float32: ironnet vs NumPy ({threads} thread{'s' if threads > 1 else ''}; {numpy_threads}) ==")
    print("C = A @ B written into a preallocated C by both; median of interleaved samples.")
    print(f"{'M×N×K':>14}  {'max rel err':>11}  {'ironnet GFLOP/s':>15}  {'NumPy GFLOP/s':>13}  {'ironnet/NumPy':>13}")
    rng = np.random.default_rng(0)
    ok = True
    busy0, own0, wall0 = cpu_busy_seconds(), time.process_time(), time.perf_counter()
    with limit:
        for m, n, k in SHAPES:
            a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
            b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
            c_iron, c_np = ironnet.zeros((m, n)), np.zeros((m, n), np.float32)
            at, bt = ironnet.from_numpy(a), ironnet.from_numpy(b)
            err, bound = check(a, b, ironnet.ops.gemm(at, bt, c_iron).numpy())
            label = f"{m}×{n}×{k}"
            if not err <= bound:
                print(f"{label:>14}  {err:11.1e}  WRONG: above the bound {bound:.1e}; not timed")
                ok = False
                continue
            t = median_times({"ironnet": lambda: ironnet.ops.gemm(at, bt, c_iron),
                              "numpy": lambda: np.matmul(a, b, out=c_np)}, repeats, pause=0.15)
            gf = {name: 2.0 * m * n * k / s / 1e9 for name, s in t.items()}
            print(f"{label:>14}  {err:11.1e}  {gf['ironnet']:15.1f}  {gf['numpy']:13.1f}  "
                  f"{gf['ironnet'] / gf['numpy']:12.2f}×")
    # Other processes' CPU time over the run: on a shared machine they can distort every number above.
    others = (cpu_busy_seconds() - busy0) - (time.process_time() - own0)
    share = others / (time.perf_counter() - wall0)
    if share > 0.2:
        print(f"note: other processes kept {share:.0%} of a CPU busy meanwhile; these timings are disturbed "
              "(rerun on a quiet machine)")
    return ok


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ironnet.demo_gemm",
        description="Shows ironnet's build configuration, a short tour of its tensor API, and a quick "
        "float32 GEMM benchmark against NumPy (correctness checked first).",
        epilog="The full benchmark, with PyTorch and more shapes: python bench/bench_gemm.py",
    )
    parser.add_argument("--threads", type=int, help="threads for ironnet and NumPy (default: ironnet's default)")
    parser.add_argument("--repeats", type=int, default=5, help="timed samples per library and shape (default: 5)")
    parser.add_argument("--no-bench", action="store_true", help="skip the GEMM benchmark")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        ironnet.set_num_threads(args.threads)

    ironnet.show_config()
    tour()
    if args.no_bench:
        return 0
    return 0 if benchmark(args.repeats) else 1


if __name__ == "__main__":
    sys.exit(main())
