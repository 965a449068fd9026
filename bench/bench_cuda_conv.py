#!/usr/bin/env python3
"""float32 2-D convolution on the GPU: ironnet's implicit-GEMM kernels (NHWC) against PyTorch's cuDNN
(channels_last, cudnn.benchmark on, TF32 off), same data, same process.

The cases are bench_conv.py's (the CNN issue's shapes) at batch 256. For each case:
  1. validates ironnet's y, dkernel, dbias (and dx where the case needs it) against PyTorch's on the GPU
     (largest error relative to each result's largest magnitude, tolerance 1e-4), so only a correct
     convolution is timed;
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
import shlex
import sys
import time
from typing import Callable, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_conv  # noqa: E402  (its case list: the CNN issue's convolution shapes)
import harness  # noqa: E402

SECTION = "bench_cuda_conv"
BATCH = 256
TARGET = 0.7  # least ironnet / cuDNN ratio, forward and forward + backward
TOLERANCE = 1e-4
CASES = {name: dataclasses.replace(case, n=BATCH) for name, case in bench_conv.CASES.items()}


def import_torch():
    """PyTorch with a usable CUDA device and cuDNN set up as the peer (benchmark on, TF32 off), or exit
    with a message saying what is missing."""
    try:
        import torch
    except ImportError:
        sys.exit("bench_cuda_conv: PyTorch is not installed; it is the peer this benchmark measures against")
    if not torch.cuda.is_available():
        sys.exit("bench_cuda_conv: PyTorch sees no CUDA device (a CPU-only build, or no GPU here)")
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    return torch


def make_callables(np, torch, ironnet, case, seed: int):
    """The four timed callables (ironnet / cuDNN, fwd / fwd+bwd) and a check returning the largest relative
    error of ironnet's results against PyTorch's."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (case.n, case.h, case.w, case.c_in)).astype(np.float32)
    w = (rng.uniform(-1, 1, (case.k, case.k, case.c_in, case.c_out)) / np.sqrt(case.k * case.k * case.c_in)).astype(
        np.float32)
    b = rng.uniform(-1, 1, case.c_out).astype(np.float32)
    ho, wo = case.out_hw
    g = rng.uniform(-1, 1, (case.n, ho, wo, case.c_out)).astype(np.float32)

    xi = ironnet.tensor(x, device="cuda", requires_grad=case.need_dx)
    wi = ironnet.tensor(w, device="cuda", requires_grad=True)
    bi = ironnet.tensor(b, device="cuda", requires_grad=True)
    gi = ironnet.tensor(g, device="cuda")

    def ironnet_fwd():
        with ironnet.no_grad():
            return ironnet.ops.conv2d(xi, wi, bi, padding=case.padding)

    def ironnet_fwd_bwd():
        wi.grad = bi.grad = xi.grad = None
        ironnet.ops.conv2d(xi, wi, bi, padding=case.padding).backward(gi)

    cl = torch.channels_last
    xt = torch.from_numpy(x).cuda().permute(0, 3, 1, 2).contiguous(memory_format=cl).requires_grad_(case.need_dx)
    wt = torch.from_numpy(w).cuda().permute(3, 2, 0, 1).contiguous(memory_format=cl).requires_grad_(True)
    bt = torch.from_numpy(b).cuda().requires_grad_(True)
    gt = torch.from_numpy(g).cuda().permute(0, 3, 1, 2).contiguous(memory_format=cl)
    pad = (case.k - 1) // 2 if case.padding == "same" else 0  # odd kernels: symmetric, as PyTorch pads

    def torch_fwd():
        with torch.no_grad():
            return torch.nn.functional.conv2d(xt, wt, bt, padding=pad)

    def torch_fwd_bwd():
        wt.grad = bt.grad = xt.grad = None
        torch.nn.functional.conv2d(xt, wt, bt, padding=pad).backward(gt)

    def check() -> float:
        y = ironnet_fwd().cpu().numpy()
        ironnet_fwd_bwd()
        y_t = torch_fwd()
        torch_fwd_bwd()
        pairs = [(y, y_t.permute(0, 2, 3, 1)), (wi.grad.cpu().numpy(), wt.grad.permute(2, 3, 1, 0)),
                 (bi.grad.cpu().numpy(), bt.grad)]
        if case.need_dx:
            pairs.append((xi.grad.cpu().numpy(), xt.grad.permute(0, 2, 3, 1)))
        errors = []
        for got, want in pairs:
            want = want.detach().double().cpu().numpy()
            errors.append(float(np.abs(got - want).max() / np.abs(want).max()))
        return max(errors)

    fns = {"ironnet fwd": ironnet_fwd, "cudnn fwd": torch_fwd,
           "ironnet fwd+bwd": ironnet_fwd_bwd, "cudnn fwd+bwd": torch_fwd_bwd}
    return fns, check


