"""Sequence classification: scikit-learn's 8x8 handwritten digits read row by row by a GRU.

Each image is a sequence of 8 steps (its rows) of 8 features (the pixels of a row, scaled to
[0, 1]); the GRU's last state goes to a softmax over the 10 digits. Fixed seed; prints the test
accuracy next to the majority-class baseline (always answering the most frequent training digit).

    python examples/sequence_classifier.py [--cell lstm] [--epochs 15]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import ironnet
from ironnet import baselines, layers, models, optimizers
from ironnet.datasets import digits


def build_model(units: int, cell: str = "gru", steps: int = 8, features: int = 8, classes: int = 10) -> models.Sequential:
    """(B, steps, features) float32 -> (B, classes) probabilities."""
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[cell]
    return models.Sequential([
        recurrent(units, input_shape=(steps, features)),
        layers.Dense(classes, activation="softmax"),
    ])


def run(epochs: int = 15, units: int = 64, cell: str = "gru", batch_size: int = 32, seed: int = 0,
        verbose: int = 0) -> dict:
    """Trains on the digits' training split, scores on its test split; returns the figures."""
    ironnet.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = digits.load_data(seed=seed)
    x_train = x_train.astype(np.float32) / 16.0  # (N, 8 rows, 8 pixels): a row per time step
    x_test = x_test.astype(np.float32) / 16.0
    model = build_model(units, cell)
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train.astype(np.int64), batch_size=batch_size, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    logs = model.evaluate(x_test, y_test.astype(np.int64), verbose=0, return_dict=True)
    return {
        "accuracy": logs["accuracy"], "majority_accuracy": baselines.majority_class_accuracy(y_train, y_test),
        "train_seconds": seconds, "train_size": len(y_train), "test_size": len(y_test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=["lstm", "gru"], default="gru")
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ironnet.set_num_threads(args.threads)
    r = run(epochs=args.epochs, units=args.units, cell=args.cell, seed=args.seed, verbose=1)
    print(f"digits as 8 steps x 8 features: {r['train_size']} training / {r['test_size']} test images")
    print(f"majority-class baseline: test accuracy {r['majority_accuracy']:.4f}")
    print(f"{args.cell.upper()}({args.units}): test accuracy {r['accuracy']:.4f}, trained in {r['train_seconds']:.1f} s")


if __name__ == "__main__":
    main()
