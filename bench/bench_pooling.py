#!/usr/bin/env python3
"""2-D pooling (NHWC, float32, CPU), forward and backward: ironnet vs PyTorch, interleaved.

    python bench/bench_pooling.py                            # 1 thread, the default shapes
    python bench/bench_pooling.py --threads 2 --shapes 128x28x28x32
    python bench/bench_pooling.py --markdown bench/RESULTS.md

For each shape (N, H, W, C) and op (max and avg pooling, 2x2 windows, stride 2, "valid"), ironnet is
first checked against PyTorch on the same data, then timed against torch.nn.functional on the same
values held channels_last (PyTorch's layout matching ironnet's NHWC) and NCHW; medians of interleaved
samples (harness.py), outputs allocated by each call as users see them. GB/s counts the bytes a pass
must move: forward reads x and writes y, backward reads dy and writes dx (max pooling's int32 argmax,
read or written, is not counted, for either library). "vs best" is the best PyTorch layout's time over
ironnet's: above 1.0 ironnet is faster.

Target (issue): >= 1.0x the best PyTorch layout on every row.
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
DEFAULT_SHAPES = ["128x28x28x32", "32x56x56x64", "128x26x26x32"]
POOL, STRIDE = (2, 2), (2, 2)


def parse_shape(text: str) -> tuple:
    dims = tuple(int(v) for v in text.lower().split("x"))
    if len(dims) != 4 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"shape {text!r}: expected NxHxWxC with positive sizes")
    return dims


def cases(x: np.ndarray):
    """(op, pass, ironnet call, {peer: torch call}) over the same values."""
    xi = ironnet.tensor(x)._impl
    layouts = {"torch_cl": torch.from_numpy(x).permute(0, 3, 1, 2),  # NCHW shape, NHWC memory
               "torch_nchw": torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))}
    shape = list(x.shape)
    y_max, argmax = _C.max_pool2d(xi, POOL, STRIDE, "valid")
    g = np.random.default_rng(1).standard_normal(np.asarray(memoryview(y_max)).shape).astype(np.float32)
    gi = ironnet.tensor(g)._impl
    fwd_max, fwd_avg, bwd_max, bwd_avg = {}, {}, {}, {}
    for name, xt in layouts.items():
        gt = torch.from_numpy(g).permute(0, 3, 1, 2)
        if name == "torch_nchw":
            gt = gt.contiguous()
        _, indices = aten.max_pool2d_with_indices(xt, POOL, STRIDE)
        fwd_max[name] = lambda xt=xt: torch.nn.functional.max_pool2d(xt, POOL, STRIDE)
        fwd_avg[name] = lambda xt=xt: torch.nn.functional.avg_pool2d(xt, POOL, STRIDE)
        bwd_max[name] = lambda xt=xt, gt=gt, i=indices: aten.max_pool2d_with_indices_backward(
            gt, xt, POOL, STRIDE, [0, 0], [1, 1], False, i)
        bwd_avg[name] = lambda xt=xt, gt=gt: aten.avg_pool2d_backward(gt, xt, POOL, STRIDE, [0, 0], False, True, None)
    return [
        ("max", "forward", lambda: _C.max_pool2d(xi, POOL, STRIDE, "valid")[0], fwd_max),
        ("max", "backward", lambda: _C.max_pool2d_backward(gi, argmax, shape, POOL, STRIDE, "valid"), bwd_max),
        ("avg", "forward", lambda: _C.avg_pool2d(xi, POOL, STRIDE, "valid"), fwd_avg),
        ("avg", "backward", lambda: _C.avg_pool2d_backward(gi, shape, POOL, STRIDE, "valid"), bwd_avg),
    ]


def as_nhwc(out) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        return out.permute(0, 2, 3, 1).numpy()
    return np.asarray(memoryview(out))


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shapes", nargs="+", type=parse_shape, default=[parse_shape(s) for s in DEFAULT_SHAPES])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--markdown", metavar="PATH", help="write/update the pooling section of this file")
    args = p.parse_args(argv)
    ironnet.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    monitor = harness.CpuMonitor()
    table = []
    for shape in args.shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        for op, which, mine, peers in cases(x):
            for peer, theirs in peers.items():
                np.testing.assert_allclose(as_nhwc(mine()), as_nhwc(theirs()), rtol=1e-5, atol=1e-6,
                                           err_msg=f"{op} {which} vs {peer}")
            cmp = harness.time_interleaved({"ironnet": mine, **peers}, args.repeats, 0.02, pause=0.01,
                                           monitor=monitor)
            t = {name: timing.median for name, timing in cmp.timings.items()}
            small, large = x.size // 4, x.size  # 2x2 stride 2: the output holds a quarter of the input
            nbytes = 4 * (large + small)
            best = min(t["torch_cl"], t["torch_nchw"])
            table.append(["x".join(map(str, shape)), op, which]
                         + [f"{nbytes / t[name] / 1e9:.1f}" for name in ("ironnet", "torch_cl", "torch_nchw")]
                         + [f"{best / t['ironnet']:.2f}" + ("" if cmp.clean else " *")])
    headers = ["N×H×W×C", "op", "pass", "ironnet GB/s", "torch channels_last GB/s", "torch NCHW GB/s",
               "vs best torch (speedup)"]
    command = "python bench/bench_pooling.py " + " ".join(sys.argv[1:] if argv is None else argv)
    info = (f"- {harness.cpu_model()}; ironnet CPU ISA {_C.get_cpu_isa()}; torch {torch.__version__}\n"
            f"- 2x2 pooling, stride 2, 'valid'; {args.threads} thread(s); `*` marks a result other processes "
            "disturbed")
    print(harness.format_table(headers, table))
    print(info)
    if args.markdown:
        body = (f"### Pooling (float32, NHWC): ironnet vs PyTorch\n\nCommand: `{command.strip()}`\n\n{info}\n\n"
                f"{harness.format_table(headers, table, markdown=True)}\n")
        harness.update_markdown_section(args.markdown, "bench_pooling", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
