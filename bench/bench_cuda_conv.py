#!/usr/bin/env python3
"""float32 2-D convolution on the GPU: ironnet's implicit-GEMM kernels (NHWC) against PyTorch's cuDNN
(channels_last, cudnn.benchmark on, TF32 off), same data, same process.

The cases are bench_conv.py's (the CNN issue's shapes) at batch 256. For each case:
  1. validates ironnet's y, dkernel, dbias (and dx where the case needs it) against PyTorch in float64 on
     the GPU (bench_conv.make_callables; largest error relative to each result's largest magnitude,
     tolerance 1e-4), so only a correct convolution is timed;
  2. times the forward (no autograd) and the forward + backward (autograd; dx only where the case needs
     it) of both, interleaved: after a warm-up, each sample synchronizes the device, times `inner` calls
     and synchronizes again; the median of the samples is reported;
  3. prints GFLOP/s (2 * N * Ho * Wo * C_out * kh * kw * C_in per pass; forward + backward counts 3
     passes with dx, 2 without), ironnet's ratio to cuDNN and the issue's target (>= 0.7x cuDNN).

    python bench/bench_cuda_conv.py                 # every case
    python bench/bench_cuda_conv.py --quick         # fewer, shorter samples (well under a minute)
    python bench/bench_cuda_conv.py --markdown bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_conv  # noqa: E402  (its case list: the CNN issue's convolution shapes)
import cuda_harness  # noqa: E402
import harness  # noqa: E402

SECTION = "bench_cuda_conv"
BATCH = 256
TARGET = 0.7  # least ironnet / cuDNN ratio, forward and forward + backward
TOLERANCE = 1e-4
CASES = {name: dataclasses.replace(case, n=BATCH) for name, case in bench_conv.CASES.items()}


HEADERS = ["case", "pass", "ironnet GFLOP/s", "cuDNN GFLOP/s", "vs cuDNN", "target"]


def run(args, np, torch, ironnet) -> List[List[str]]:
    sync = cuda_harness.synchronizer(ironnet, torch)
    rows = []
    for name in args.cases:
        case = CASES[name]
        fns, check = bench_conv.make_callables(np, torch, ironnet, case, args.seed, device="cuda",
                                               layouts=["channels_last"])
        error = check()
        if not error <= TOLERANCE:
            sys.exit(f"bench_cuda_conv: {case.label()}: ironnet differs from PyTorch by {error:.2e} "
                     f"(relative, tolerance {TOLERANCE:.0e}); not timing a wrong result")
        for what in ("fwd", "fwd+bwd"):
            group = {k: f for k, f in fns.items() if k.endswith(" " + what)}
            seconds = cuda_harness.gpu_medians(group, sync, args.repeats, min_sample=args.min_time / args.repeats,
                                               warmup_seconds=0.2)
            passes = 1 if what == "fwd" else (3 if case.need_dx else 2)
            ours = harness.gflops(passes * case.flops(), seconds[f"ironnet {what}"])
            theirs = harness.gflops(passes * case.flops(), seconds[f"torch channels_last {what}"])
            ratio = ours / theirs
            verdict = f"≥{TARGET}×: " + ("yes" if ratio >= TARGET else "**NO**")
            rows.append([case.label(), what, f"{ours:.0f}", f"{theirs:.0f}", f"{ratio:.2f}×", verdict])
            print(f"  {case.label()} {what}: ironnet {ours:.0f}, cuDNN {theirs:.0f} GFLOP/s", file=sys.stderr,
                  flush=True)
    return rows


NOTES = """\
- GFLOP/s = 2·N·Ho·Wo·C_out·kh·kw·C_in per pass / median time; forward + backward counts 3 passes (2 without dx).
- fwd: `ops.conv2d` under no_grad on NHWC CUDA tensors vs `torch.nn.functional.conv2d` under no_grad on
  channels_last CUDA tensors; fwd+bwd: both through their autograd (`y.backward(g)`).
- cuDNN with `torch.backends.cudnn.benchmark = True` and TF32 off (`cudnn.allow_tf32 = False`), so both
  sides compute in float32; every sample is bracketed by device synchronizations."""


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES), help="cases (default: all)")
    p.add_argument("--repeats", type=int, default=9, help="timed samples per callable (default: 9)")
    p.add_argument("--min-time", type=float, default=1.0, help="least seconds of calls per callable (default: 1)")
    p.add_argument("--quick", action="store_true", help="3 samples of at least 0.1 s in all, per callable")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", metavar="PATH", help="write/update the results section of this Markdown file")
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.min_time = 3, 0.1
    if args.repeats < 1:
        p.error("--repeats must be >= 1")

    ironnet, torch = cuda_harness.load_gpu_peers("bench_cuda_conv", cudnn_benchmark=True)
    import numpy as np

    rows = run(args, np, torch, ironnet)
    table = harness.format_table(HEADERS, rows)
    print("\n" + table)
    if args.markdown:
        body = harness.results_section(
            "2-D convolution on the GPU (float32): ironnet (NHWC, implicit GEMM) vs cuDNN", harness.command_line(argv),
            [f"device: {ironnet.cuda.get_device_name()}, torch {torch.__version__}, "
             f"cuDNN {torch.backends.cudnn.version()}"],
            harness.format_table(HEADERS, rows, markdown=True), NOTES)
        harness.write_results(args.markdown, SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
