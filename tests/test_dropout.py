"""ops.dropout: seeded, thread-count independent, backward = the same mask, Bernoulli statistics."""
import numpy as np
import pytest

import ironnet
from ironnet.ops import dropout


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_drop_fraction_and_scale(rate):
    n = 200_000
    y = dropout(ironnet.tensor(np.ones(n, np.float32)), rate, seed=7).numpy()
    dropped = np.mean(y == 0)
    # Binomial: 6 standard deviations of the observed fraction.
    assert abs(dropped - rate) < 6 * np.sqrt(rate * (1 - rate) / n)
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - rate), rtol=1e-6)


def test_same_seed_same_mask_for_any_thread_count(rng):
    x = ironnet.tensor(rng.standard_normal((300, 257)).astype(np.float32))
    previous = ironnet.get_num_threads()
    try:
        ironnet.set_num_threads(1)
        one = dropout(x, 0.4, seed=123).numpy()
        ironnet.set_num_threads(2)
        two = dropout(x, 0.4, seed=123).numpy()
    finally:
        ironnet.set_num_threads(previous)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, dropout(x, 0.4, seed=124).numpy())


def test_backward_uses_the_forward_mask(rng):
    x_np = rng.standard_normal((64, 33)).astype(np.float32)
    x = ironnet.tensor(x_np, requires_grad=True)
    y = dropout(x, 0.25, seed=5)
    g = rng.standard_normal((64, 33)).astype(np.float32)
    y.backward(ironnet.tensor(g))
    kept = y.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, g / 0.75, 0.0), rtol=1e-6)
    np.testing.assert_allclose(y.numpy(), np.where(kept, x_np / 0.75, 0.0), rtol=1e-6)


def test_rate_zero_is_identity_and_strided_input(rng):
    x_np = rng.standard_normal((5, 7)).astype(np.float32)
    np.testing.assert_array_equal(dropout(ironnet.tensor(x_np), 0.0, seed=1).numpy(), x_np)
    t = ironnet.tensor(x_np).T  # non-contiguous input
    np.testing.assert_array_equal(dropout(t, 0.0, seed=1).numpy(), x_np.T)


def test_errors():
    with pytest.raises(ValueError, match=r"dropout: rate must be in \[0, 1\), got 1"):
        dropout(ironnet.tensor(np.ones(3, np.float32)), 1.0, seed=0)
    with pytest.raises(TypeError, match=r"dropout: x must be float32, got int64 \(3,\)"):
        dropout(ironnet.tensor([1, 2, 3]), 0.5, seed=0)
