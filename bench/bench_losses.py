#!/usr/bin/env python3
"""Fused losses: ironnet (one native forward + one native backward) against PyTorch, same data.

For each loss, shape (rows, classes) and thread count:
  1. checks ironnet's loss and d(loss)/d(y_pred) against PyTorch in float64 (rtol 1e-5);
  2. times forward + backward of each, interleaved sample by sample (see harness.py), from float32
     inputs that already exist, so only the loss and its gradient are timed;
  3. prints microseconds from the median sample and ironnet's speed ratio to PyTorch (> 1: faster).

    python bench/bench_losses.py                       # every loss, 1 and 2 threads
    python bench/bench_losses.py --threads 1 --shapes 256x1000
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ironnet  # noqa: E402
from ironnet import losses  # noqa: E402

F = torch.nn.functional


def cases(rng: np.random.Generator, rows: int, cols: int):
    """name -> (ironnet loss, torch loss, y_true, y_pred); y_true is whatever each library takes."""
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    y = rng.standard_normal((rows, cols)).astype(np.float32)
    p = rng.uniform(0.02, 0.98, (rows, cols)).astype(np.float32)
    t01 = rng.integers(0, 2, (rows, cols)).astype(np.float32)
    soft = rng.uniform(0, 1, (rows, cols)).astype(np.float32)
    soft /= soft.sum(-1, keepdims=True)
    labels = rng.integers(0, cols, rows)
    return {
        "mse": (losses.MeanSquaredError(), F.mse_loss, y, x),
        "mae": (losses.MeanAbsoluteError(), F.l1_loss, y, x),
        "huber": (losses.Huber(), F.huber_loss, y, x),
        "bce": (losses.BinaryCrossentropy(), F.binary_cross_entropy, t01, p),
        "bce_logits": (losses.BinaryCrossentropy(from_logits=True), F.binary_cross_entropy_with_logits, t01, x),
        "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), F.cross_entropy, soft, x),
        "sparse_logits": (losses.SparseCategoricalCrossentropy(from_logits=True), F.cross_entropy, labels, x),
    }


def ironnet_step(loss, y_true, y_pred: np.ndarray):
    target = ironnet.from_numpy(y_true)
    pred = ironnet.from_numpy(y_pred)

    def step():
        x = pred.detach().requires_grad_()
        loss(target, x).backward()
        return x.grad

    return step


def torch_step(loss, y_true, y_pred: np.ndarray, dtype=torch.float32):
    target = torch.from_numpy(y_true)
    target = target if target.dtype == torch.int64 else target.to(dtype)
    pred = torch.from_numpy(y_pred).to(dtype)

    def step():
        x = pred.detach().requires_grad_()
        out = loss(x, target)
        out.backward()
        return out, x.grad

    return step


def validate(name: str, loss, torch_loss, y_true, y_pred) -> None:
    x = ironnet.from_numpy(y_pred).requires_grad_()
    out = loss(y_true, x)
    out.backward()
    ref, ref_grad = torch_step(torch_loss, y_true, y_pred, torch.float64)()
    np.testing.assert_allclose(float(out.numpy()), ref.item(), rtol=1e-5, err_msg=name)
    scale = np.abs(ref_grad.numpy()).max()
    np.testing.assert_allclose(x.grad.numpy(), ref_grad.numpy(), rtol=1e-5, atol=1e-5 * scale, err_msg=name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shapes", nargs="+", default=["32x10", "256x1000", "4096x100"])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    monitor = harness.CpuMonitor()
    rng = np.random.default_rng(0)
    rows_out = []
    for threads in args.threads:
        ironnet.set_num_threads(threads)
        torch.set_num_threads(threads)
        for shape in args.shapes:
            rows, cols = (int(v) for v in shape.split("x"))
            for name, (loss, torch_loss, y_true, y_pred) in cases(rng, rows, cols).items():
                validate(name, loss, torch_loss, y_true, y_pred)
                fns = {"ironnet": ironnet_step(loss, y_true, y_pred), "torch": torch_step(torch_loss, y_true, y_pred)}
                cmp = harness.time_interleaved(fns, args.repeats, 0.02, pause=0.01, monitor=monitor)
                ours, theirs = cmp.timings["ironnet"].median, cmp.timings["torch"].median
                rows_out.append([str(threads), shape, name, f"{ours * 1e6:.1f}", f"{theirs * 1e6:.1f}",
                                 f"{theirs / ours:.2f}x", "" if cmp.clean else "contended"])
    print(harness.format_table(["threads", "shape", "loss", "ironnet us", "torch us", "speed vs torch", ""],
                               rows_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
