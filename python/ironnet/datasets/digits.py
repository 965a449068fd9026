"""scikit-learn's bundled 8x8 handwritten digits (1797 images), split into train and test.

Needs the optional extra: ``pip install ironnet[datasets]`` (scikit-learn).
"""
from __future__ import annotations

import numpy as np

from ._mnist_like import Arrays


def load_data(test_fraction: float = 0.2, seed: int = 0) -> Arrays:
    """Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (N, 8, 8) in 0..16, y uint8 (N,).

    The split is a seeded permutation (``numpy.random.default_rng(seed)``), so the same
    ``test_fraction`` and ``seed`` give the same split everywhere; the test set has
    ``round(1797 * test_fraction)`` images.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"digits.load_data: test_fraction must be in (0, 1), got {test_fraction}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "ironnet.datasets.digits needs scikit-learn: pip install 'ironnet[datasets]'"
        ) from e
    bunch = load_digits()
    x = np.asarray(bunch.images).astype(np.uint8)  # float 0..16, integral
    y = np.asarray(bunch.target).astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


__all__ = ["load_data"]
