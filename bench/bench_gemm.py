#!/usr/bin/env python3
"""float32 GEMM: ironnet against NumPy (its BLAS) and PyTorch (MKL on x86 CPU wheels), same data.

For each thread count and shape (M, N, K), C (M, N) = A (M, K) @ B (K, N):
  1. checks ironnet's C against a float64 NumPy product, elementwise, with the rigorous bound
     |C - C64| <= K * 2^-24 * (|A| @ |B|)   (any summation order, FMA or not, satisfies it);
     C is filled with NaN first, so a kernel that reads C when beta == 0 is caught too;
  2. times ironnet `gemm(a, b, c)`, NumPy `np.matmul(a, b, out=c)` and PyTorch `torch.mm(a, b, out=c)`,
     all on the same 64-byte-aligned float32 A and B, each writing into its own preallocated C,
     so no allocation is timed; the three are interleaved sample by sample (see harness.py);
  3. prints GFLOP/s from the median sample, ironnet's ratio to each peer, and the targets.

Targets (at 2 threads): ironnet >= 1.0x NumPy at every shape, >= 1.0x PyTorch at 512², 1024², 2048².

    python bench/bench_gemm.py                              # every default shape, 1 and 2 threads
    python bench/bench_gemm.py --threads 2 --shapes 512 128x1024x784
    python bench/bench_gemm.py --markdown bench/RESULTS.md  # also update the results section there
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402  (NumPy-free: NumPy must not load before OPENBLAS_NUM_THREADS is set)

Shape = Tuple[int, int, int]  # (M, N, K)

DEFAULT_SHAPES = ["64", "128", "256", "512", "1024", "2048",
                  "128x1024x784", "64x2048x512", "128x256x784", "64x25088x288"]
TARGET_THREADS = 2
TORCH_TARGET_SHAPES = {(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)}
SECTION = "bench_gemm"
NOISY = 0.2  # a row whose samples' interquartile range exceeds 20% of the median is measured again


def parse_shape(text: str) -> Shape:
    """'512' is 512x512x512; 'MxNxK' is C (M, N) = A (M, K) @ B (K, N)."""
    parts = re.split(r"[x,×]", text.strip())
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        dims = []
    if len(dims) == 1:
        dims *= 3
    if len(dims) != 3 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"shape {text!r}: expected N (for N×N×N) or MxNxK with positive sizes")
    return dims[0], dims[1], dims[2]


def shape_label(s: Shape) -> str:
    return f"{s[0]}²" if s[0] == s[1] == s[2] else f"{s[0]}×{s[1]}×{s[2]}"


@dataclass
class Row:
    shape: Shape
    threads: int
    error: float  # max over C of |C - C64| / (|A| @ |B|)
    bound: float  # K * 2^-24
    ok: bool
    gflops: Dict[str, float]  # library -> GFLOP/s of the median sample (empty when the check failed)
    spread: float  # the largest interquartile range / median among the libraries
    redone: int = 0  # rounds measured again because other processes used the CPU
    disturbed: bool = False  # other processes or noise spoiled every try: the numbers are suspect

    def ratio(self, peer: str) -> Optional[float]:
        if peer not in self.gflops or "ironnet" not in self.gflops:
            return None
        return self.gflops["ironnet"] / self.gflops[peer]

    def targets(self) -> Dict[str, Optional[bool]]:
        """peer -> met (True/False), or None where no target applies."""
        out: Dict[str, Optional[bool]] = {"numpy": None, "torch": None}
        if self.threads != TARGET_THREADS or not self.ok:
            return out
        for peer in ("numpy", "torch"):
            applies = peer == "numpy" or tuple(self.shape) in TORCH_TARGET_SHAPES
            ratio = self.ratio(peer)
            if applies and ratio is not None:
                out[peer] = ratio >= 1.0
        return out


# --- one thread count, in this process --------------------------------------------------------------

def run_in_process(threads: List[int], shapes: List[Shape], args: argparse.Namespace, limit_blas) -> List[Row]:
    import numpy as np
    import ironnet

    try:
        import torch
    except ImportError:
        torch = None
    if args.isa:
        ironnet.set_cpu_isa(args.isa)
    rows = []
    refs: Dict[Shape, tuple] = {}  # shape -> (A, B, C64, |A|@|B|), shared by the thread counts
    monitor = harness.CpuMonitor()
    wait_left = args.max_wait
    for t in threads:
        ironnet.set_num_threads(t)
        if torch is not None:
            torch.set_num_threads(t)
        with limit_blas(t):
            for shape in shapes:
                spare = max(0, (os.cpu_count() or 1) - t)  # CPUs this measurement leaves to others
                waited, quiet = harness.wait_for_quiet(monitor, max(0.0, wait_left), spare)
                wait_left -= waited
                if waited > 1:
                    print(f"  waited {waited:.0f} s for other processes to leave the CPUs"
                          + ("" if quiet else " (still busy; going on)"), file=sys.stderr)
                row = bench_shape(np, ironnet, torch, shape, t, args, refs, monitor, spare)
                rows.append(row)
                print(f"  {shape_label(shape)} at {t} thread(s): "
                      + (", ".join(f"{k} {v:.1f}" for k, v in row.gflops.items()) + " GFLOP/s" if row.ok else "WRONG")
                      + (f" ({row.redone} rounds redone)" if row.redone else ""), file=sys.stderr, flush=True)
    return rows


def make_operands(np, ironnet, shape: Shape, seed: int):
    """A, B as 64-byte-aligned float32 arrays (ironnet's allocator; NumPy and torch view the same memory),
    uniform in [-1, 1), plus the float64 reference and the |A| @ |B| scale of the error bound."""
    m, n, k = shape
    rng = np.random.default_rng([seed, m, n, k])
    a = ironnet.empty((m, k)).numpy()
    b = ironnet.empty((k, n)).numpy()
    a[...] = rng.uniform(-1.0, 1.0, size=(m, k))
    b[...] = rng.uniform(-1.0, 1.0, size=(k, n))
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return a, b, a64 @ b64, np.abs(a64) @ np.abs(b64)


def bench_shape(np, ironnet, torch, shape: Shape, threads: int, args, refs, monitor, spare: int) -> Row:
    m, n, k = shape
    if shape not in refs:
        refs.clear()  # keep one shape's operands alive at a time
        refs[shape] = make_operands(np, ironnet, shape, args.seed)
    a, b, c64, scale = refs[shape]
    a_t, b_t = ironnet.from_numpy(a), ironnet.from_numpy(b)
    c_t = ironnet.empty((m, n))

    # Correctness first, on exactly the call that is timed below.
    c = c_t.numpy()
    c[...] = np.nan
    ironnet.ops.gemm(a_t, b_t, c_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = float(np.nanmax(np.where(np.isfinite(c), np.abs(c - c64) / np.maximum(scale, 1e-300), np.inf)))
    bound = k * 2.0**-24
    ok = err <= bound
    if not ok:
        print(f"FAIL {shape_label(shape)} threads={threads}: max |C - C64| / (|A|@|B|) = {err:.3g} > {bound:.3g}",
              file=sys.stderr)
        return Row(shape, threads, err, bound, False, {}, 0.0)

    c_np = ironnet.empty((m, n)).numpy()
    fns = {
        "ironnet": lambda: ironnet.ops.gemm(a_t, b_t, c_t),
        "numpy": lambda: np.matmul(a, b, out=c_np),
    }
    if torch is not None:
        a_th, b_th = torch.from_numpy(a), torch.from_numpy(b)
        c_th = torch.from_numpy(ironnet.empty((m, n)).numpy())
        fns["torch"] = lambda: torch.mm(a_th, b_th, out=c_th)
    # A disturbance /proc/stat cannot see (another VM on the same host, say) still shows as noise:
    # a row whose samples spread too widely is measured again, keeping the steadiest measurement.
    result = None
    for attempt in range(1 + args.retries):
        trial = harness.time_interleaved(fns, args.repeats, args.min_time / args.repeats, args.pause, monitor, spare)
        trial_spread = max(tm.spread for tm in trial.timings.values())
        if result is None or (trial.clean, -trial_spread) > (result.clean, -spread):
            result, spread = trial, trial_spread
        if result.clean and spread <= NOISY:
            break
        if attempt < args.retries:
            print(f"  {shape_label(shape)} at {threads} thread(s): disturbed (noise {spread:.0%}); measuring again",
                  file=sys.stderr)
    timings = result.timings
    flops = harness.gemm_flops(m, n, k)
    gf = {name: harness.gflops(flops, tm.median) for name, tm in timings.items()}
    # The peers computed the same product: a cheap sanity check that they were timed doing real work.
    for name, out in (("numpy", c_np), ("torch", None if torch is None else c_th.numpy())):
        if out is not None and not np.all(np.abs(out - c64) <= 2 * bound * scale):
            print(f"warning: {name}'s C differs from the float64 reference at {shape_label(shape)}", file=sys.stderr)
    return Row(shape, threads, err, bound, True, gf, spread, result.contended_rounds,
               not result.clean or spread > NOISY)


# --- thread control for NumPy's BLAS ---------------------------------------------------------------

def blas_thread_control(threads: List[int]):
    """Returns (how, limit_blas): a context-manager factory that caps NumPy's BLAS threads, or None when
    each thread count must run in its own process with OPENBLAS_NUM_THREADS set before NumPy loads."""
    try:
        from threadpoolctl import threadpool_limits

        return "threadpoolctl", lambda t: threadpool_limits(limits=t, user_api="blas")
    except ImportError:
        pass
    import contextlib

    preset = os.environ.get("OPENBLAS_NUM_THREADS")
    if len(threads) == 1 and ("numpy" not in sys.modules or preset == str(threads[0])):
        os.environ["OPENBLAS_NUM_THREADS"] = str(threads[0])
        return "OPENBLAS_NUM_THREADS", lambda t: contextlib.nullcontext()
    return "subprocess", None


def run_in_subprocesses(args: argparse.Namespace) -> List[Row]:
    """Without threadpoolctl: one child process per thread count, OPENBLAS_NUM_THREADS set for each."""
    rows = []
    for t in args.threads:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "rows.json")
            cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(t), "--repeats", str(args.repeats),
                   "--min-time", str(args.min_time), "--pause", str(args.pause), "--max-wait", str(args.max_wait),
                   "--retries", str(args.retries), "--seed", str(args.seed), *(["--isa", args.isa] if args.isa else []), "--rows-json", out, "--shapes",
                   *[f"{m}x{n}x{k}" for m, n, k in args.shapes]]
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t))
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
            with open(out) as f:
                rows += [Row(**{**r, "shape": tuple(r["shape"])}) for r in json.load(f)]
    return rows


# --- reporting -------------------------------------------------------------------------------------

def environment(how: str, isa: Optional[str]) -> Dict[str, str]:
    import numpy as np
    import ironnet

    if isa:
        ironnet.set_cpu_isa(isa)
    env = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
           "cpu": f"{harness.cpu_model()}, {os.cpu_count()} logical CPUs"}
    cfg = ironnet.config()
    env["ironnet"] = (f"{cfg['version']}, CPU ISA {cfg['cpu_isa']} (supported: {', '.join(cfg['cpu_isas_supported'])}), "
                      f"{cfg['compiler']}, CUDA {'compiled in' if cfg['cuda_compiled'] else 'not compiled'}")
    blas = "unknown BLAS"
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{deps.get('name')} {deps.get('version')}"
    except Exception:  # older NumPy without mode="dicts"
        pass
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas" and "numpy" in lib.get("filepath", ""):
                blas += f", {lib['internal_api']} kernels for {lib.get('architecture', '?')}"
    except ImportError:
        pass
    env["numpy"] = f"{np.__version__} ({blas})"
    try:
        import torch

        show = torch.__config__.show()
        mkl = re.search(r"Math Kernel Library Version ([^\s-]+)", show)
        blas_info = re.search(r"BLAS_INFO=(\w+)", show)
        env["torch"] = (f"{torch.__version__} (BLAS {blas_info.group(1) if blas_info else '?'}"
                        f"{', MKL ' + mkl.group(1) if mkl else ''}, CPU capability "
                        f"{torch.backends.cpu.get_cpu_capability()})")
    except ImportError:
        env["torch"] = "not installed (pip install '.[peers]')"
    env["blas threads"] = {"threadpoolctl": "NumPy's BLAS capped with threadpoolctl",
                           "OPENBLAS_NUM_THREADS": "NumPy's BLAS capped with OPENBLAS_NUM_THREADS",
                           "subprocess": "one process per thread count, OPENBLAS_NUM_THREADS set in each"}[how]
    return env


HEADERS = ["shape", "threads", "ironnet GFLOP/s", "numpy GFLOP/s", "torch GFLOP/s",
           "vs numpy", "vs torch", "≥1× numpy", "≥1× torch", "max rel err", "noise"]


def table_rows(rows: List[Row]) -> List[List[str]]:
    def num(x):
        return "n/a" if x is None else f"{x:.1f}"

    def ratio(x):
        return "n/a" if x is None else f"{x:.2f}×"

    def met(x):
        return "—" if x is None else ("yes" if x else "**NO**")

    out = []
    for r in rows:
        tg = r.targets()
        if not r.ok:
            out.append([shape_label(r.shape), str(r.threads), "WRONG", "", "", "", "", "", "",
                        f"{r.error:.1e} > {r.bound:.1e}", ""])
            continue
        out.append([shape_label(r.shape), str(r.threads), num(r.gflops.get("ironnet")), num(r.gflops.get("numpy")),
                    num(r.gflops.get("torch")), ratio(r.ratio("numpy")), ratio(r.ratio("torch")),
                    met(tg["numpy"]), met(tg["torch"]), f"{r.error:.1e}", (f"{100 * r.spread:.0f}%" if r.spread < 1 else ">100%") + (" disturbed" if r.disturbed else "")])
    return out


NOTES = """\
- GFLOP/s = 2·M·N·K / median time per call. "vs numpy" / "vs torch" = ironnet's speed over the peer's
  (above 1× means ironnet is faster), measured in the same process with the three interleaved.
- All three write into a preallocated C: ironnet `gemm(a, b, c)`, `np.matmul(a, b, out=c)`,
  `torch.mm(a, b, out=c)`; A and B are the same float32 memory for all three. No allocation is timed.
- Targets apply at 2 threads: ≥ 1× NumPy at every shape, ≥ 1× PyTorch at 512², 1024², 2048² (— = no target).
- max rel err = max over C of |C − C64| / (|A|·|B|), checked against K·2⁻²⁴ before timing.
- noise = the largest interquartile range / median of the three libraries' samples at that row. A row
  above 20%, or during which other processes kept using the CPUs, is measured again (--retries);
  "disturbed" marks one that stayed so: its numbers are suspect."""


def method(args: argparse.Namespace) -> str:
    return (f"{args.repeats} interleaved samples per library, each ≥ {1000 * args.min_time / args.repeats:.0f} ms "
            f"of calls after a {1000 * args.pause:.0f} ms pause and one untimed call; rounds disturbed by other "
            f"processes measured again; C preallocated (no allocation timed)")


def report(rows: List[Row], env: Dict[str, str], args: argparse.Namespace, command: str) -> str:
    print()
    for key, value in env.items():
        print(f"{key:>13}: {value}")
    print(f"{'timing':>13}: {method(args)}")
    print()
    print(harness.format_table(HEADERS, table_rows(rows)))
    missed = sum(v is False for r in rows for v in r.targets().values())
    summary = f"targets at {TARGET_THREADS} threads: " + ("all met" if not missed else f"{missed} missed")
    disturbed = sum(r.disturbed for r in rows)
    if disturbed:
        summary += f"; {disturbed} row(s) disturbed by other processes or noise (marked; rerun those)"
    print("\n" + summary)

    header = "\n".join(f"- {k}: {v}" for k, v in env.items())
    forced = f" (ironnet forced to its {args.isa} kernels)" if args.isa else ""
    return (f"### GEMM (float32): ironnet vs NumPy vs PyTorch{forced}\n\n"
            f"Command: `{command}`\n\n{header}\n- timing: {method(args)}\n\n"
            f"{harness.format_table(HEADERS, table_rows(rows), markdown=True)}\n\n{summary}\n\n{NOTES}\n")


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Shapes: N means N×N×N; MxNxK means C (M, N) = A (M, K) @ B (K, N).")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    p.add_argument("--shapes", type=parse_shape, nargs="+", default=[parse_shape(s) for s in DEFAULT_SHAPES],
                   help="shapes (default: %s)" % " ".join(DEFAULT_SHAPES))
    p.add_argument("--repeats", type=int, default=9, help="timed samples per library and shape (default: 9)")
    p.add_argument("--min-time", type=float, default=0.25,
                   help="least seconds of calls per library and shape, split over the samples (default: 0.25)")
    p.add_argument("--pause", type=float, default=0.15,
                   help="seconds of sleep before each sample so the previous library's spinning threads "
                        "fall asleep (default: 0.15; OpenBLAS threads spin ~0.1 s)")
    p.add_argument("--max-wait", type=float, default=120.0,
                   help="most seconds, over the whole run, to wait for other processes to leave the CPUs "
                        "(default: 120)")
    p.add_argument("--retries", type=int, default=2,
                   help=f"measure a row again up to this many times while its noise exceeds {NOISY * 100:.0f}%% or other "
                        "processes disturbed it (default: 2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--isa", choices=["avx512", "avx2", "portable"],
                   help="force ironnet's SIMD path (default: the best this CPU runs); its results go to their "
                        "own Markdown section")
    p.add_argument("--markdown", metavar="PATH", help="write/update the results section of this Markdown file")
    p.add_argument("--fail-on-miss", action="store_true", help="exit 2 when a target is missed")
    p.add_argument("--rows-json", help=argparse.SUPPRESS)  # used by the OPENBLAS_NUM_THREADS fallback
    args = p.parse_args(argv)
    if min(args.threads) < 1 or args.repeats < 1 or args.min_time < 0 or args.retries < 0:
        p.error("--threads and --repeats must be >= 1, --min-time and --retries >= 0")

    how, limit_blas = blas_thread_control(args.threads)
    rows = run_in_subprocesses(args) if limit_blas is None else run_in_process(args.threads, args.shapes, args, limit_blas)
    if args.rows_json:  # a child of run_in_subprocesses: hand the rows back, no report
        with open(args.rows_json, "w") as f:
            json.dump([asdict(r) for r in rows], f)
        return 0 if all(r.ok for r in rows) else 1

    order = {s: i for i, s in enumerate(args.shapes)}
    rows.sort(key=lambda r: (order[tuple(r.shape)], r.threads))
    command = harness.command_line(argv)
    section = report(rows, environment(how, args.isa), args, command)
    if args.markdown:
        name = SECTION + (f"_{args.isa}" if args.isa else "")
        harness.write_results(args.markdown, name, section)
    if not all(r.ok for r in rows):
        return 1
    if args.fail_on_miss and any(v is False for r in rows for v in r.targets().values()):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
