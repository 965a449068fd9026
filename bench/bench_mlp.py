"""Training throughput: the MLP 784-256-128-10 (ReLU, softmax) with Adam, batch 128, over the 60,000
Fashion-MNIST training images, ironnet's `fit` against the equivalent PyTorch loop, same run.

    python bench/bench_mlp.py [--threads 1 2] [--rounds 3] [--markdown bench/RESULTS.md]

PyTorch runs its idiomatic form (logits + CrossEntropyLoss, torch.optim.Adam, a shuffled index per
epoch), ironnet the Keras form (softmax output, sparse_categorical_crossentropy, model.fit with
metrics off); see training.py for the protocol.
"""
from __future__ import annotations

import sys

import numpy as np
import torch

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


def torch_contender(device: str = "cpu"):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    return training.torch_epoch, training.torch_state(model, device=device)


if __name__ == "__main__":
    sys.exit(training.run_cli(
        __doc__, data, {"ironnet": ironnet_contender, "PyTorch": torch_contender}, TARGET, "bench_mlp",
        "Training throughput: MLP 784-256-128-10, Adam, batch 128, Fashion-MNIST (60,000 samples)",
        "ironnet `fit` (metrics off) vs the idiomatic PyTorch loop (logits + CrossEntropyLoss)"))
