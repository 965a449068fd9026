"""Activation kernels (forward and backward, float32, CPU): ironnet vs PyTorch, interleaved.

    python bench/bench_activations.py                       # 1 thread, 1024 x 1024
    python bench/bench_activations.py --threads 2 --shape 4096x1024
    python bench/bench_activations.py --markdown bench/RESULTS.md

Each op is validated against PyTorch first; then both libraries' native kernels are timed (median of
interleaved samples, see harness.py), outputs allocated by the call as users see them. GB/s counts
the bytes a kernel must move: forward reads x and writes y, backward reads the saved tensor and the
gradient and writes dx.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import harness

import numpy as np  # noqa: E402  (after harness, which must not import NumPy itself)
import torch  # noqa: E402

import ironnet  # noqa: E402
from ironnet import _C  # noqa: E402

aten = torch.ops.aten


def cases(x: np.ndarray, g: np.ndarray):
    """(name, ironnet forward, torch forward, ironnet backward, torch backward) over the same data."""
    xi, gi = ironnet.tensor(x)._impl, ironnet.tensor(g)._impl
    xt, gt = torch.from_numpy(x), torch.from_numpy(g)
    sig_i, sig_t = _C.sigmoid(xi), torch.sigmoid(xt)
    tanh_i, tanh_t = _C.tanh(xi), torch.tanh(xt)
    sm_i, sm_t = _C.softmax(xi), torch.softmax(xt, -1)
    lsm_i, lsm_t = _C.log_softmax(xi), torch.log_softmax(xt, -1)
    return [
        ("relu", lambda: _C.relu(xi), lambda: torch.relu(xt),
         lambda: _C.relu_backward(gi, xi), lambda: aten.threshold_backward(gt, xt, 0.0)),
        ("leaky_relu", lambda: _C.leaky_relu(xi, 0.2), lambda: torch.nn.functional.leaky_relu(xt, 0.2),
         lambda: _C.leaky_relu_backward(gi, xi, 0.2), lambda: aten.leaky_relu_backward(gt, xt, 0.2, False)),
        ("elu", lambda: _C.elu(xi, 1.0), lambda: torch.nn.functional.elu(xt),
         lambda: _C.elu_backward(gi, xi, 1.0), lambda: aten.elu_backward(gt, 1.0, 1.0, 1.0, False, xt)),
        ("gelu", lambda: _C.gelu(xi, False), lambda: torch.nn.functional.gelu(xt),
         lambda: _C.gelu_backward(gi, xi, False), lambda: aten.gelu_backward(gt, xt)),
        ("gelu_tanh", lambda: _C.gelu(xi, True), lambda: torch.nn.functional.gelu(xt, approximate="tanh"),
         lambda: _C.gelu_backward(gi, xi, True), lambda: aten.gelu_backward(gt, xt, approximate="tanh")),
        ("sigmoid", lambda: _C.sigmoid(xi), lambda: torch.sigmoid(xt),
         lambda: _C.sigmoid_backward(gi, sig_i), lambda: aten.sigmoid_backward(gt, sig_t)),
        ("tanh", lambda: _C.tanh(xi), lambda: torch.tanh(xt),
         lambda: _C.tanh_backward(gi, tanh_i), lambda: aten.tanh_backward(gt, tanh_t)),
        ("softmax", lambda: _C.softmax(xi), lambda: torch.softmax(xt, -1),
         lambda: _C.softmax_backward(gi, sm_i), lambda: aten._softmax_backward_data(gt, sm_t, -1, torch.float32)),
        ("log_softmax", lambda: _C.log_softmax(xi), lambda: torch.log_softmax(xt, -1),
         lambda: _C.log_softmax_backward(gi, lsm_i),
         lambda: aten._log_softmax_backward_data(gt, lsm_t, -1, torch.float32)),
    ]


def to_numpy(out) -> np.ndarray:
    return out.numpy() if isinstance(out, torch.Tensor) else np.asarray(memoryview(out))


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shape", default="1024x1024", help="ROWSxCOLS (softmax runs over COLS)")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--markdown", metavar="PATH", help="write/update the activations section of this file")
    args = p.parse_args(argv)
    rows, cols = (int(v) for v in args.shape.lower().split("x"))
    ironnet.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal((rows, cols))).astype(np.float32)
    g = rng.standard_normal((rows, cols)).astype(np.float32)
    monitor = harness.CpuMonitor()
    table = []
    for name, fi, ft, bi, bt in cases(x, g):
        for which, mine, theirs in (("forward", fi, ft), ("backward", bi, bt)):
            np.testing.assert_allclose(to_numpy(mine()), to_numpy(theirs()), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name} {which}")
            cmp = harness.time_interleaved({"ironnet": mine, "torch": theirs}, args.repeats, 0.02,
                                           pause=0.01, monitor=monitor)
            ti, tt = cmp.timings["ironnet"].median, cmp.timings["torch"].median
            nbytes = 4 * x.size * (2 if which == "forward" else 3)
            table.append([name, which, f"{ti * 1e3:.3f}", f"{tt * 1e3:.3f}", f"{nbytes / ti / 1e9:.1f}",
                          f"{ti / tt:.2f}" + ("" if cmp.clean else " *")])
    headers = ["op", "pass", "ironnet ms", "torch ms", "ironnet GB/s", "time ratio (ironnet/torch)"]
    command = "python bench/bench_activations.py " + " ".join(sys.argv[1:] if argv is None else argv)
    info = (f"- {harness.cpu_model()}; ironnet CPU ISA {_C.get_cpu_isa()} (the activation kernels have "
            f"a build per ISA); torch {torch.__version__}\n- shape {rows}x{cols}, {args.threads} thread(s); "
            "`*` marks a result other processes disturbed")
    print(harness.format_table(headers, table))
    print(info)
    if args.markdown:
        body = (f"### Activations (float32): ironnet vs PyTorch\n\nCommand: `{command.strip()}`\n\n{info}\n\n"
                f"{harness.format_table(headers, table, markdown=True)}\n")
        harness.update_markdown_section(args.markdown, "bench_activations", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
