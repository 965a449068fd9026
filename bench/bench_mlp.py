"""Training throughput: the MLP 784-256-128-10 (ReLU, softmax) with Adam, batch 128, over the 60,000
Fashion-MNIST training images, ironnet's `fit` against the equivalent PyTorch loop, same run.

    python bench/bench_mlp.py [--threads 1 2] [--rounds 3] [--markdown bench/RESULTS.md]

Each library trains one epoch per round (after a warm-up of a few hundred steps), the libraries take
turns round by round, and the median epoch time gives samples/s. PyTorch runs its idiomatic form
(logits + CrossEntropyLoss, torch.optim.Adam, a shuffled index per epoch), ironnet the Keras form
(softmax output, sparse_categorical_crossentropy, model.fit with metrics off). Both first show they
learn: the mean loss of a 100-step run must fall below 1.0 (chance is 2.3).
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time

import numpy as np
import torch

import harness
import ironnet
from ironnet import layers, models, optimizers

BATCH, EPOCH_SAMPLES = 128, 60_000
TARGET = 1.5  # ironnet samples/s over PyTorch's, at 2 threads


def data():
    (x, y), _ = ironnet.datasets.fashion_mnist.load_data()
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, y.astype(np.int64)


def ironnet_model():
    ironnet.set_random_seed(0)
    model = models.Sequential([
        layers.Dense(256, activation="relu", input_shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


def torch_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss()


def ironnet_epoch(model, x, y, samples):
    history = model.fit(x[:samples], y[:samples], epochs=1, batch_size=BATCH, verbose=0)
    return history.history["loss"][-1]


def torch_epoch(state, x, y, samples):
    model, opt, loss_fn = state
    xt, yt = torch.from_numpy(x[:samples]), torch.from_numpy(y[:samples])
    order = torch.randperm(samples)
    total = 0.0
    for i in range(0, samples, BATCH):
        idx = order[i : i + BATCH]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / samples


def measure(threads: int, rounds: int, x, y):
    ironnet.set_num_threads(threads)
    torch.set_num_threads(threads)
    ir, pt = ironnet_model(), torch_model()
    # Correctness first: both learn (a short run, also the warm-up).
    for name, run, state in (("ironnet", ironnet_epoch, ir), ("PyTorch", torch_epoch, pt)):
        loss = run(state, x, y, 12_800)
        if not loss < 1.0:
            sys.exit(f"{name} did not learn: loss {loss:.3f} after 100 steps")
    times = {"ironnet": [], "PyTorch": []}
    for r in range(rounds):
        order = [("ironnet", ironnet_epoch, ir), ("PyTorch", torch_epoch, pt)]
        for name, run, state in order if r % 2 == 0 else order[::-1]:
            time.sleep(0.2)  # the other library's spinning threads fall asleep
            start = time.perf_counter()
            run(state, x, y, EPOCH_SAMPLES)
            times[name].append(time.perf_counter() - start)
    return {k: EPOCH_SAMPLES / statistics.median(v) for k, v in times.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--markdown", metavar="PATH")
    args = p.parse_args()
    x, y = data()
    rows = []
    for t in args.threads:
        rate = measure(t, args.rounds, x, y)
        ratio = rate["ironnet"] / rate["PyTorch"]
        met = ("yes" if ratio >= TARGET else "**NO**") if t == 2 else "—"
        rows.append([str(t), f"{rate['ironnet']:,.0f}", f"{rate['PyTorch']:,.0f}", f"{ratio:.2f}×", met])
        print(f"threads {t}: ironnet {rate['ironnet']:,.0f} samples/s, PyTorch {rate['PyTorch']:,.0f}, "
              f"ratio {ratio:.2f}", flush=True)
    headers = ["threads", "ironnet samples/s", "PyTorch samples/s", "ironnet / PyTorch", f"≥ {TARGET}× (2 threads)"]
    print(harness.format_table(headers, rows))
    if args.markdown:
        section = (
            "### Training throughput: MLP 784-256-128-10, Adam, batch 128, Fashion-MNIST (60,000 samples)\n\n"
            f"Command: `python bench/bench_mlp.py --markdown {args.markdown}`\n\n"
            f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n"
            f"- cpu: {harness.cpu_model()}, {os.cpu_count()} logical CPUs\n"
            f"- ironnet {ironnet.__version__} ({ironnet.get_cpu_isa()}), torch {torch.__version__}\n"
            f"- median of {args.rounds} epochs each, libraries alternating; ironnet `fit` (metrics off) vs the "
            "idiomatic PyTorch loop (logits + CrossEntropyLoss)\n\n"
            f"{harness.format_table(headers, rows, markdown=True)}\n"
        )
        text = open(args.markdown).read() if os.path.exists(args.markdown) else ""
        with open(args.markdown, "w") as f:
            f.write(harness.replace_section(text, "bench_mlp", section))
        print(f"updated the 'bench_mlp' section of {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
