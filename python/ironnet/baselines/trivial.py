"""The trivial baselines a trained model must beat: the majority class and the persistence / mean
forecasts. Each returns the baseline's score on the test data; none looks at the test targets
beyond scoring them."""
from __future__ import annotations

import numpy as np


def majority_class_accuracy(y_train, y_test) -> float:
    """Accuracy on ``y_test`` of always predicting the most frequent class of ``y_train``
    (the smallest label on a tie). y_train, y_test: (N,) integer labels."""
    train = np.asarray(y_train).reshape(-1)
    test = np.asarray(y_test).reshape(-1)
    if train.size == 0 or test.size == 0:
        raise ValueError(f"majority_class_accuracy: empty labels (shapes {train.shape} and {test.shape})")
    classes, counts = np.unique(train, return_counts=True)
    return float(np.mean(test == classes[np.argmax(counts)]))


def persistence_mse(last_values, targets) -> float:
    """MSE of the forecast "the next value equals the last one seen".
    last_values, targets: (N,) the last input value of each window and the value after it."""
    last = np.asarray(last_values, np.float64)
    y = np.asarray(targets, np.float64)
    if last.shape != y.shape or last.size == 0:
        raise ValueError(f"persistence_mse: last_values {last.shape} and targets {y.shape} must be equal, non-empty")
    return float(np.mean((y - last) ** 2))


def mean_mse(train_values, targets) -> float:
    """MSE of always forecasting the training series' mean. train_values: any shape; targets: (N,)."""
    train = np.asarray(train_values, np.float64)
    y = np.asarray(targets, np.float64)
    if train.size == 0 or y.size == 0:
        raise ValueError(f"mean_mse: empty inputs (shapes {train.shape} and {y.shape})")
    return float(np.mean((y - train.mean()) ** 2))


__all__ = ["majority_class_accuracy", "mean_mse", "persistence_mse"]
