#!/usr/bin/env python3
"""float32 2-D convolution: ironnet (NHWC) against PyTorch CPU (best of NCHW and channels_last), same data.

For each thread count and case:
  1. checks ironnet's forward output and gradients against PyTorch in float64 (relative to the largest
     magnitude, tolerance 1e-4), so only a correct convolution is timed;
  2. times the forward (no autograd) and the forward + backward (autograd, dx only where the case needs
     it, like a first layer that never needs it) of ironnet and of PyTorch in both memory layouts, all
     interleaved sample by sample (see harness.py);
  3. prints GFLOP/s (2 * N * Ho * Wo * C_out * kh * kw * C_in per pass; forward + backward counts 3
     passes with dx, 2 without), ironnet's ratio to PyTorch's faster layout, and the targets.

Targets (at 2 threads): >= 1x PyTorch forward and forward + backward for the 32->64 and 64->64 cases,
>= 2x PyTorch forward + backward for the LeNet-like first layer.

    python bench/bench_conv.py                          # every case, 1 and 2 threads
    python bench/bench_conv.py --threads 2 --cases resnet
    python bench/bench_conv.py --markdown bench/RESULTS.md
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SECTION = "bench_conv"
TARGET_THREADS = 2


@dataclass(frozen=True)
class Case:
    name: str
    n: int
    h: int
    w: int
    c_in: int
    c_out: int
    k: int
    padding: str
    need_dx: bool
    target_fwd: Optional[float]  # least ironnet / PyTorch ratio at TARGET_THREADS, None: no target
    target_fwd_bwd: Optional[float]

    @property
    def out_hw(self):
        if self.padding == "same":
            return self.h, self.w
        return self.h - self.k + 1, self.w - self.k + 1

    def flops(self) -> float:
        ho, wo = self.out_hw
        return 2.0 * self.n * ho * wo * self.c_out * self.k * self.k * self.c_in

    def label(self) -> str:
        dx = "" if self.need_dx else ", no dx"
        return f"{self.c_in}→{self.c_out} {self.k}×{self.k} '{self.padding}' on {self.n}×{self.h}×{self.w}{dx}"


CASES = {
    "mid": Case("mid", 128, 14, 14, 32, 64, 3, "same", True, 1.0, 1.0),
    "resnet": Case("resnet", 32, 56, 56, 64, 64, 3, "same", True, 1.0, 1.0),
    "lenet": Case("lenet", 128, 28, 28, 1, 32, 3, "valid", False, None, 2.0),
}


@dataclass
class Row:
    case: Case
    threads: int
    gflops: Dict[str, float]  # "<lib> fwd" / "<lib> fwd+bwd" -> GFLOP/s, lib in ironnet, torch NCHW, torch NHWC
    noise: float
    disturbed: bool

    def best_torch(self, what: str) -> float:
        return max(self.gflops[f"torch NCHW {what}"], self.gflops[f"torch channels_last {what}"])

    def ratio(self, what: str) -> float:
        return self.gflops[f"ironnet {what}"] / self.best_torch(what)

    def met(self, what: str) -> Optional[bool]:
        target = self.case.target_fwd if what == "fwd" else self.case.target_fwd_bwd
        if target is None or self.threads != TARGET_THREADS:
            return None
        return self.ratio(what) >= target


def make_callables(np, torch, ironnet, case: Case, seed: int, device: str = "cpu",
                   layouts: Sequence[str] = ("NCHW", "channels_last")):
    """The timed callables (ironnet, and PyTorch in each of `layouts`; fwd and fwd+bwd) and a correctness
    check, on the same data for every library, all on `device` (bench_cuda_conv.py times them on
    "cuda"); the check's reference is PyTorch in float64 on that device."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (case.n, case.h, case.w, case.c_in)).astype(np.float32)
    w = (rng.uniform(-1, 1, (case.k, case.k, case.c_in, case.c_out)) / np.sqrt(case.k * case.k * case.c_in)).astype(
        np.float32)
    b = rng.uniform(-1, 1, case.c_out).astype(np.float32)
    ho, wo = case.out_hw
    g = rng.uniform(-1, 1, (case.n, ho, wo, case.c_out)).astype(np.float32)

    xi = ironnet.tensor(x, device=device, requires_grad=case.need_dx)
    wi = ironnet.tensor(w, device=device, requires_grad=True)
    bi = ironnet.tensor(b, device=device, requires_grad=True)
    gi = ironnet.tensor(g, device=device)
    pad = (case.k - 1) // 2 if case.padding == "same" else 0  # odd kernels: symmetric, as PyTorch pads

    def ironnet_fwd():
        with ironnet.no_grad():
            return ironnet.ops.conv2d(xi, wi, bi, padding=case.padding)

    def ironnet_fwd_bwd():
        wi.grad = bi.grad = xi.grad = None
        ironnet.ops.conv2d(xi, wi, bi, padding=case.padding).backward(gi)

    def on_device(a, dims=None):  # a NumPy array as a tensor on `device`; dims: PyTorch's axis order
        t = torch.from_numpy(a).to(device)
        return t.permute(*dims) if dims else t

    nchw, oihw = (0, 3, 1, 2), (3, 2, 0, 1)  # NHWC data / HWIO kernel axes in PyTorch's order

    fns = {"ironnet fwd": ironnet_fwd, "ironnet fwd+bwd": ironnet_fwd_bwd}
    for layout in layouts:
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        xt = on_device(x, nchw).contiguous(memory_format=fmt).requires_grad_(case.need_dx)
        wt = on_device(w, oihw).contiguous(memory_format=fmt).requires_grad_(True)
        bt = on_device(b).clone().requires_grad_(True)
        gt = on_device(g, nchw).contiguous(memory_format=fmt)

        def fwd(xt=xt, wt=wt, bt=bt):
            with torch.no_grad():
                return torch.nn.functional.conv2d(xt, wt, bt, padding=pad)

        def fwd_bwd(xt=xt, wt=wt, bt=bt, gt=gt):
            wt.grad = bt.grad = xt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, padding=pad).backward(gt)

        fns[f"torch {layout} fwd"] = fwd
        fns[f"torch {layout} fwd+bwd"] = fwd_bwd

    def check() -> float:
        """Largest error of ironnet's y, dw, db (and dx) against PyTorch in float64, relative to each's max."""
        x64 = on_device(x, nchw).double().requires_grad_(case.need_dx)
        w64 = on_device(w, oihw).double().requires_grad_(True)
        b64 = on_device(b).double().requires_grad_(True)
        y64 = torch.nn.functional.conv2d(x64, w64, b64, padding=pad)
        y64.backward(on_device(g, nchw).double())
        y = ironnet_fwd().cpu().numpy()
        ironnet_fwd_bwd()
        pairs = [(y, y64.detach().permute(0, 2, 3, 1)), (wi.grad, w64.grad.permute(2, 3, 1, 0)), (bi.grad, b64.grad)]
        if case.need_dx:
            pairs.append((xi.grad, x64.grad.permute(0, 2, 3, 1)))
        errors = []
        for got, want in pairs:
            got = got if isinstance(got, np.ndarray) else got.cpu().numpy()
            want = want.cpu().numpy()
            errors.append(float(np.abs(got - want).max() / np.abs(want).max()))
        return max(errors)

    return fns, check


