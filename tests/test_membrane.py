"""ironnet.datasets.membrane: matplotlib's sample series cut into next-value windows."""
from __future__ import annotations

import numpy as np
import pytest

from ironnet.datasets import membrane


def test_series_is_the_shipped_file():
    s = membrane.load_series()
    assert s.shape == (12000,) and s.dtype == np.float32
    assert np.all(np.isfinite(s)) and s.std() > 0.05  # a real signal, not a constant


@pytest.mark.parametrize("window", [1, 5, 32])
def test_windows_are_consecutive_values_and_the_next_one(window):
    s = np.arange(40, dtype=np.float32) ** 2
    x, y = membrane.windows(s, window)
    assert x.shape == (40 - window, window, 1) and y.shape == (40 - window,)
    for i in (0, 7, len(y) - 1):
        np.testing.assert_array_equal(x[i, :, 0], s[i : i + window])
        assert y[i] == s[i + window]


def test_load_data_splits_in_time():
    (x_train, y_train), (x_test, y_test) = membrane.load_data(window=16, test_fraction=0.25)
    s = membrane.load_series()
    assert len(y_train) == 9000 - 16 and len(y_test) == 3000 - 16
    np.testing.assert_array_equal(x_train[0, :, 0], s[:16])
    np.testing.assert_array_equal(x_test[0, :, 0], s[9000:9016])  # test windows start after the cut
    assert y_train[-1] == s[8999] and y_test[-1] == s[-1]


def test_errors():
    with pytest.raises(ValueError, match=r"membrane.windows: needs a 1-D series longer than window=5, got shape \(5,\)"):
        membrane.windows(np.zeros(5), 5)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\), got 0"):
        membrane.load_data(test_fraction=0)