def time_interleaved(fns: Dict[str, Callable[[], object]], sync: Callable[[], None], repeats: int,
                     min_sample: float) -> Dict[str, float]:
    """Median seconds per call of each callable, samples of the callables interleaved."""
    inner = {}
    for name, fn in fns.items():
        harness.warm_up(lambda: (fn(), sync()), min_calls=3, min_seconds=0.2)
        sync()
        start = time.perf_counter()
        fn()
        sync()
        inner[name] = harness.inner_calls(time.perf_counter() - start, min_sample)
    samples: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            for _ in range(inner[name]):
                fn()
            sync()
            samples[name].append((time.perf_counter() - start) / inner[name])
    return {name: harness.Timing(s, inner[name]).median for name, s in samples.items()}


HEADERS = ["case", "pass", "ironnet GFLOP/s", "cuDNN GFLOP/s", "vs cuDNN", "target"]


def run(args, np, torch, ironnet) -> List[List[str]]:
    def sync():
        ironnet.cuda.synchronize()
        torch.cuda.synchronize()

    rows = []
    for name in args.cases:
        case = CASES[name]
        fns, check = make_callables(np, torch, ironnet, case, args.seed)
        error = check()
        if not error <= TOLERANCE:
            sys.exit(f"bench_cuda_conv: {case.label()}: ironnet differs from PyTorch by {error:.2e} "
                     f"(relative, tolerance {TOLERANCE:.0e}); not timing a wrong result")
        for what in ("fwd", "fwd+bwd"):
            group = {k: f for k, f in fns.items() if k.endswith(" " + what)}
            seconds = time_interleaved(group, sync, args.repeats, args.min_time / args.repeats)
            passes = 1 if what == "fwd" else (3 if case.need_dx else 2)
            ours = harness.gflops(passes * case.flops(), seconds[f"ironnet {what}"])
            theirs = harness.gflops(passes * case.flops(), seconds[f"cudnn {what}"])
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

    torch = import_torch()
    import numpy as np

    import ironnet

    if not ironnet.cuda.is_available():
        sys.exit("bench_cuda_conv: ironnet sees no CUDA device (built without CUDA, or no GPU here)")
    rows = run(args, np, torch, ironnet)
    table = harness.format_table(HEADERS, rows)
    print("\n" + table)
    if args.markdown:
        command = "python " + shlex.join([os.path.relpath(sys.argv[0])] + (sys.argv[1:] if argv is None else argv))
        body = (f"### 2-D convolution on the GPU (float32): ironnet (NHWC, implicit GEMM) vs cuDNN\n\n"
                f"Command: `{command}`\n\n"
                f"- device: {ironnet.cuda.get_device_name()}, torch {torch.__version__}, "
                f"cuDNN {torch.backends.cudnn.version()}\n\n"
                f"{harness.format_table(HEADERS, rows, markdown=True)}\n\n{NOTES}\n")
        harness.update_markdown_section(args.markdown, SECTION, body)
        print(f"updated the '{SECTION}' section of {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
