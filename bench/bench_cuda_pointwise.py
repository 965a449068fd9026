"""CUDA pointwise kernels (float32): ironnet vs PyTorch CUDA in the same run, as GB/s and as a share of
the GPU's HBM bandwidth.

    python bench/bench_cuda_pointwise.py            # full sizes (2^26 elements)
    python bench/bench_cuda_pointwise.py --quick    # 2^24 elements, fewer repeats (< 60 s on an H100)

Each case is validated against PyTorch first, then warmed up; a sample times `inner` back-to-back
calls between two device synchronizations, and the table reports the median of the samples. Both
libraries allocate their outputs in every call, as users see them (ironnet's allocator matters here:
with plain cudaMalloc/cudaFree per call its times include them). GB/s counts the bytes a kernel must
move at least (each input read once, each output written once), so softmax, which reads its row
again, reports what it achieves against that minimum.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Callable, List, Tuple

import harness

import numpy as np  # noqa: E402  (after harness, which must not import NumPy itself)

import ironnet  # noqa: E402
from ironnet import ops  # noqa: E402

# Peak HBM bandwidth by device name (vendor figures, bytes/s).
PEAK_BANDWIDTH = {"H200": 4.8e12, "H100": 3.35e12, "A100": 2.0e12}


def load_torch():
    """torch with a CUDA device, or exit with a clear message."""
    try:
        import torch
    except ImportError:
        sys.exit("bench_cuda_pointwise: PyTorch is not installed (pip install torch) - it is the peer measured against")
    if not torch.cuda.is_available():
        sys.exit("bench_cuda_pointwise: PyTorch sees no CUDA device")
    if not ironnet.cuda.is_available():
        sys.exit("bench_cuda_pointwise: ironnet sees no CUDA device (built without CUDA, or no GPU here)")
    return torch


def peak_bandwidth(name: str) -> float:
    for key, value in PEAK_BANDWIDTH.items():
        if key in name:
            return value
    return float("nan")


def time_gpu(fn: Callable[[], object], sync: Callable[[], None], repeats: int, min_sample_seconds: float) -> float:
    """Median seconds per call of fn, each sample `inner` calls between two synchronizations."""
    for _ in range(3):
        fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    inner = harness.inner_calls(time.perf_counter() - t0, min_sample_seconds)
    samples = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def cases(torch, n: int, rng: np.random.Generator) -> List[Tuple[str, int, Callable, Callable, float]]:
    """(name, bytes moved, ironnet call, torch call, relative tolerance), on the same data."""
    cols = 1024
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    row = rng.standard_normal(cols).astype(np.float32)
    xi, yi, ri = (ironnet.tensor(a, device="cuda") for a in (x, y, row))
    xt, yt, rt = (torch.from_numpy(a).cuda() for a in (x, y, row))
    xi2, xt2 = xi.reshape((n // cols, cols)), xt.reshape(n // cols, cols)
    wide = 50000
    rows = max(1, n // wide)
    w = rng.standard_normal((rows, wide)).astype(np.float32)
    xi_wide, xt_wide = ironnet.tensor(w, device="cuda"), torch.from_numpy(w).cuda()
    f = 4  # bytes per float32
    return [
        ("add (n) + (n)", 3 * f * n, lambda: ops.add(xi, yi), lambda: torch.add(xt, yt), 1e-6),
        (f"add (n/{cols}, {cols}) + ({cols},)", 2 * f * n + f * cols, lambda: ops.add(xi2, ri), lambda: xt2 + rt, 1e-6),
        ("relu", 2 * f * n, lambda: ops.relu(xi), lambda: torch.relu(xt), 1e-6),
        (f"softmax rows of {cols}", 2 * f * n, lambda: ops.softmax(xi2), lambda: torch.softmax(xt2, -1), 1e-5),
        (f"softmax rows of {wide}", 2 * f * rows * wide, lambda: ops.softmax(xi_wide),
         lambda: torch.softmax(xt_wide, -1), 1e-5),
        ("sum (all)", f * n, lambda: ops.sum(xi), lambda: xt.sum(), 1e-4),
        (f"sum (n/{cols}, {cols}) over axis 0", f * n, lambda: ops.sum(xi2, 0), lambda: xt2.sum(0), 1e-4),
        (f"sum (n/{cols}, {cols}) over axis 1", f * n, lambda: ops.sum(xi2, 1), lambda: xt2.sum(1), 1e-4),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2^24 elements and fewer repeats (< 60 s)")
    parser.add_argument("--log2n", type=int, default=None, help="elements per tensor as a power of 2 (default 26)")
    args = parser.parse_args(argv)
    torch = load_torch()
    torch.backends.cuda.matmul.allow_tf32 = False
    n = 1 << (args.log2n if args.log2n is not None else (24 if args.quick else 26))
    repeats, min_sample = (5, 0.02) if args.quick else (15, 0.1)
    name = ironnet.cuda.get_device_name()
    peak = peak_bandwidth(name)

    def sync():
        ironnet.cuda.synchronize()
        torch.cuda.synchronize()

    rows = []
    for label, nbytes, mine, theirs, rtol in cases(torch, n, np.random.default_rng(0)):
        got, want = mine().cpu().numpy(), theirs().cpu().numpy()
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-5 * max(1.0, float(np.abs(want).max())),
                                   err_msg=f"{label}: ironnet and PyTorch disagree")
        t_mine, t_theirs = time_gpu(mine, sync, repeats, min_sample), time_gpu(theirs, sync, repeats, min_sample)
        gbs_mine, gbs_theirs = nbytes / t_mine / 1e9, nbytes / t_theirs / 1e9
        rows.append([label, f"{t_mine * 1e6:.1f}", f"{t_theirs * 1e6:.1f}", f"{gbs_mine:.0f}", f"{gbs_theirs:.0f}",
                     f"{100 * nbytes / t_mine / peak:.0f}%", f"{t_theirs / t_mine:.2f}x"])
    print(f"{name}, n = 2^{n.bit_length() - 1} float32 elements, peak HBM {peak / 1e12:.2f} TB/s, "
          f"torch {torch.__version__}\n")
    print(harness.format_table(["case", "ironnet us", "torch us", "ironnet GB/s", "torch GB/s", "ironnet % of peak",
                                "speed vs torch"], rows, markdown=True))
    print(f"\ncommand: python bench/bench_cuda_pointwise.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
