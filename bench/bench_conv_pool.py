"""Per-op times of the fused conv2d(relu) -> max_pool2d op against the two ops in a row, on the small
CNN's two conv blocks at batch 128 (medians after warm-up, one process). Usage:
    python bench/bench_conv_pool.py [--threads 1 2] [--repeats 50]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import ironnet
from ironnet import _C

VALID = ((0, 0), (0, 0))
# name: (x shape (N, H, W, C_in), filters, whether the block needs dx (not a first layer))
BLOCKS = {"conv1 28x28x1->32": ((128, 28, 28, 1), 32, False), "conv2 13x13x32->64": ((128, 13, 13, 32), 64, True)}


def median_ms(fn, repeats: int) -> float:
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def bench_block(shape, filters: int, need_dx: bool, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    x = ironnet.tensor(rng.standard_normal(shape).astype(np.float32))._impl
    w = ironnet.tensor((rng.standard_normal((3, 3, shape[3], filters)) * 0.3).astype(np.float32))._impl
    b = ironnet.tensor(np.zeros(filters, np.float32))._impl
    conv = ((1, 1), (1, 1), VALID)
    window = ((2, 2), (2, 2), "valid")
    y = _C.conv2d(x, w, b, *conv, True)
    pooled, argmax = _C.max_pool2d(y, *window)
    dp = ironnet.tensor(rng.standard_normal(tuple(pooled.shape)).astype(np.float32))._impl

    def unfused_forward():
        _C.max_pool2d(_C.conv2d(x, w, b, *conv, True), *window)

    def unfused_backward():
        dy = _C.max_pool2d_backward(dp, argmax, list(y.shape), *window)
        _C.conv2d_backward(dy, x, w, *conv, need_dx, True, True, y)

    def fused_forward():
        _C.conv2d_relu_max_pool2d(x, w, b, *conv, *window)

    def fused_backward():
        _C.conv2d_relu_max_pool2d_backward(dp, pooled, argmax, x, w, *conv, *window, need_dx, True, True)

    return {name: median_ms(fn, repeats) for name, fn in [
        ("unfused fwd", unfused_forward), ("fused fwd", fused_forward),
        ("unfused bwd", unfused_backward), ("fused bwd", fused_backward)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    for threads in args.threads:
        ironnet.set_num_threads(threads)
        for name, (shape, filters, need_dx) in BLOCKS.items():
            t = bench_block(shape, filters, need_dx, args.repeats)
            print(f"threads {threads} {name}{' (+dx)' if need_dx else ''}: "
                  f"fwd {t['unfused fwd']:.3f} -> {t['fused fwd']:.3f} ms, "
                  f"bwd {t['unfused bwd']:.3f} -> {t['fused bwd']:.3f} ms, "
                  f"fwd+bwd {t['unfused fwd'] + t['unfused bwd']:.3f} -> {t['fused fwd'] + t['fused bwd']:.3f} ms")


if __name__ == "__main__":
    main()
