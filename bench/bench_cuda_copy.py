#!/usr/bin/env python3
"""CUDA memory traffic: ironnet against PyTorch CUDA in the same run, on the same data.

Cases (MiB = size of the float32 tensor):
  h2d pageable      t.to('cuda') from ordinary host memory (staged by the driver)
  h2d pinned async  t.pin_memory() once, then t.to('cuda', non_blocking=True)
  transpose         (R, C) CUDA view .T made contiguous on the GPU (ironnet's strided copy kernel)
  d2h               t.cpu() of a CUDA tensor
  alloc+free        allocate a 4 MiB CUDA tensor and drop it (the caching allocator's cost per call)

Each case is validated first (results equal to PyTorch's, bit for bit: copies change no value), warmed
up, then timed as the median of `--repeats` samples; a sample runs `inner` calls back to back between
two device synchronizations. The table gives GB/s (bytes read + written for the on-GPU transpose,
bytes moved for the host copies) and ironnet's speed relative to PyTorch's (> 1: ironnet faster).

    python bench/bench_cuda_copy.py            # 256 MiB tensors
    python bench/bench_cuda_copy.py --quick    # 32 MiB tensors, fewer repeats (well under a minute)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def load_peers():
    """ironnet and torch with a usable GPU, or exit with a clear message."""
    try:
        import torch
    except ImportError:
        sys.exit("bench_cuda_copy: PyTorch is not installed (the peer this benchmark compares against)")
    if not torch.cuda.is_available():
        sys.exit("bench_cuda_copy: PyTorch sees no CUDA GPU")
    import ironnet

    if not ironnet.cuda.is_available():
        sys.exit("bench_cuda_copy: ironnet sees no CUDA GPU (built without CUDA, or no device)")
    return ironnet, torch


def median_seconds(fn, sync, repeats: int, inner: int) -> float:
    """Median per-call time of fn over `repeats` samples of `inner` calls, each sample synchronized."""
    for _ in range(3):  # warm-up: allocator caches, lazy module loading, driver staging buffers
        fn()
    sync()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="32 MiB tensors and 5 repeats")
    parser.add_argument("--mib", type=int, default=None, help="tensor size in MiB (default 256, 32 with --quick)")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    ironnet, torch = load_peers()
    import numpy as np

    mib = args.mib or (32 if args.quick else 256)
    repeats = args.repeats or (5 if args.quick else 15)
    rows_n = 1024
    cols_n = mib * (1 << 20) // 4 // rows_n
    nbytes = rows_n * cols_n * 4
    host = np.random.default_rng(0).standard_normal((rows_n, cols_n)).astype(np.float32)

    def sync():
        ironnet.cuda.synchronize()
        torch.cuda.synchronize()

    i_host, t_host = ironnet.from_numpy(host), torch.from_numpy(host)
    i_pinned, t_pinned = i_host.pin_memory(), t_host.pin_memory()
    i_dev, t_dev = i_host.to("cuda"), t_host.to("cuda")
    cases = [
        # name, ironnet call, PyTorch call, bytes moved per call (0: time the call itself)
        ("h2d pageable", lambda: i_host.to("cuda"), lambda: t_host.to("cuda"), nbytes),
        ("h2d pinned async", lambda: i_pinned.to("cuda", non_blocking=True),
         lambda: t_pinned.to("cuda", non_blocking=True), nbytes),
        ("transpose", lambda: i_dev.T.contiguous(), lambda: t_dev.t().contiguous(), 2 * nbytes),
        ("d2h", lambda: i_dev.cpu(), lambda: t_dev.cpu(), nbytes),
        ("alloc+free 4 MiB", lambda: ironnet.empty((1 << 20,), device="cuda"),
         lambda: torch.empty((1 << 20,), device="cuda"), 0),
    ]

    rows = []
    for name, ours, theirs, moved in cases:
        if moved:  # validate: the same bits as PyTorch's copy
            a, b = ours(), theirs()
            sync()
            a_np = a.numpy() if a.device == "cpu" else a.cpu().numpy()
            b_np = b.cpu().numpy()
            if a_np.shape != b_np.shape or not np.array_equal(a_np, b_np):
                sys.exit(f"bench_cuda_copy: {name}: ironnet's result differs from PyTorch's")
        inner = 3 if moved else 1000
        t_ours = median_seconds(ours, sync, repeats, inner)
        t_theirs = median_seconds(theirs, sync, repeats, inner)
        if moved:
            cells = [f"{moved / t_ours / 1e9:.1f} GB/s", f"{moved / t_theirs / 1e9:.1f} GB/s"]
        else:
            cells = [f"{t_ours * 1e6:.2f} us", f"{t_theirs * 1e6:.2f} us"]
        rows.append([name, *cells, f"{t_theirs / t_ours:.2f}x"])

    print(f"## bench_cuda_copy: {torch.cuda.get_device_name()}, {rows_n}x{cols_n} float32 ({mib} MiB), "
          f"median of {repeats}; torch {torch.__version__}")
    print()
    print(harness.format_table(["case", "ironnet", "PyTorch", "ironnet speed vs PyTorch"], rows, markdown=True))
    print()
    print("command: python bench/bench_cuda_copy.py" + (" --quick" if args.quick else ""))


if __name__ == "__main__":
    main()
