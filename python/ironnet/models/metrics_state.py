"""The metrics fit and evaluate report: names resolved against the loss (as Keras does for
'accuracy'), computed over a whole epoch's predictions so every metric is exact."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

from .. import metrics as M

MetricFn = Callable[[np.ndarray, np.ndarray], float]


def _accuracy_for(loss_name: str) -> MetricFn:
    """Keras picks the accuracy that matches the labels the loss takes."""
    if "sparse_categorical" in loss_name:
        return M.sparse_categorical_accuracy
    if "categorical" in loss_name:
        return M.categorical_accuracy
    return M.binary_accuracy


def resolve(names: Sequence[Any], loss_name: str) -> List[Tuple[str, MetricFn]]:
    """(log name, fn(y_true, y_pred)) for each compile() metric: 'accuracy'/'acc', 'mse', 'mae', or a
    callable (logged under its __name__)."""
    out: List[Tuple[str, MetricFn]] = []
    table = {
        "mse": ("mse", M.mean_squared_error),
        "mean_squared_error": ("mean_squared_error", M.mean_squared_error),
        "mae": ("mae", M.mean_absolute_error),
        "mean_absolute_error": ("mean_absolute_error", M.mean_absolute_error),
    }
    for name in names:
        if callable(name):
            out.append((getattr(name, "__name__", "metric"), name))
        elif name in ("accuracy", "acc"):
            out.append(("accuracy", _accuracy_for(loss_name)))
        elif name in table:
            out.append(table[name])
        else:
            raise ValueError(f"unknown metric {name!r}: expected 'accuracy', 'mse', 'mae' or a callable")
    return out


def mean_metric(fn: MetricFn, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """A metric on flattened regression outputs where needed (MSE/MAE compare like shapes)."""
    if fn in (M.mean_squared_error, M.mean_absolute_error):
        return float(fn(np.asarray(y_true, np.float64).reshape(-1), np.asarray(y_pred, np.float64).reshape(-1)))
    return float(fn(y_true, y_pred))
