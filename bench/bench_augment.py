#!/usr/bin/env python3
"""Augmentation kernels (NHWC, float32, CPU): ironnet's affine warp and per-image flip against PyTorch.

    python bench/bench_augment.py                       # 1 thread, the default shapes
    python bench/bench_augment.py --threads 2 --markdown bench/RESULTS.md

The warp (what RandomRotation and RandomTranslation run) is a random rotation of every image, bilinear,
constant fill 0; its peer is torch's affine_grid + grid_sample (the grid made in every call, as
ironnet's kernel maps pixels itself) (padding_mode="zeros",
align_corners=True: pixel centres at the grid's corners, as ironnet's pixel-space transforms), on
the same values held channels_last and NCHW; the backward is the gradient with respect to the images.
The flip (RandomFlip) mirrors a random half of the images left-right; its peer flips the batch and
selects per image with torch.where. Each is checked against its peer on the same data first, then
timed interleaved (harness.py), medians; "vs best" is the best PyTorch layout's time over ironnet's.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import harness

import numpy as np  # noqa: E402  (after harness, which must not import NumPy itself)
import torch  # noqa: E402

import ironnet  # noqa: E402
from ironnet import _C, ops  # noqa: E402

DEFAULT_SHAPES = ["128x28x28x1", "128x32x32x3", "32x64x64x16"]


def parse_shape(text: str) -> tuple:
    dims = tuple(int(v) for v in text.lower().split("x"))
    if len(dims) != 4 or min(dims) < 1 or dims[1] < 2 or dims[2] < 2:
        raise argparse.ArgumentTypeError(f"shape {text!r}: expected NxHxWxC, H and W at least 2")
    return dims


def torch_theta(transforms: np.ndarray, height: int, width: int) -> torch.Tensor:
    """ironnet's pixel-space output -> input maps as affine_grid thetas in align_corners=True
    coordinates: theta = S T S^-1, with S taking pixel (x, y) to (2x / (W - 1) - 1, 2y / (H - 1) - 1)."""
    s = np.array([[2.0 / (width - 1), 0.0, -1.0], [0.0, 2.0 / (height - 1), -1.0], [0.0, 0.0, 1.0]])
    t = np.concatenate([transforms.reshape(-1, 2, 3).astype(np.float64),
                        np.broadcast_to([0.0, 0.0, 1.0], (len(transforms), 1, 3))], axis=1)
    return torch.from_numpy((s @ t @ np.linalg.inv(s))[:, :2].astype(np.float32))


def cases(x: np.ndarray, rng: np.random.Generator):
    """(op, pass, ironnet call, {peer: torch call}) over the same values."""
    n, h, w, _ = x.shape
    transforms = ops.rotation_transforms(rng.uniform(-0.5, 0.5, n), h, w)
    theta = torch_theta(transforms, h, w)

    def torch_warp(xt: torch.Tensor) -> torch.Tensor:  # the grid is made per call: ironnet's kernel maps pixels itself
        grid = torch.nn.functional.affine_grid(theta, list(xt.shape), align_corners=True)
        return torch.nn.functional.grid_sample(xt, grid, "bilinear", "zeros", align_corners=True)

    flips = rng.random(n) < 0.5
    xi = ironnet.tensor(x)
    gi = ironnet.tensor(rng.standard_normal(x.shape).astype(np.float32))
    layouts = {"torch_cl": torch.from_numpy(x).permute(0, 3, 1, 2),  # NCHW shape, NHWC memory
               "torch_nchw": torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))}
    flip_mask = torch.from_numpy(flips).view(n, 1, 1, 1)
    warp, warp_bwd, flip = {}, {}, {}
    for name, xt in layouts.items():
        gt = torch.from_numpy(gi.numpy()).permute(0, 3, 1, 2)
        gt = gt.contiguous(memory_format=torch.channels_last if name == "torch_cl" else torch.contiguous_format)
        xg = xt.clone().requires_grad_(True)
        yg = torch_warp(xg)
        warp[name] = lambda xt=xt: torch_warp(xt)
        warp_bwd[name] = lambda yg=yg, xg=xg, gt=gt: torch.autograd.grad(yg, xg, gt, retain_graph=True)[0]
        flip[name] = lambda xt=xt: torch.where(flip_mask, xt.flip(3), xt)

    transforms_impl = ironnet.tensor(transforms)._impl
    ironnet_warp_backward = lambda: _C.affine_warp_backward(  # noqa: E731  (the backward alone, as torch's)
        gi._impl, transforms_impl, list(x.shape), "bilinear", "constant")
    return [
        ("warp", "forward", lambda: ops.affine_warp(xi, transforms, fill_mode="constant"), warp),
        ("warp", "backward", ironnet_warp_backward, warp_bwd),
        ("flip", "forward", lambda: ops.flip(xi, flips, False), flip),
    ]


def as_nhwc(out) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        return out.detach().permute(0, 2, 3, 1).numpy()
    return out.numpy() if isinstance(out, ironnet.Tensor) else np.asarray(memoryview(out))


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shapes", nargs="+", type=parse_shape, default=[parse_shape(s) for s in DEFAULT_SHAPES])
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--markdown", metavar="PATH", help="write/update the augmentation section of this file")
    args = p.parse_args(argv)
    ironnet.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    monitor = harness.CpuMonitor()
    table = []
    for shape in args.shapes:
        x = rng.standard_normal(shape).astype(np.float32)
        for op, which, mine, peers in cases(x, rng):
            for peer, theirs in peers.items():
                np.testing.assert_allclose(as_nhwc(mine()), as_nhwc(theirs()), rtol=1e-4, atol=1e-4,
                                           err_msg=f"{op} {which} vs {peer}")
            cmp = harness.time_interleaved({"ironnet": mine, **peers}, args.repeats, 0.02, pause=0.01,
                                           monitor=monitor)
            t = {name: timing.median for name, timing in cmp.timings.items()}
            best = min(t["torch_cl"], t["torch_nchw"])
            table.append(["x".join(map(str, shape)), op, which]
                         + [f"{1e3 * t[name]:.3f}" for name in ("ironnet", "torch_cl", "torch_nchw")]
                         + [f"{best / t['ironnet']:.2f}" + ("" if cmp.clean else " *")])
    headers = ["N×H×W×C", "op", "pass", "ironnet ms", "torch channels_last ms", "torch NCHW ms",
               "vs best torch (speedup)"]
    command = "python bench/bench_augment.py " + " ".join(sys.argv[1:] if argv is None else argv)
    info = (f"- {harness.cpu_model()}; ironnet CPU ISA {ironnet.get_cpu_isa()}; torch {torch.__version__}\n"
            f"- warp: random rotations within ±0.5 rad, bilinear, constant fill 0 (torch: affine_grid + "
            f"grid_sample); flip: half the images left-right (torch: flip + where); {args.threads} thread(s); "
            "`*` marks a result other processes disturbed")
    print(harness.format_table(headers, table))
    print(info)
    if args.markdown:
        body = (f"### Augmentation (float32, NHWC): ironnet vs PyTorch\n\nCommand: `{command.strip()}`\n\n{info}\n\n"
                f"{harness.format_table(headers, table, markdown=True)}\n")
        harness.update_markdown_section(args.markdown, "bench_augment", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
