#!/usr/bin/env python3
"""float32 LSTM and GRU sequences on the GPU: ironnet's CUDA ops against torch.nn.LSTM / nn.GRU on
CUDA (cuDNN), in the same process, on the issue's cases (bench_rnn.py's list: batch 64, input 128,
T=64 H=256 and T=128 H=512).

For each case:
  1. checks ironnet's y, h_last and the gradients of x and every weight against PyTorch in float64 on
     the GPU (bench_rnn.make_callables, which maps the weights between the layouts), so only correct
     code is timed;
  2. times the forward (inference: no_grad) and forward + backward (gradients of x and every weight)
     of both, after a warm-up, each sample ended by a device synchronize, the two libraries
     alternating sample by sample; reports the median;
  3. prints sequences/s, ironnet's ratio to PyTorch and the target (forward + backward >= 1.0x cuDNN).

    python bench/bench_cuda_rnn.py                     # every case
    python bench/bench_cuda_rnn.py --quick             # fewer, shorter samples (< 60 s on an H100)
    python bench/bench_cuda_rnn.py --cases lstm-64x256 --markdown bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_rnn  # noqa: E402
import cuda_harness  # noqa: E402
import harness  # noqa: E402

SECTION = "bench_cuda_rnn"
TARGET_FWD_BWD = 1.0  # the issue: LSTM/GRU forward + backward >= 1.0x cuDNN
TOLERANCE = 2e-3      # largest error relative to each array's max (float32 sums over T steps)


HEADERS = ["case", "pass", "ironnet seq/s", "torch (cuDNN) seq/s", "ironnet / torch", "target", "ironnet GFLOP/s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(bench_rnn.CASES), default=list(bench_rnn.CASES))
    parser.add_argument("--quick", action="store_true", help="5 samples of >= 20 ms each (< 60 s in all)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--min-sample", type=float, default=0.1, help="seconds per sample")
    parser.add_argument("--markdown", help="also write the table into this file's bench_cuda_rnn section")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.min_sample = 5, 0.02
    ironnet, torch = cuda_harness.load_gpu_peers("bench_cuda_rnn")
    import numpy as np

    sync = cuda_harness.synchronizer(ironnet, torch)
    rows = []
    for name in args.cases:
        case = bench_rnn.CASES[name]
        fns, check = bench_rnn.make_callables(np, torch, ironnet, case, seed=0, device="cuda")
        error = check()
        if not error <= TOLERANCE:
            sys.exit(f"bench_cuda_rnn: {case.label()}: ironnet differs from PyTorch by {error:.1e} (> {TOLERANCE:.0e}); "
                     "not timing wrong code")
        for what in ("fwd", "fwd+bwd"):
            group = {k.split()[0]: f for k, f in fns.items() if k.endswith(" " + what)}
            seconds = cuda_harness.gpu_medians(group, sync, args.repeats, min_sample=args.min_sample)
            ratio = seconds["torch"] / seconds["ironnet"]
            target = f"≥{TARGET_FWD_BWD:.1f}×: " + ("yes" if ratio >= TARGET_FWD_BWD else "**NO**") if what == "fwd+bwd" else "—"
            rows.append([case.label(), what, f"{bench_rnn.BATCH / seconds['ironnet']:,.0f}",
                         f"{bench_rnn.BATCH / seconds['torch']:,.0f}", f"{ratio:.2f}×", target,
                         f"{harness.gflops(case.flops(what), seconds['ironnet']):.0f}"])
            print(f"  {case.label()} {what}: {ratio:.2f}x cuDNN (check error {error:.1e})", file=sys.stderr, flush=True)

    device = ironnet.cuda.get_device_name()
    command = harness.command_line()
    body = (f"Device: {device}; torch {torch.__version__} (cuDNN {torch.backends.cudnn.version()}), TF32 off.\n"
            f"Command: `{command}`\n\n" + harness.format_table(HEADERS, rows, markdown=True) + "\n")
    print(body)
    if args.markdown:
        harness.update_markdown_section(args.markdown, SECTION, body)


if __name__ == "__main__":
    main()
