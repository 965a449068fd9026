#!/usr/bin/env python3
"""float32 LSTM and GRU sequences on the GPU: ironnet's CUDA ops against torch.nn.LSTM / nn.GRU on
CUDA (cuDNN), in the same process, on the issue's cases (bench_rnn.py's list: batch 64, input 128,
T=64 H=256 and T=128 H=512).

For each case:
  1. checks ironnet's y, h_last and the gradients of x and every weight against PyTorch's (weights
     mapped between the layouts by bench_rnn.keras_weights; TF32 off on both sides), so only correct
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
import shlex
import statistics
import sys
import time
from typing import Callable, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_rnn  # noqa: E402
import harness  # noqa: E402

SECTION = "bench_cuda_rnn"
TARGET_FWD_BWD = 1.0  # the issue: LSTM/GRU forward + backward >= 1.0x cuDNN
TOLERANCE = 2e-3      # largest error relative to each array's max (float32 sums over T steps)


def import_gpu_stack():
    """numpy, torch (CUDA) and ironnet (CUDA), or exit with a message saying what is missing."""
    import numpy as np
    import ironnet
    try:
        import torch
    except ImportError:
        sys.exit("bench_cuda_rnn: PyTorch is not installed (pip install torch, a CUDA build)")
    if not torch.cuda.is_available():
        sys.exit("bench_cuda_rnn: PyTorch sees no CUDA device")
    if not ironnet.cuda.is_available():
        sys.exit("bench_cuda_rnn: ironnet sees no CUDA device (built without CUDA, or no GPU here)")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return np, torch, ironnet


def make_callables(np, torch, ironnet, case: bench_rnn.Case, seed: int = 0):
    """The four timed callables and a check, on the same data and weights for both libraries."""
    torch.manual_seed(seed)
    module = (torch.nn.LSTM if case.cell == "lstm" else torch.nn.GRU)(bench_rnn.INPUT, case.units, batch_first=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (bench_rnn.BATCH, case.steps, bench_rnn.INPUT)).astype(np.float32)
    g = rng.uniform(-1, 1, (bench_rnn.BATCH, case.steps, case.units)).astype(np.float32)
    kernel, recurrent, bias = bench_rnn.keras_weights(np, module, case.cell, case.units)
    xi, ki, ri, bi = (ironnet.tensor(a, device="cuda") for a in (x, kernel, recurrent, bias))
    for t in (xi, ki, ri, bi):
        t.requires_grad = True
    gi = ironnet.tensor(g, device="cuda")
    op = getattr(ironnet.ops, case.cell)
    module = module.cuda()
    xt = torch.from_numpy(x).cuda().requires_grad_(True)
    gt = torch.from_numpy(g).cuda()

    def ironnet_fwd():
        with ironnet.no_grad():
            return op(xi, ki, ri, bi)

    def ironnet_fwd_bwd():
        xi.grad = ki.grad = ri.grad = bi.grad = None
        op(xi, ki, ri, bi)[0].backward(gi)

    def torch_fwd():
        with torch.no_grad():
            return module(xt)

    def torch_fwd_bwd():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        module(xt)[0].backward(gt)

    def check() -> float:
        """Largest error of ironnet's y, h_last and gradients against PyTorch's, relative to each's max."""
        y, h = (t.cpu().numpy() for t in ironnet_fwd()[:2])
        with torch.no_grad():
            yt, state = module(xt)
        ht = (state[0] if case.cell == "lstm" else state)[0]
        ironnet_fwd_bwd()
        torch_fwd_bwd()
        w_ih, w_hh = module.weight_ih_l0.grad.cpu().numpy(), module.weight_hh_l0.grad.cpu().numpy()
        b_ih, b_hh = module.bias_ih_l0.grad.cpu().numpy(), module.bias_hh_l0.grad.cpu().numpy()
        if case.cell == "gru":
            order = bench_rnn.gru_gate_order(np, case.units)
            w_ih, w_hh = w_ih[order], w_hh[order]
            b_grad = np.stack([b_ih[order], b_hh[order]])
        else:
            b_grad = b_ih  # the one Keras bias is the sum of PyTorch's two: both get the same gradient
        pairs = [(y, yt.cpu().numpy()), (h, ht.cpu().numpy()), (xi.grad.cpu().numpy(), xt.grad.cpu().numpy()),
                 (ki.grad.cpu().numpy(), w_ih.T), (ri.grad.cpu().numpy(), w_hh.T), (bi.grad.cpu().numpy(), b_grad)]
        return max(float(np.abs(got - want).max() / np.abs(want).max()) for got, want in pairs)

    fns = {"ironnet fwd": ironnet_fwd, "torch fwd": torch_fwd,
           "ironnet fwd+bwd": ironnet_fwd_bwd, "torch fwd+bwd": torch_fwd_bwd}
    return fns, check


def time_alternating(fns: Dict[str, Callable[[], object]], sync: Callable[[], None], repeats: int,
                     min_sample: float) -> Dict[str, float]:
    """Median seconds per call of each function: warm-up, then `repeats` samples of each in turn, each
    sample a loop of calls long enough to last min_sample, ended by a device synchronize."""
    inner = {}
    for name, fn in fns.items():
        for _ in range(3):
            fn()
        sync()
        start = time.perf_counter()
        fn()
        sync()
        inner[name] = max(1, int(min_sample / max(time.perf_counter() - start, 1e-6)))
    samples: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            for _ in range(inner[name]):
                fn()
            sync()
            samples[name].append((time.perf_counter() - start) / inner[name])
    return {name: statistics.median(s) for name, s in samples.items()}


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
    np, torch, ironnet = import_gpu_stack()

    def sync() -> None:
        ironnet.cuda.synchronize()
        torch.cuda.synchronize()

    rows = []
    for name in args.cases:
        case = bench_rnn.CASES[name]
        fns, check = make_callables(np, torch, ironnet, case)
        error = check()
        if not error <= TOLERANCE:
            sys.exit(f"bench_cuda_rnn: {case.label()}: ironnet differs from PyTorch by {error:.1e} (> {TOLERANCE:.0e}); "
                     "not timing wrong code")
        for what in ("fwd", "fwd+bwd"):
            group = {k.split()[0]: f for k, f in fns.items() if k.endswith(" " + what)}
            seconds = time_alternating(group, sync, args.repeats, args.min_sample)
            ratio = seconds["torch"] / seconds["ironnet"]
            target = f"≥{TARGET_FWD_BWD:.1f}×: " + ("yes" if ratio >= TARGET_FWD_BWD else "**NO**") if what == "fwd+bwd" else "—"
            rows.append([case.label(), what, f"{bench_rnn.BATCH / seconds['ironnet']:,.0f}",
                         f"{bench_rnn.BATCH / seconds['torch']:,.0f}", f"{ratio:.2f}×", target,
                         f"{harness.gflops(case.flops(what), seconds['ironnet']):.0f}"])
            print(f"  {case.label()} {what}: {ratio:.2f}x cuDNN (check error {error:.1e})", file=sys.stderr, flush=True)

    device = ironnet.cuda.get_device_name()
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    body = (f"Device: {device}; torch {torch.__version__} (cuDNN {torch.backends.cudnn.version()}), TF32 off.\n"
            f"Command: `{command}`\n\n" + harness.format_table(HEADERS, rows, markdown=True) + "\n")
    print(body)
    if args.markdown:
        harness.update_markdown_section(args.markdown, SECTION, body)


if __name__ == "__main__":
    main()
