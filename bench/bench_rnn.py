#!/usr/bin/env python3
"""float32 LSTM and GRU sequences: ironnet's fused native ops against PyTorch CPU nn.LSTM / nn.GRU.

For each thread count and case (batch 64, input 128):
  1. checks ironnet's y, h_last and the gradients of x and every weight against PyTorch in float64,
     with the weights mapped between the layouts (Keras: kernel (I, kH) gates i,f,c,o / z,r,h;
     PyTorch: weight_ih (kH, I) gates i,f,g,o / r,z,n), so only correct code is timed;
  2. times the forward (inference: no_grad) and forward + backward (autograd, gradients of x and of
     every weight) of both, interleaved sample by sample in the same process (see harness.py);
  3. prints sequences/s, ironnet's ratio to PyTorch, GFLOP/s and the fraction of the FMA peak
     (measured here per thread count by ironnet.measure_fma_peak, or --peak GFLOP/s for two
     threads), against the issue's targets.

FLOPs: forward = 2·B·T·(I + H)·kH (input projection and recurrent GEMMs; the pointwise work is not
counted), forward + backward = 3× that (dx, dW_ih, dW_hh and dh are the forward's GEMMs twice over).
Targets at 2 threads: forward >= 1.1×; forward + backward >= 1.3× (LSTM), >= 1.6× (GRU).

    python bench/bench_rnn.py                         # every case, 2 and 1 threads
    python bench/bench_rnn.py --threads 2 --cases lstm-64x256
    python bench/bench_rnn.py --markdown bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SECTION = "bench_rnn"
TARGET_THREADS = 2
BATCH, INPUT = 64, 128


@dataclass(frozen=True)
class Case:
    cell: str  # "lstm" or "gru" (reset_after=True, as PyTorch's GRU)
    steps: int
    units: int
    target_fwd: float
    target_fwd_bwd: float

    @property
    def name(self) -> str:
        return f"{self.cell}-{self.steps}x{self.units}"

    @property
    def gates(self) -> int:
        return 4 if self.cell == "lstm" else 3

    def flops(self, what: str) -> float:
        forward = 2.0 * BATCH * self.steps * (INPUT + self.units) * self.gates * self.units
        return forward if what == "fwd" else 3.0 * forward

    def label(self) -> str:
        return f"{self.cell.upper()} T={self.steps} H={self.units}"


CASES = {c.name: c for c in (
    Case("lstm", 64, 256, 1.1, 1.3), Case("lstm", 128, 512, 1.1, 1.3),
    Case("gru", 64, 256, 1.1, 1.6), Case("gru", 128, 512, 1.1, 1.6),
)}


def gru_gate_order(np, units: int):
    """Rows of PyTorch's GRU weights (gates r, z, n) in Keras's gate order z, r, h."""
    return np.concatenate([np.arange(units, 2 * units), np.arange(units), np.arange(2 * units, 3 * units)])


def keras_weights(np, module, cell: str, units: int):
    """PyTorch's nn.LSTM / nn.GRU parameters in Keras's layout (kernel, recurrent_kernel, bias)."""
    w_ih, w_hh = module.weight_ih_l0.detach().numpy(), module.weight_hh_l0.detach().numpy()
    b_ih, b_hh = module.bias_ih_l0.detach().numpy(), module.bias_hh_l0.detach().numpy()
    if cell == "lstm":  # same gate order i, f, g(c), o; the two biases add up
        return w_ih.T.copy(), w_hh.T.copy(), (b_ih + b_hh).astype(np.float32)
    order = gru_gate_order(np, units)
    return w_ih[order].T.copy(), w_hh[order].T.copy(), np.stack([b_ih[order], b_hh[order]]).astype(np.float32)


def make_callables(np, torch, ironnet, case: Case, seed: int, device: str = "cpu"):
    """The four timed callables and a correctness check, on the same data and weights for both libraries,
    all on `device` (bench_cuda_rnn.py times them on "cuda"); the check's reference is PyTorch in float64
    on that device."""
    torch.manual_seed(seed)
    module = (torch.nn.LSTM if case.cell == "lstm" else torch.nn.GRU)(INPUT, case.units, batch_first=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (BATCH, case.steps, INPUT)).astype(np.float32)
    g = rng.uniform(-1, 1, (BATCH, case.steps, case.units)).astype(np.float32)
    kernel, recurrent, bias = keras_weights(np, module, case.cell, case.units)
    xi, ki, ri, bi = (ironnet.tensor(a, device=device, requires_grad=True) for a in (x, kernel, recurrent, bias))
    gi = ironnet.tensor(g, device=device)
    op = getattr(ironnet.ops, case.cell)

    def ironnet_fwd():
        with ironnet.no_grad():
            return op(xi, ki, ri, bi)

    def ironnet_fwd_bwd():
        xi.grad = ki.grad = ri.grad = bi.grad = None
        op(xi, ki, ri, bi)[0].backward(gi)

    module = module.to(device)
    xt = torch.from_numpy(x).to(device).requires_grad_(True)
    gt = torch.from_numpy(g).to(device)

    def torch_fwd():
        with torch.no_grad():
            return module(xt)

    def torch_fwd_bwd():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        module(xt)[0].backward(gt)

    def check() -> float:
        """Largest error of ironnet's y, h_last and gradients against PyTorch in float64, relative to each's max."""
        module64 = (torch.nn.LSTM if case.cell == "lstm" else torch.nn.GRU)(INPUT, case.units, batch_first=True)
        module64.load_state_dict(module.state_dict())
        module64.double().to(device)
        x64 = torch.from_numpy(x).to(device).double().requires_grad_(True)
        y64, state64 = module64(x64)
        y64.backward(torch.from_numpy(g).to(device).double())
        h64 = state64[0] if case.cell == "lstm" else state64
        y, h = (t.cpu().numpy() for t in ironnet_fwd()[:2])
        ironnet_fwd_bwd()
        host = lambda t: t.detach().cpu().numpy()  # noqa: E731
        w_ih_grad, w_hh_grad = host(module64.weight_ih_l0.grad), host(module64.weight_hh_l0.grad)
        b_grad = host(module64.bias_ih_l0.grad)
        if case.cell == "gru":
            order = gru_gate_order(np, case.units)
            w_ih_grad, w_hh_grad = w_ih_grad[order], w_hh_grad[order]
            b_grad = np.stack([b_grad[order], host(module64.bias_hh_l0.grad)[order]])
        pairs = [(y, host(y64)), (h, host(h64)[0]), (host(xi.grad), host(x64.grad)), (host(ki.grad), w_ih_grad.T),
                 (host(ri.grad), w_hh_grad.T), (host(bi.grad), b_grad)]
        return max(float(np.abs(got - want).max() / np.abs(want).max()) for got, want in pairs)

    fns = {"ironnet fwd": ironnet_fwd, "torch fwd": torch_fwd,
           "ironnet fwd+bwd": ironnet_fwd_bwd, "torch fwd+bwd": torch_fwd_bwd}
    return fns, check


@dataclass
class Row:
    case: Case
    threads: int
    what: str  # "fwd" or "fwd+bwd"
    seconds: Dict[str, float]  # "ironnet" / "torch" -> median seconds per batch
    noise: float
    disturbed: bool

    def seq_per_s(self, lib: str) -> float:
        return BATCH / self.seconds[lib]

    @property
    def ratio(self) -> float:
        return self.seconds["torch"] / self.seconds["ironnet"]

    def gflops(self, lib: str) -> float:
        return harness.gflops(self.case.flops(self.what), self.seconds[lib])

    @property
    def target(self) -> float:
        return self.case.target_fwd if self.what == "fwd" else self.case.target_fwd_bwd

    def met(self) -> Optional[bool]:
        return None if self.threads != TARGET_THREADS else self.ratio >= self.target


def run(args) -> List[Row]:
    rows = []
    for threads, case, fns, error, monitor, spare in harness.validated_cases(args, CASES, make_callables):
        for what in ("fwd", "fwd+bwd"):
            group = {k.split()[0]: f for k, f in fns.items() if k.endswith(" " + what)}
            result = harness.time_interleaved(group, args.repeats, args.min_time / args.repeats, args.pause,
                                              monitor, spare)
            row = Row(case, threads, what, {k: t.median for k, t in result.timings.items()},
                      max(t.spread for t in result.timings.values()), not result.clean)
            rows.append(row)
            print(f"  {case.label()} {what}, {threads} thread(s): ironnet {row.seq_per_s('ironnet'):.0f} seq/s, "
                  f"torch {row.seq_per_s('torch'):.0f} seq/s, {row.ratio:.2f}x (check error {error:.1e})",
                  file=sys.stderr, flush=True)
    return rows


HEADERS = ["case", "threads", "pass", "ironnet seq/s", "torch seq/s", "ironnet / torch", "target", "ironnet GFLOP/s",
           "% of FMA peak", "torch GFLOP/s", "noise"]


def table_rows(rows: List[Row], peaks: Dict[int, float]) -> List[List[str]]:
    out = []
    for r in rows:
        met = r.met()
        verdict = "—" if met is None else (f"≥{r.target:.1f}×: " + ("yes" if met else "**NO**"))
        thread_peak = peaks[r.threads]
        out.append([r.case.label(), str(r.threads), r.what, f"{r.seq_per_s('ironnet'):,.0f}",
                    f"{r.seq_per_s('torch'):,.0f}", f"{r.ratio:.2f}×", verdict, f"{r.gflops('ironnet'):.0f}",
                    f"{100 * r.gflops('ironnet') / thread_peak:.0f}%", f"{r.gflops('torch'):.0f}",
                    f"{100 * r.noise:.0f}%" + (" disturbed" if r.disturbed else "")])
    return out


NOTES = """\
- batch 64, input 128, float32; ironnet `ops.lstm` / `ops.gru` (reset_after, PyTorch's form) vs
  `torch.nn.LSTM` / `torch.nn.GRU` (batch_first) on the same data and weights, interleaved.
- fwd: under no_grad (ironnet then saves no training workspace); fwd+bwd: `y.backward(g)` through both
  autograds, gradients of x and of every weight.
- GFLOP/s count the GEMMs only: forward 2·B·T·(I+H)·kH, forward + backward 3× that. % of FMA peak: of
  the float32 FMA throughput measured at that thread count (`ironnet.measure_fma_peak`), or of --peak.
- noise = the larger interquartile range / median of the two timed callables of that row."""


def fma_peaks(args) -> Dict[int, float]:
    """GFLOP/s per thread count: --peak scaled (it is the two-thread figure), or measured now."""
    import ironnet

    if args.peak:
        return {t: args.peak * t / 2 for t in args.threads}
    return {t: ironnet.measure_fma_peak(threads=t) for t in args.threads}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[2, 1], help="thread counts (default: 2 1)")
    p.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES), help="cases (default: all)")
    p.add_argument("--repeats", type=int, default=7, help="timed samples per callable (default: 7)")
    p.add_argument("--min-time", type=float, default=1.0, help="least seconds of calls per callable (default: 1)")
    p.add_argument("--pause", type=float, default=0.05, help="seconds of sleep before each sample (default: 0.05)")
    p.add_argument("--max-wait", type=float, default=30.0, help="most seconds to wait for a quiet CPU per case")
    p.add_argument("--peak", type=float, default=None,
                   help="two-thread float32 FMA peak in GFLOP/s (one thread: half of it); default: measured on "
                        "this machine per thread count")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", metavar="PATH", help="write/update the results section of this Markdown file")
    args = p.parse_args(argv)
    if min(args.threads) < 1 or args.repeats < 1:
        p.error("--threads and --repeats must be >= 1")

    rows = run(args)
    peaks = fma_peaks(args)
    table = harness.format_table(HEADERS, table_rows(rows, peaks))
    print("\n" + table)
    summary = harness.target_summary([r.met() for r in rows], TARGET_THREADS)
    print("\n" + summary)
    if args.markdown:
        import torch

        import ironnet

        command = harness.command_line(argv)
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip() if os.name == "posix" else "?"
        cfg = ironnet.config()
        body = harness.results_section(
            "Recurrent sequences (float32): ironnet LSTM/GRU vs PyTorch nn.LSTM/nn.GRU", command,
            [f"cpu: {harness.cpu_model()}, {os.cpu_count()} logical CPUs; load after the run: `{load}`",
             f"ironnet {cfg['version']} (CPU ISA {cfg['cpu_isa']}), torch {torch.__version__}",
             "FMA peak used for the % column: " + ", ".join(
                 f"{peaks[t]:.0f} GFLOP/s at {t} thread(s)" for t in args.threads)
             + (" (given by --peak)" if args.peak else " (measured: `ironnet.measure_fma_peak`)")],
            harness.format_table(HEADERS, table_rows(rows, peaks), markdown=True), summary, NOTES)
        harness.write_results(args.markdown, SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
