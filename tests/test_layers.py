"""Layers: Keras weight layouts and parameter counts, forward against NumPy, configs, errors."""
import numpy as np
import pytest

import ironnet
from ironnet import layers


def test_dense_builds_keras_layout_and_computes(rng):
    ironnet.set_random_seed(1)
    d = layers.Dense(5, activation="relu")
    x = rng.standard_normal((7, 3)).astype(np.float32)
    y = d(x).numpy()
    kernel, bias = d.get_weights()
    assert kernel.shape == (3, 5) and bias.shape == (5,) and d.count_params() == 20
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert d.input_shape == (None, 3) and d.output_shape == (None, 5)
    np.testing.assert_array_equal(bias, np.zeros(5))  # bias_initializer zeros
    limit = np.sqrt(6 / (3 + 5))  # glorot_uniform
    assert np.all(np.abs(kernel) <= limit)


def test_dense_on_rank_3_input_applies_to_the_last_axis(rng):
    d = layers.Dense(4, use_bias=False)
    x = rng.standard_normal((2, 3, 6)).astype(np.float32)
    y = d(x).numpy()
    assert y.shape == (2, 3, 4) and len(d.weights) == 1
    np.testing.assert_allclose(y, x @ d.get_weights()[0], rtol=1e-5, atol=1e-6)


def test_set_weights_round_trip_and_errors(rng):
    d = layers.Dense(2)
    d(np.zeros((1, 3), np.float32))
    new = [rng.standard_normal((3, 2)).astype(np.float32), np.ones(2, np.float32)]
    d.set_weights(new)
    for got, want in zip(d.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r"set_weights: expected 2 arrays \(kernel, bias\), got 1"):
        d.set_weights(new[:1])
    with pytest.raises(ValueError, match=r"set_weights: kernel has shape \(3, 2\), got \(2, 3\)"):
        d.set_weights([new[0].T, new[1]])


def test_seeded_initialization_is_reproducible():
    ironnet.set_random_seed(5)
    a = layers.Dense(3)
    a.build_for((None, 4))
    ironnet.set_random_seed(5)
    b = layers.Dense(3)
    b.build_for((None, 4))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


def test_activation_flatten_and_dropout(rng):
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(layers.Activation("tanh")(x).numpy(), np.tanh(x), rtol=1e-5, atol=1e-6)
    flat = layers.Flatten()
    assert flat(x).shape == (4, 6) and flat.compute_output_shape((None, 2, 3)) == (None, 6)
    drop = layers.Dropout(0.5, seed=3)
    np.testing.assert_array_equal(drop(x, training=False).numpy(), x)
    trained = drop(x, training=True).numpy()
    assert np.any(trained == 0) and np.allclose(trained[trained != 0], 2 * x[trained != 0], rtol=1e-6)


def test_layer_names_and_configs():
    d = layers.Dense(3, activation="sigmoid", name="head")
    assert d.name == "head"
    cfg = d.get_config()
    assert cfg["units"] == 3 and cfg["activation"] == "sigmoid" and cfg["kernel_initializer"] == "glorot_uniform"
    auto = [layers.Activation("relu") for _ in range(2)]
    assert auto[0].name != auto[1].name and auto[1].name.startswith("activation")


def test_layer_errors():
    with pytest.raises(ValueError, match="Dense: units must be a positive integer, got 0"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        layers.Dense(2, activation="swishy")
    with pytest.raises(ValueError, match="unknown initializer 'xavier'"):
        layers.Dense(2, kernel_initializer="xavier")
    with pytest.raises(ValueError, match=r"Dropout: rate must be in \[0, 1\), got 1.5"):
        layers.Dropout(1.5)
    d = layers.Dense(2)
    d(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"inputs \(1, 4\) have 4 features, the layer was built for 3"):
        d(np.zeros((1, 4), np.float32))
