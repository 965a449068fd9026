"""GPU training throughput: the small CNN of bench_cnn.py and the MLP of bench_mlp.py (the same model
definitions, imported from there) trained with ironnet's `fit` on CUDA against the same PyTorch
models on CUDA, in the same run. The issue's target: ironnet >= 1.0x PyTorch's samples/s.

    python bench/bench_cuda_training.py [--quick] [--rounds 3] [--markdown bench/RESULTS.md]

Protocol (training.py's, on the GPU): both sides start from host arrays and copy each batch of 128 to
the device per step, and read the loss back per step (ironnet's fit does, for its callbacks;
PyTorch's loop calls loss.item()). Each contender first shows that it learns (the mean loss over a
warm-up run must fall below 1.0; chance is 2.3), then trains timed epochs, the contenders taking
turns; the device is synchronized before and after each timing and the median gives samples/s.
Fashion-MNIST is used when it is on disk (ironnet.datasets), else a synthetic set of the same shapes
(noisy class templates, as learnable): throughput does not depend on the values.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Callable, Dict, List, Tuple

import numpy as np

TARGET = 1.0  # ironnet samples/s over PyTorch's (best layout), on the GPU
DEVICE = "cuda"
LOSS_BOUND = 1.0


def synthetic(shape: Tuple[int, ...], n: int = 60_000, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """n samples of `shape` in [0, 1]: one random template per class (10) plus noise, int64 labels."""
    rng = np.random.default_rng(seed)
    templates = rng.uniform(0.0, 1.0, size=(10, *shape)).astype(np.float32)
    y = rng.integers(0, 10, size=n)
    x = templates[y] + rng.normal(0.0, 0.3, size=(n, *shape)).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32), y.astype(np.int64)


def load(data: Callable, shape: Tuple[int, ...]) -> Tuple[np.ndarray, np.ndarray, str]:
    try:
        x, y = data()
        return x, y, "Fashion-MNIST"
    except FileNotFoundError:
        print("Fashion-MNIST is not on disk: using synthetic data of the same shapes", flush=True)
        x, y = synthetic(shape)
        return x, y, "synthetic (Fashion-MNIST not on disk)"


def measure(contenders: Dict[str, Callable], x: np.ndarray, y: np.ndarray, rounds: int, epoch_samples: int,
            warmup_samples: int, synchronize: Callable[[], None]) -> Dict[str, float]:
    """samples/s per contender; each factory returns (epoch function, state) already on the GPU."""
    built = {name: make() for name, make in contenders.items()}
    for name, (run, state) in built.items():  # correctness first: each learns (and warms up)
        loss = run(state, x, y, warmup_samples)
        if not loss < LOSS_BOUND:
            sys.exit(f"{name} did not learn on the GPU: loss {loss:.3f} after {warmup_samples} samples")
    times: Dict[str, List[float]] = {name: [] for name in built}
    names = list(built)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            run, state = built[name]
            synchronize()
            start = time.perf_counter()
            run(state, x, y, epoch_samples)
            synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: epoch_samples / statistics.median(v) for name, v in times.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer and shorter epochs (the whole run < 60 s)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--markdown", metavar="PATH")
    args = p.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("bench_cuda_training needs PyTorch with CUDA support (pip install torch)")
    import ironnet

    if not ironnet.cuda.is_available():
        built = "built with CUDA" if ironnet.cuda.is_compiled() else "built WITHOUT CUDA"
        sys.exit(f"ironnet sees no CUDA device ({built}); this benchmark needs a GPU")
    if not torch.cuda.is_available():
        sys.exit(f"PyTorch {torch.__version__} sees no CUDA device (a CPU-only build?); this benchmark needs one")
    import bench_cnn  # these import torch, hence here
    import bench_mlp
    import harness
    import training

    device = DEVICE
    rounds = 1 if args.quick else args.rounds
    epoch_samples = 12_800 if args.quick else training.EPOCH_SAMPLES
    warmup_samples = training.WARMUP_SAMPLES  # 100 steps: fewer do not reliably reach LOSS_BOUND

    def synchronize() -> None:
        ironnet.cuda.synchronize()
        torch.cuda.synchronize()

    def on_gpu(contender: Callable) -> Callable:
        def make():
            run, model = contender()
            return run, model.to(device)
        return make

    cases = [
        ("MLP 784-256-128-10", bench_mlp.data, (784,),
         {"ironnet": on_gpu(bench_mlp.ironnet_contender),
          "PyTorch": lambda: bench_mlp.torch_contender(device)}),
        ("small CNN conv32-pool-conv64-pool-dense128-dense10", bench_cnn.data, (28, 28, 1),
         {"ironnet": on_gpu(bench_cnn.ironnet_contender),
          "PyTorch NCHW": bench_cnn.torch_contender(False, device),
          "PyTorch channels_last": bench_cnn.torch_contender(True, device)}),
    ]
    rows, sources = [], set()
    for title, data, shape, contenders in cases:
        x, y, source = load(data, shape)
        sources.add(source)
        rate = measure(contenders, x, y, rounds, epoch_samples, warmup_samples, synchronize)
        best = max((name for name in rate if name != "ironnet"), key=rate.get)
        ratio = rate["ironnet"] / rate[best]
        rows.append([title, f"{rate['ironnet']:,.0f}", f"{rate[best]:,.0f} ({best})", f"{ratio:.2f}×",
                     "yes" if ratio >= TARGET else "**NO**"])
        print(f"{title}: " + ", ".join(f"{k} {v:,.0f} samples/s" for k, v in rate.items())
              + f", ratio {ratio:.2f}", flush=True)
    headers = ["model", "ironnet samples/s", "PyTorch samples/s (best)", "ironnet / PyTorch", f"≥ {TARGET}×"]
    print(harness.format_table(headers, rows))
    if args.markdown:
        command = "python bench/bench_cuda_training.py" + (" --quick" if args.quick else "") + \
            f" --markdown {args.markdown}"
        notes = [f"device: {ironnet.cuda.get_device_name()} (torch {torch.version.cuda} CUDA runtime)",
                 f"batch {training.BATCH}, Adam(1e-3), {epoch_samples:,} samples per timed epoch, median of "
                 f"{rounds}; data: {', '.join(sorted(sources))}",
                 "ironnet `fit` (metrics off) vs the idiomatic PyTorch loop, each batch copied to the GPU per step"]
        training.write_section(args.markdown, "bench_cuda_training", "GPU training throughput: MLP and small CNN",
                               command, notes, harness.format_table(headers, rows, markdown=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
