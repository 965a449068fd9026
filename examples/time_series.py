"""Next-value forecasting on a real recorded series: matplotlib's sample ``membrane.dat``.

A GRU reads the last 32 values (standardized) and predicts the *change* to the next value, so its
forecast is last value + predicted change: the persistence forecast ("no change") is the model
with a zero output, which training must improve on. Fixed seed; prints the test MSE next to the
persistence and training-mean baselines. The split is in time: the last 20% of the series is
never seen in training.

    python examples/time_series.py [--cell lstm] [--epochs 8]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import ironnet
from ironnet import baselines, layers, metrics, models, optimizers
from ironnet.datasets import membrane


def build_model(units: int, window: int, cell: str = "gru") -> models.Sequential:
    """(B, window, 1) float32 -> (B, 1) the standardized change to the next value."""
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[cell]
    return models.Sequential([recurrent(units, input_shape=(window, 1)), layers.Dense(1)])


def run(epochs: int = 8, units: int = 32, window: int = 32, cell: str = "gru", batch_size: int = 128,
        learning_rate: float = 0.01, seed: int = 0, verbose: int = 0) -> dict:
    """Trains on the first 80% of the series and forecasts the rest; returns the figures (MSE in
    the series' own units)."""
    ironnet.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = membrane.load_data(window=window)
    # Statistics of the training part only: inputs standardized, targets as standardized changes.
    center, scale = float(x_train.mean()), float(x_train.std())
    change = y_train - x_train[:, -1, 0]
    change_scale = float(change.std())
    model = build_model(units, window, cell)
    steps_per_epoch = len(x_train) // batch_size + 1
    schedule = optimizers.schedules.ExponentialDecay(learning_rate, decay_steps=steps_per_epoch, decay_rate=0.6)
    model.compile(optimizers.Adam(schedule), "mse")
    start = time.perf_counter()
    model.fit((x_train - center) / scale, (change / change_scale)[:, None], batch_size=batch_size,
              epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    predicted_change = model.predict((x_test - center) / scale, batch_size=512)[:, 0] * change_scale
    forecast = x_test[:, -1, 0] + predicted_change
    return {
        "mse": metrics.mean_squared_error(y_test, forecast),
        "persistence_mse": baselines.persistence_mse(x_test[:, -1, 0], y_test),
        "mean_mse": baselines.mean_mse(x_train[:, :, 0], y_test),
        "train_seconds": seconds, "train_size": len(y_train), "test_size": len(y_test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=["lstm", "gru"], default="gru")
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ironnet.set_num_threads(args.threads)
    r = run(epochs=args.epochs, units=args.units, cell=args.cell, seed=args.seed, verbose=1)
    print(f"membrane.dat: {r['train_size']} training / {r['test_size']} test windows of 32 values")
    print(f"baselines: persistence MSE {r['persistence_mse']:.3e}, training-mean MSE {r['mean_mse']:.3e}")
    print(f"{args.cell.upper()}({args.units}): test MSE {r['mse']:.3e} "
          f"({r['mse'] / r['persistence_mse']:.2f}x persistence), trained in {r['train_seconds']:.1f} s")


if __name__ == "__main__":
    main()
