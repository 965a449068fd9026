#!/usr/bin/env python3
"""CUDA float32 GEMM: ironnet's kernels against PyTorch (cuBLAS) on the same GPU, same data.

For each shape (M, N, K), C (M, N) = A (M, K) @ B (K, N), in two modes:
  float32  ironnet with TF32 off (SIMT kernels) vs torch.mm with
           torch.backends.cuda.matmul.allow_tf32 = False (cuBLAS SGEMM);
  tf32     ironnet with ironnet.cuda.tf32() (mma.sync tensor cores) vs torch.mm with allow_tf32 = True.
Each case is validated first (ironnet's C against torch's float64 product, tolerance by mode), warmed
up, then timed as the median of `repeats` samples, each sample `inner` back-to-back calls between
two device synchronizations (ironnet queues on its own stream, so the host clock around a
synchronize of both libraries measures both fairly). ironnet and torch samples are interleaved.

Targets (issue 6, H100/H200): float32 >= 0.9x cuBLAS at 4096^2, TF32 >= 0.7x cuBLAS TF32.
Peaks the TFLOP/s are compared against (H100 SXM5; the H200 has the same chip and clocks, more and
faster memory): 66.9 TFLOP/s float32 on the FMA units, 494.7 TFLOP/s TF32 dense on the tensor
cores (NVIDIA's datasheet figures, as tabulated at glennklockwood.com/garden/processors/h100).
An H100 PCIe is lower (about 51 and 378). cuBLAS's TF32 path on Hopper uses wgmma, which ironnet's
sm_80-level mma.sync kernel cannot match; the ratio shows how far it gets.

    python bench/bench_cuda_gemm.py            # 1024^2, 2048^2, 4096^2 and skinny shapes, both modes
    python bench/bench_cuda_gemm.py --quick    # fewer shapes and repeats: under a minute
    python bench/bench_cuda_gemm.py --shapes 4096 8192x64x8192 --modes float32
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cuda_harness  # noqa: E402
import harness  # noqa: E402

Shape = Tuple[int, int, int]  # (M, N, K)

DEFAULT_SHAPES = ["1024", "2048", "4096", "8192x64x8192", "64x8192x8192", "4096x4096x256"]
QUICK_SHAPES = ["1024", "4096", "8192x64x8192"]
PEAK_TFLOPS = {"float32": 66.9, "tf32": 494.7}  # H100 SXM5 / H200 (see the docstring)
TARGET = {"float32": 0.9, "tf32": 0.7}  # at 4096^2


def parse_shape(text: str) -> Shape:
    """'512' is 512x512x512; 'MxNxK' is C (M, N) = A (M, K) @ B (K, N)."""
    dims = [int(p) for p in re.split(r"[x,]", text.strip()) if p]
    if len(dims) == 1:
        dims *= 3
    if len(dims) != 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"shape {text!r}: expected N or MxNxK with positive sizes")
    return dims[0], dims[1], dims[2]


def bench_case(ironnet, torch, shape: Shape, mode: str, repeats: int, min_sample_s: float) -> dict:
    m, n, k = shape
    gen = torch.Generator(device="cuda").manual_seed(m * 131 + n * 17 + k)
    a_t = torch.rand((m, k), device="cuda", generator=gen) * 2 - 1
    b_t = torch.rand((k, n), device="cuda", generator=gen) * 2 - 1
    c_t = torch.empty((m, n), device="cuda")
    a = ironnet.tensor(a_t.cpu().numpy(), device="cuda")
    b = ironnet.tensor(b_t.cpu().numpy(), device="cuda")
    c = ironnet.zeros((m, n), device="cuda")
    tf32 = mode == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    ironnet.cuda.set_allow_tf32(tf32)
    try:
        def ours():
            ironnet.ops.gemm(a, b, c)

        def theirs():
            torch.mm(a_t, b_t, out=c_t)

        # Validate: both against the float64 product, with the mode's accuracy.
        ours()
        theirs()
        exact = (a_t.double() @ b_t.double()).cpu()
        ours_err = (torch.from_numpy(c.cpu().numpy()).double() - exact).abs().max().item()
        theirs_err = (c_t.double().cpu() - exact).abs().max().item()
        bound = (2e-3 if tf32 else 1e-4) * k ** 0.5
        if not ours_err <= bound:
            raise AssertionError(f"{mode} {shape}: ironnet's max error {ours_err:.3g} exceeds {bound:.3g} "
                                 f"(torch's is {theirs_err:.3g})")
        seconds = cuda_harness.gpu_medians({"ours": ours, "theirs": theirs}, cuda_harness.synchronizer(ironnet, torch),
                                           repeats, min_sample=min_sample_s)
        t_ours, t_theirs = seconds["ours"], seconds["theirs"]
    finally:
        ironnet.cuda.set_allow_tf32(False)
        torch.backends.cuda.matmul.allow_tf32 = False
    flops = 2.0 * m * n * k
    return {"shape": shape, "mode": mode, "ours": flops / t_ours / 1e12, "theirs": flops / t_theirs / 1e12,
            "ratio": t_theirs / t_ours, "ours_err": ours_err, "theirs_err": theirs_err}


def markdown(rows: List[dict], device: str, command: str) -> str:
    lines = [f"GPU: {device}; command: `{command}`", "",
             "| mode | M x N x K | ironnet TFLOP/s | % of peak | torch TFLOP/s | ratio | target | max err (ironnet / torch) |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        m, n, k = r["shape"]
        target = f">= {TARGET[r['mode']]}x" if (m, n, k) == (4096, 4096, 4096) else ""
        met = "" if not target else (" met" if r["ratio"] >= TARGET[r["mode"]] else " missed")
        lines.append(f"| {r['mode']} | {m}x{n}x{k} | {r['ours']:.1f} | {100 * r['ours'] / PEAK_TFLOPS[r['mode']]:.0f}% | "
                     f"{r['theirs']:.1f} | {r['ratio']:.2f}x | {target}{met} | "
                     f"{r['ours_err']:.2g} / {r['theirs_err']:.2g} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shapes", nargs="+", type=parse_shape, help="N (for NxNxN) or MxNxK")
    p.add_argument("--modes", nargs="+", choices=["float32", "tf32"], default=["float32", "tf32"])
    p.add_argument("--repeats", type=int, default=None, help="samples per peer (default 15, --quick 5)")
    p.add_argument("--quick", action="store_true", help="fewer shapes and samples (under a minute on an H100)")
    args = p.parse_args(argv)
    shapes = args.shapes or [parse_shape(s) for s in (QUICK_SHAPES if args.quick else DEFAULT_SHAPES)]
    repeats = args.repeats or (5 if args.quick else 15)
    min_sample_s = 0.02 if args.quick else 0.05
    ironnet, torch = cuda_harness.load_gpu_peers("bench_cuda_gemm")
    rows = [bench_case(ironnet, torch, shape, mode, repeats, min_sample_s) for mode in args.modes for shape in shapes]
    print(markdown(rows, torch.cuda.get_device_name(0), harness.command_line(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
