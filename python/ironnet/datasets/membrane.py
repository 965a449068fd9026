"""A real one-dimensional time series shipped with matplotlib: ``sample_data/membrane.dat``, 12,000
float32 samples of a slowly varying recorded signal, cut into next-value forecasting windows.

Needs matplotlib (the optional extra ``ironnet[plot]``; the test extra has it too).
"""
from __future__ import annotations

import os

import numpy as np

from ._mnist_like import Arrays


def load_series() -> np.ndarray:
    """(12000,) float32: the whole series, in recording order."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("ironnet.datasets.membrane needs matplotlib: pip install 'ironnet[plot]'") from e
    path = os.path.join(matplotlib.get_data_path(), "sample_data", "membrane.dat")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"membrane: {path} is missing from this matplotlib installation")
    return np.fromfile(path, dtype=np.float32)


def windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """x (N, window, 1) float32 of consecutive values and y (N,) the value right after each window,
    for every start position (stride 1). series: 1-D."""
    s = np.asarray(series, np.float32)
    if s.ndim != 1 or window < 1 or s.size <= window:
        raise ValueError(f"membrane.windows: needs a 1-D series longer than window={window}, got shape {s.shape}")
    starts = np.arange(s.size - window)
    x = s[starts[:, None] + np.arange(window)[None, :]]
    return x[..., None], s[starts + window]


def load_data(window: int = 32, test_fraction: float = 0.2) -> Arrays:
    """``(x_train, y_train), (x_test, y_test)`` next-value windows (see ``windows``). The series is
    split in time, not shuffled: training windows come from the first ``1 - test_fraction`` of it
    and test windows from the rest, so no test value is ever seen while training."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"membrane.load_data: test_fraction must be in (0, 1), got {test_fraction}")
    series = load_series()
    cut = int(round(series.size * (1.0 - test_fraction)))
    return windows(series[:cut], window), windows(series[cut:], window)


__all__ = ["load_data", "load_series", "windows"]
