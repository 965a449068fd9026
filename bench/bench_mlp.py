"""Training throughput: the MLP 784-256-128-10 (ReLU, softmax) with Adam, batch 128, over the 60,000
Fashion-MNIST training images, ironnet's `fit` against the equivalent PyTorch loop, same run.

    python bench/bench_mlp.py [--threads 1 2] [--rounds 3] [--markdown bench/RESULTS.md]

PyTorch runs its idiomatic form (logits + CrossEntropyLoss, torch.optim.Adam, a shuffled index per
epoch), ironnet the Keras form (softmax output, sparse_categorical_crossentropy, model.fit with
metrics off); see training.py for the protocol.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

import harness
import ironnet
import training
from ironnet import layers, models, optimizers

TARGET = 1.5  # ironnet samples/s over PyTorch's, at 2 threads


def data():
    (x, y), _ = ironnet.datasets.fashion_mnist.load_data()
    return x.reshape(len(x), -1).astype(np.float32) / 255.0, y.astype(np.int64)


def ironnet_contender():
    ironnet.set_random_seed(0)
    model = models.Sequential([
        layers.Dense(256, activation="relu", input_shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return training.ironnet_epoch, model


def torch_contender():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    return training.torch_epoch, training.torch_state(model)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--markdown", metavar="PATH")
    args = p.parse_args()
    x, y = data()
    rows = []
    for t in args.threads:
        rate = training.measure(t, args.rounds, x, y, {"ironnet": ironnet_contender, "PyTorch": torch_contender})
        ratio = rate["ironnet"] / rate["PyTorch"]
        met = ("yes" if ratio >= TARGET else "**NO**") if t == 2 else "—"
        rows.append([str(t), f"{rate['ironnet']:,.0f}", f"{rate['PyTorch']:,.0f}", f"{ratio:.2f}×", met])
        print(f"threads {t}: ironnet {rate['ironnet']:,.0f} samples/s, PyTorch {rate['PyTorch']:,.0f}, "
              f"ratio {ratio:.2f}", flush=True)
    headers = ["threads", "ironnet samples/s", "PyTorch samples/s", "ironnet / PyTorch", f"≥ {TARGET}× (2 threads)"]
    print(harness.format_table(headers, rows))
    if args.markdown:
        training.write_section(
            args.markdown, "bench_mlp",
            "Training throughput: MLP 784-256-128-10, Adam, batch 128, Fashion-MNIST (60,000 samples)",
            f"python bench/bench_mlp.py --markdown {args.markdown}",
            [f"median of {args.rounds} epochs each, libraries alternating; ironnet `fit` (metrics off) vs the "
             "idiomatic PyTorch loop (logits + CrossEntropyLoss)"],
            harness.format_table(headers, rows, markdown=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
