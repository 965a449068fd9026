"""Batch normalization, training mode (float32, CPU): ironnet vs PyTorch, interleaved.

    python bench/bench_batchnorm.py                        # 1 thread, 128x28x28x64 (NHWC)
    python bench/bench_batchnorm.py --threads 2 --shape 32x56x56x128
    python bench/bench_batchnorm.py --markdown bench/RESULTS.md

ironnet runs channels last (axis=-1, its hot case). PyTorch runs its native batch-norm kernels
(aten.native_batch_norm and its backward, no autograd overhead on either side) on the same values in
NCHW and in channels_last memory format; the faster of the two is the peer. Each pass is validated
against PyTorch first, then timed (median of interleaved samples, see harness.py). GB/s counts the
bytes a pass must move at the least, the same for every library: forward reads x and writes y,
backward reads dy and x and writes dx (5 tensors for forward + backward). A plain copy of x shows the
machine's bandwidth at that size.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import harness

import numpy as np  # noqa: E402  (after harness, which must not import NumPy itself)
import torch  # noqa: E402

import ironnet  # noqa: E402
from ironnet import _C  # noqa: E402

aten = torch.ops.aten
MOMENTUM, EPSILON = 0.99, 1e-3


def ironnet_passes(x: np.ndarray, dy: np.ndarray):
    """(forward, backward, forward+backward) callables on channels-last data, and their outputs."""
    c = x.shape[-1]
    xi, dyi = ironnet.tensor(x)._impl, ironnet.tensor(dy)._impl
    gamma, beta = ironnet.tensor(np.ones(c, np.float32))._impl, ironnet.tensor(np.zeros(c, np.float32))._impl
    mm, mv = ironnet.tensor(np.zeros(c, np.float32))._impl, ironnet.tensor(np.ones(c, np.float32))._impl
    forward = lambda: _C.batch_norm_train(xi, gamma, beta, mm, mv, -1, MOMENTUM, EPSILON)  # noqa: E731
    _, mean, inv_std = forward()
    backward = lambda: _C.batch_norm_backward(dyi, xi, mean, inv_std, gamma, -1, True, True, True, True)  # noqa: E731

    def both():
        _, m, s = forward()
        return _C.batch_norm_backward(dyi, xi, m, s, gamma, -1, True, True, True, True)

    return forward, backward, both


def torch_passes(x: np.ndarray, dy: np.ndarray, channels_last: bool):
    """The same three passes with PyTorch's native kernels on NCHW tensors in either memory format."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=fmt)
    dyt = torch.from_numpy(dy).permute(0, 3, 1, 2).contiguous(memory_format=fmt)
    c = x.shape[-1]
    w, b = torch.ones(c), torch.zeros(c)
    rm, rv = torch.zeros(c), torch.ones(c)
    forward = lambda: aten.native_batch_norm(xt, w, b, rm, rv, True, 1 - MOMENTUM, EPSILON)  # noqa: E731
    _, mean, invstd = forward()
    backward = lambda: aten.native_batch_norm_backward(  # noqa: E731
        dyt, xt, w, rm, rv, mean, invstd, True, EPSILON, [True, True, True])

    def both():
        _, m, s = forward()
        return aten.native_batch_norm_backward(dyt, xt, w, rm, rv, m, s, True, EPSILON, [True, True, True])

    return forward, backward, both


def nhwc(out) -> np.ndarray:
    """An output as NHWC NumPy: ironnet's as is, PyTorch's (N, C, H, W) permuted back."""
    if isinstance(out, torch.Tensor):
        return out.permute(0, 2, 3, 1).numpy() if out.dim() == 4 else out.numpy()
    return np.asarray(memoryview(out))


def validate(mine, theirs, what: str) -> None:
    for a, b, name in zip(mine, theirs, ("first", "second", "third")):
        np.testing.assert_allclose(nhwc(a), nhwc(b), rtol=1e-3, atol=1e-3, err_msg=f"{what}: {name} output")


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shape", default="128x28x28x64", help="NxHxWxC (channels last)")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--markdown", metavar="PATH", help="write/update the batch-norm section of this file")
    args = p.parse_args(argv)
    n, h, w, c = (int(v) for v in args.shape.lower().split("x"))
    ironnet.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = (1 + 2 * rng.standard_normal((n, h, w, c))).astype(np.float32)
    dy = rng.standard_normal((n, h, w, c)).astype(np.float32)
    mine = ironnet_passes(x, dy)
    peers = {"torch NCHW": torch_passes(x, dy, False), "torch channels_last": torch_passes(x, dy, True)}
    for name, passes in peers.items():
        validate(mine[0](), passes[0](), f"forward vs {name}")
        validate(mine[1](), passes[1](), f"backward vs {name}")
    monitor = harness.CpuMonitor()
    tensor_bytes = x.nbytes
    table = []
    for index, (label, tensors) in enumerate((("forward", 2), ("backward", 3), ("forward+backward", 5))):
        fns = {"ironnet": mine[index]}
        fns.update({name: passes[index] for name, passes in peers.items()})
        cmp = harness.time_interleaved(fns, args.repeats, 0.05, pause=0.01, monitor=monitor,
                                       spare_cpus=max(0, (os.cpu_count() or 1) - args.threads))
        t_mine = cmp.timings["ironnet"].median
        best = min(peers, key=lambda name: cmp.timings[name].median)
        t_best = cmp.timings[best].median
        gbs = lambda t: f"{tensors * tensor_bytes / t / 1e9:.1f}"  # noqa: E731
        table.append([label, f"{t_mine * 1e3:.3f}", gbs(t_mine),
                      *(f"{cmp.timings[name].median * 1e3:.3f}" for name in peers), gbs(t_best),
                      f"{t_best / t_mine:.2f} (vs {best})" + ("" if cmp.clean else " *")])
    dst = np.empty_like(x)
    copy = harness.time_interleaved({"copy": lambda: np.copyto(dst, x)}, args.repeats, 0.05)
    copy_gbs = 2 * tensor_bytes / copy.timings["copy"].median / 1e9
    headers = ["pass", "ironnet ms", "ironnet GB/s", *(f"{name} ms" for name in peers), "best torch GB/s",
               "speed-up (best torch time / ironnet time)"]
    command = "python bench/bench_batchnorm.py " + " ".join(sys.argv[1:] if argv is None else argv)
    info = (f"- {harness.cpu_model()}; ironnet CPU ISA {_C.get_cpu_isa()}; torch {torch.__version__}\n"
            f"- x {n}x{h}x{w}x{c} (NHWC; NCHW for torch's NCHW run), {args.threads} thread(s); GB/s = minimum bytes "
            f"moved / time; a NumPy copy of x runs at {copy_gbs:.1f} GB/s (read + write)\n"
            "- `*` marks a result other processes disturbed")
    print(harness.format_table(headers, table))
    print(info)
    if args.markdown:
        body = (f"### Batch normalization, training (float32): ironnet vs PyTorch\n\nCommand: `{command.strip()}`\n\n"
                f"{info}\n\n{harness.format_table(headers, table, markdown=True)}\n")
        harness.update_markdown_section(args.markdown, "bench_batchnorm", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