def run(args) -> List[Row]:
    rows = []
    for threads, case, fns, _, monitor, spare in harness.validated_cases(args, CASES, make_callables):
        gflops, noise, disturbed = {}, 0.0, False
        for what in ("fwd", "fwd+bwd"):
            group = {k: f for k, f in fns.items() if k.endswith(" " + what)}
            result = harness.time_interleaved(group, args.repeats, args.min_time / args.repeats, args.pause,
                                              monitor, spare)
            passes = 1 if what == "fwd" else (3 if case.need_dx else 2)
            for k, timing in result.timings.items():
                gflops[k] = harness.gflops(passes * case.flops(), timing.median)
            noise = max(noise, *(t.spread for t in result.timings.values()))
            disturbed |= not result.clean
        rows.append(Row(case, threads, gflops, noise, disturbed))
        print(f"  {case.label()}, {threads} thread(s): " + ", ".join(f"{k} {v:.0f}" for k, v in gflops.items()),
              file=sys.stderr, flush=True)
    return rows


HEADERS = ["case", "threads", "pass", "ironnet GFLOP/s", "torch NCHW", "torch channels_last", "vs best torch",
           "target", "noise"]


def table_rows(rows: List[Row]) -> List[List[str]]:
    out = []
    for r in rows:
        for what in ("fwd", "fwd+bwd"):
            met = r.met(what)
            target = r.case.target_fwd if what == "fwd" else r.case.target_fwd_bwd
            verdict = "—" if met is None else (f"≥{target:.0f}×: " + ("yes" if met else "**NO**"))
            out.append([r.case.label(), str(r.threads), what, f"{r.gflops['ironnet ' + what]:.0f}",
                        f"{r.gflops['torch NCHW ' + what]:.0f}", f"{r.gflops['torch channels_last ' + what]:.0f}",
                        f"{r.ratio(what):.2f}×", verdict,
                        f"{100 * r.noise:.0f}%" + (" disturbed" if r.disturbed else "")])
    return out


NOTES = """\
- GFLOP/s = 2·N·Ho·Wo·C_out·kh·kw·C_in per pass / median time; forward + backward counts 3 passes (2 without dx).
- fwd: ironnet `ops.conv2d` under no_grad on NHWC data vs `torch.nn.functional.conv2d` under no_grad;
  fwd+bwd: both through their autograd (`y.backward(g)`), dx computed only where the case needs it.
- "vs best torch" = ironnet over the faster of PyTorch's NCHW and channels_last runs; all interleaved.
- noise = the largest interquartile range / median among the timed callables of that row."""


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    p.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES), help="cases (default: all)")
    p.add_argument("--repeats", type=int, default=7, help="timed samples per callable (default: 7)")
    p.add_argument("--min-time", type=float, default=0.4, help="least seconds of calls per callable (default: 0.4)")
    p.add_argument("--pause", type=float, default=0.05, help="seconds of sleep before each sample (default: 0.05)")
    p.add_argument("--max-wait", type=float, default=60.0, help="most seconds to wait for a quiet CPU per case")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", metavar="PATH", help="write/update the results section of this Markdown file")
    args = p.parse_args(argv)
    if min(args.threads) < 1 or args.repeats < 1:
        p.error("--threads and --repeats must be >= 1")

    rows = run(args)
    table = harness.format_table(HEADERS, table_rows(rows))
    print("\n" + table)
    summary = harness.target_summary([r.met(w) for r in rows for w in ("fwd", "fwd+bwd")], TARGET_THREADS)
    print("\n" + summary)
    if args.markdown:
        import torch

        import ironnet

        command = harness.command_line(argv)
        cfg = ironnet.config()
        body = harness.results_section(
            "2-D convolution (float32): ironnet (NHWC) vs PyTorch", command,
            [f"cpu: {harness.cpu_model()}, {os.cpu_count()} logical CPUs",
             f"ironnet {cfg['version']} (CPU ISA {cfg['cpu_isa']}), torch {torch.__version__}"],
            harness.format_table(HEADERS, table_rows(rows), markdown=True), summary, NOTES)
        harness.write_results(args.markdown, SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
