"""GPU benchmark of the training ops around the layers: sparse categorical crossentropy from logits
(forward + backward, (4096, 50000)), batch norm training forward + backward on NHWC (256, 32, 32, 64),
and one Adam step over a ~10M-parameter set (ironnet's multi-tensor launch), each against PyTorch CUDA
in the same run (torch's Adam with foreach=True, and fused=True for reference).

Every case is validated against torch first, warmed up, then timed as the median of repeated samples,
each sample `inner` back-to-back calls between two device synchronizations. Throughput is the
minimal traffic of the op (each input read once, each output written once) over the time:

  sparse CE:  logits read by the forward, read again and the gradient written by the backward (3 x 4 B)
  batch norm: x read and y written (forward), x and dy read and dx written (backward): 5 x 4 B/element
  Adam:       w, g, m, v read and w, m, v written: 7 x 4 B per parameter

Usage: python bench/bench_cuda_trainops.py [--quick] [--markdown]    (--quick: fewer samples, < 60 s)
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Callable, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def need_gpu():
    """ironnet and torch, both with a CUDA device, or a clear exit."""
    import ironnet

    if not ironnet.cuda.is_available():
        sys.exit("bench_cuda_trainops: ironnet sees no CUDA device (built without CUDA, or no GPU here)")
    try:
        import torch
    except ImportError:
        sys.exit("bench_cuda_trainops: PyTorch is not installed; it is the peer every figure is compared with")
    if not torch.cuda.is_available():
        sys.exit("bench_cuda_trainops: torch.cuda.is_available() is False; install a CUDA build of PyTorch")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return ironnet, torch


def time_gpu(fn: Callable[[], object], sync: Callable[[], None], repeats: int, inner: int) -> float:
    """Median seconds per call of fn, each sample `inner` calls between two synchronizations."""
    for _ in range(3):
        fn()
    sync()
    samples: List[float] = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def assert_close(name: str, ours, theirs, rtol: float, atol: float) -> None:
    import numpy as np

    if not np.allclose(ours, theirs, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(np.asarray(ours, np.float64) - np.asarray(theirs, np.float64))))
        sys.exit(f"bench_cuda_trainops: {name} disagrees with torch (max abs difference {worst:.3g}); not timing it")


def sparse_ce_case(ironnet, torch, rng):
    import numpy as np

    rows, classes = 4096, 50000
    logits = rng.normal(0.0, 2.0, size=(rows, classes)).astype(np.float32)
    labels = rng.integers(0, classes, size=rows)
    x = ironnet.tensor(logits, device="cuda")._impl
    y = ironnet.tensor(labels, device="cuda")._impl
    _C = ironnet._C

    def ours():
        loss = _C.sparse_categorical_crossentropy(y, x, True)
        return loss, _C.sparse_categorical_crossentropy_backward(y, x, True, 1.0)

    tx = torch.tensor(logits, device="cuda", requires_grad=True)
    ty = torch.tensor(labels, device="cuda")

    def theirs():
        tx.grad = None
        loss = torch.nn.functional.cross_entropy(tx, ty)
        loss.backward()
        return loss

    loss, grad = ours()
    t_loss = theirs()
    assert_close("sparse CE loss", ironnet.Tensor(loss).cpu().numpy(), t_loss.item(), 1e-4, 0.0)
    assert_close("sparse CE gradient", ironnet.Tensor(grad).cpu().numpy(), tx.grad.cpu().numpy(), 1e-4, 1e-9)
    return "sparse CE fwd+bwd (4096, 50000)", ours, theirs, 3.0 * 4 * rows * classes


def batch_norm_case(ironnet, torch, rng):
    import numpy as np

    shape = (256, 32, 32, 64)  # NHWC, normalized over the last axis
    x_np = rng.normal(1.0, 2.0, size=shape).astype(np.float32)
    dy_np = rng.normal(size=shape).astype(np.float32)
    gamma_np = rng.uniform(0.5, 1.5, size=64).astype(np.float32)
    beta_np = rng.normal(size=64).astype(np.float32)
    on_gpu = lambda a: ironnet.tensor(a, device="cuda")._impl  # noqa: E731
    x, dy, gamma, beta = on_gpu(x_np), on_gpu(dy_np), on_gpu(gamma_np), on_gpu(beta_np)
    mm, mv = on_gpu(np.zeros(64, np.float32)), on_gpu(np.ones(64, np.float32))
    _C = ironnet._C

    def ours():
        y, mean, inv_std = _C.batch_norm_train(x, gamma, beta, mm, mv, -1, 0.9, 1e-3)
        return y, _C.batch_norm_backward(dy, x, mean, inv_std, gamma, -1, True, True, True, True)

    # The same bytes as torch sees them: NCHW sizes in channels_last memory format.
    tx = torch.tensor(x_np, device="cuda").permute(0, 3, 1, 2).requires_grad_(True)
    tdy = torch.tensor(dy_np, device="cuda").permute(0, 3, 1, 2)
    tg = torch.tensor(gamma_np, device="cuda", requires_grad=True)
    tb = torch.tensor(beta_np, device="cuda", requires_grad=True)
    rm, rv = torch.zeros(64, device="cuda"), torch.ones(64, device="cuda")
    assert tx.is_contiguous(memory_format=torch.channels_last)

    def theirs():
        tx.grad = tg.grad = tb.grad = None
        y = torch.nn.functional.batch_norm(tx, rm, rv, tg, tb, training=True, momentum=0.1, eps=1e-3)
        y.backward(tdy)
        return y

    y, (dx, _, _) = ours()
    ty = theirs()
    assert_close("batch norm y", ironnet.Tensor(y).cpu().numpy(), ty.detach().permute(0, 2, 3, 1).cpu().numpy(),
                 1e-4, 1e-4)
    assert_close("batch norm dx", ironnet.Tensor(dx).cpu().numpy(), tx.grad.permute(0, 2, 3, 1).cpu().numpy(),
                 1e-3, 1e-4)
    return "batch norm fwd+bwd NHWC (256, 32, 32, 64)", ours, theirs, 5.0 * 4 * x_np.size


def adam_case(ironnet, torch, rng, fused: bool):
    import numpy as np

    shapes = [(1024, 1024)] * 8 + [(1024,)] * 8 + [(512, 1024)] * 3 + [(512,)] * 3 + [(10, 512), (10,)]
    count = sum(int(np.prod(s)) for s in shapes)
    ws = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    # |g| >= 0.1: Keras puts epsilon outside the bias correction and torch inside, a difference of
    # ~eps / |g| in the step that gradients near 0 would blow up past the validation tolerance.
    gs = [(rng.choice([-1.0, 1.0], size=s) * rng.uniform(0.1, 1.0, size=s)).astype(np.float32) for s in shapes]
    on_gpu = lambda a: ironnet.tensor(a, device="cuda")._impl  # noqa: E731
    w, g = [on_gpu(a) for a in ws], [on_gpu(a) for a in gs]
    m, v = [on_gpu(np.zeros_like(a)) for a in ws], [on_gpu(np.zeros_like(a)) for a in ws]
    step = [0]
    _C = ironnet._C

    def ours():
        step[0] += 1
        _C.adam_update_multi_(w, g, m, v, [1.0] * len(w), lr=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-7,
                              step=step[0])

    params = [torch.tensor(a, device="cuda", requires_grad=True) for a in ws]
    for p, a in zip(params, gs):
        p.grad = torch.tensor(a, device="cuda")
    kind = dict(fused=True) if fused else dict(foreach=True)
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7, **kind)

    def theirs():
        opt.step()

    ours()
    theirs()
    assert_close("Adam weights after one step", ironnet.Tensor(w[0]).cpu().numpy(), params[0].detach().cpu().numpy(),
                 1e-5, 1e-6)
    name = f"Adam step, {len(shapes)} tensors, {count / 1e6:.1f}M params (torch {'fused' if fused else 'foreach'})"
    return name, ours, theirs, 7.0 * 4 * count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples: the whole run in < 60 s")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    ironnet, torch = need_gpu()
    import numpy as np

    rng = np.random.default_rng(0)
    repeats, inner = (5, 3) if args.quick else (21, 10)
    ours_sync, theirs_sync = ironnet.cuda.synchronize, torch.cuda.synchronize
    rows = []
    for make in (lambda: sparse_ce_case(ironnet, torch, rng), lambda: batch_norm_case(ironnet, torch, rng),
                 lambda: adam_case(ironnet, torch, rng, fused=False), lambda: adam_case(ironnet, torch, rng, fused=True)):
        name, ours, theirs, nbytes = make()
        t_ours = time_gpu(ours, ours_sync, repeats, inner)
        t_theirs = time_gpu(theirs, theirs_sync, repeats, inner)
        rows.append([name, f"{t_ours * 1e3:.3f}", f"{nbytes / t_ours / 1e9:.0f}", f"{t_theirs * 1e3:.3f}",
                     f"{nbytes / t_theirs / 1e9:.0f}", f"{t_theirs / t_ours:.2f}x"])
        torch.cuda.empty_cache()
    print(f"device: {ironnet.cuda.get_device_name()}; torch {torch.__version__}; "
          f"{'--quick, ' if args.quick else ''}median of {repeats} samples x {inner} calls")
    print(harness.format_table(["case", "ironnet ms", "ironnet GB/s", "torch ms", "torch GB/s", "speed vs torch"],
                               rows, markdown=args.markdown))


if __name__ == "__main__":
    main()
