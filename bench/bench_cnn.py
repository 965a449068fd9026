"""Training throughput of the issue's small CNN on Fashion-MNIST, ironnet's `fit` against PyTorch in
the same run: Conv2D(32, 3, relu), MaxPool 2, Conv2D(64, 3, relu), MaxPool 2, Flatten, Dense(128, relu),
Dense(10, softmax); Adam, batch 128, 60,000 samples per epoch.

    python bench/bench_cnn.py [--threads 1 2] [--rounds 3] [--markdown bench/RESULTS.md]

PyTorch runs both of its layouts (NCHW, and channels_last memory format) and the better one counts;
see training.py for the protocol.
"""
from __future__ import annotations

import sys

import numpy as np
import torch

import ironnet
import training
from ironnet import layers, models, optimizers

TARGET = 2.0  # ironnet samples/s over PyTorch's best layout, at 2 threads


def data():
    (x, y), _ = ironnet.datasets.fashion_mnist.load_data()
    return x.reshape(len(x), 28, 28, 1).astype(np.float32) / 255.0, y.astype(np.int64)


def ironnet_contender():
    ironnet.set_random_seed(0)
    model = models.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return training.ironnet_epoch, model


def torch_contender(channels_last: bool, device: str = "cpu"):
    def make():
        torch.manual_seed(0)
        nn = torch.nn
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        model = model.to(memory_format=fmt)

        def prepare(x: torch.Tensor) -> torch.Tensor:  # NHWC arrays -> NCHW tensors in the chosen layout
            return x.permute(0, 3, 1, 2).contiguous(memory_format=fmt)

        return training.torch_epoch, training.torch_state(model, prepare, device)

    return make


if __name__ == "__main__":
    sys.exit(training.run_cli(
        __doc__, data, {"ironnet": ironnet_contender, "PyTorch NCHW": torch_contender(False),
                        "PyTorch channels_last": torch_contender(True)},
        TARGET, "bench_cnn",
        "Training throughput: small CNN (conv32-pool-conv64-pool-dense128-dense10), Adam, batch 128, "
        "Fashion-MNIST (60,000 samples)",
        "ironnet `fit` (metrics off) vs the idiomatic PyTorch loop (logits + CrossEntropyLoss) in both memory formats"))
