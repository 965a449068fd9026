"""RandomFlip / RandomRotation / RandomTranslation (keras.layers names): training-only, fresh
per-image draws, seeded repeats, single images, config round-trip, a fit step, validation."""
import numpy as np
import pytest

import ironnet
from ironnet import layers, models, ops

LAYERS = {
    "flip": lambda **kw: layers.RandomFlip(**kw),
    "rotation": lambda **kw: layers.RandomRotation(0.2, **kw),
    "translation": lambda **kw: layers.RandomTranslation(0.3, (-0.2, 0.1), **kw),
}


def batch(rng, shape=(16, 9, 11, 3)):
    return ironnet.tensor(rng.standard_normal(shape).astype(np.float32))


@pytest.fixture
def recorded(monkeypatch):
    """The transforms each affine_warp call received, in order."""
    calls = []
    warp = ops.affine_warp

    def recording(x, transforms, *args, **kwargs):
        calls.append(np.asarray(transforms))
        return warp(x, transforms, *args, **kwargs)

    monkeypatch.setattr(ops, "affine_warp", recording)
    return calls


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_inference_is_the_identity(rng, kind):
    x = batch(rng)
    layer = LAYERS[kind]()
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert layer.count_params() == 0 and layer.weights == []
    assert layer.compute_output_shape((None, 9, 11, 3)) == (None, 9, 11, 3)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_fresh_draws_per_call_and_seeded_layers_repeat(rng, kind):
    x = batch(rng)
    first, second = LAYERS[kind](seed=7), LAYERS[kind](seed=7)
    a1, a2 = first(x, training=True).numpy(), first(x, training=True).numpy()
    assert not np.array_equal(a1, a2)  # 16 images: identical draws are (far) below 1e-9
    np.testing.assert_array_equal(second(x, training=True).numpy(), a1)
    np.testing.assert_array_equal(second(x, training=True).numpy(), a2)
    ironnet.set_random_seed(3)
    unseeded = LAYERS[kind]()(x, training=True).numpy()
    ironnet.set_random_seed(3)
    np.testing.assert_array_equal(LAYERS[kind]()(x, training=True).numpy(), unseeded)


@pytest.mark.parametrize("mode, horizontal, vertical", [("horizontal", True, False), ("vertical", False, True),
                                                        ("horizontal_and_vertical", True, True)])
def test_flip_directions_each_with_probability_half(mode, horizontal, vertical):
    n = 4000
    x = np.tile(np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1), (n, 1, 1, 1))  # [[0, 1], [2, 3]]
    y = layers.RandomFlip(mode, seed=1)(ironnet.tensor(x), training=True).numpy()
    h_flipped, v_flipped = y[:, 0, 0, 0] % 2 == 1, y[:, 0, 0, 0] >= 2
    sigma = 6 * np.sqrt(0.25 / n)
    for flipped, allowed in ((h_flipped, horizontal), (v_flipped, vertical)):
        assert abs(flipped.mean() - 0.5) < sigma if allowed else not flipped.any()
    if horizontal and vertical:  # independent directions
        assert abs((h_flipped & v_flipped).mean() - 0.25) < sigma


def test_rotation_angles_uniform_in_the_factor_range(rng, recorded):
    layers.RandomRotation((0.1, 0.2), seed=0)(batch(rng, (2000, 5, 5, 1)), training=True)
    t = recorded[0]
    turns = np.arctan2(t[:, 3], t[:, 0]) / (2 * np.pi)
    assert turns.min() >= 0.1 - 1e-6 and turns.max() <= 0.2 + 1e-6
    assert turns.min() < 0.101 and turns.max() > 0.199 and abs(turns.mean() - 0.15) < 0.003
    np.testing.assert_allclose(ops.rotation_transforms(turns * 2 * np.pi, 5, 5), t, atol=1e-5)


def test_translation_shifts_uniform_in_the_factor_ranges(rng, recorded):
    layers.RandomTranslation(0.25, (-0.5, 0.0), seed=0)(batch(rng, (2000, 8, 10, 1)), training=True)
    t = recorded[0]
    down, right = -t[:, 5] / 8, -t[:, 2] / 10
    assert down.min() >= -0.25 and down.max() <= 0.25 and abs(down.mean()) < 0.01
    assert right.min() >= -0.5 and right.max() <= 0.0 and abs(right.mean() + 0.25) < 0.01
    np.testing.assert_array_equal(t[:, [0, 4]], 1.0)
    np.testing.assert_array_equal(t[:, [1, 3]], 0.0)


def test_exact_quarter_turn_and_whole_pixel_translation(rng):
    x = rng.standard_normal((3, 7, 7, 2)).astype(np.float32)
    quarter = layers.RandomRotation((0.25, 0.25), interpolation="nearest")
    np.testing.assert_array_equal(quarter(ironnet.tensor(x), training=True).numpy(), np.rot90(x, k=1, axes=(1, 2)))
    shift = layers.RandomTranslation((2 / 7, 2 / 7), (-3 / 7, -3 / 7), fill_mode="constant", fill_value=9.0,
                                     interpolation="nearest")
    expected = np.full_like(x, 9.0)
    expected[:, 2:, :4] = x[:, :5, 3:]
    np.testing.assert_array_equal(shift(ironnet.tensor(x), training=True).numpy(), expected)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_single_image_and_gradient(rng, kind):
    image = rng.standard_normal((9, 11, 3)).astype(np.float32)
    x = ironnet.tensor(image, requires_grad=True)
    y = LAYERS[kind](seed=2)(x, training=True)
    assert y.shape == (9, 11, 3)
    batched = LAYERS[kind](seed=2)(ironnet.tensor(image[None]), training=True).numpy()
    np.testing.assert_array_equal(y.numpy(), batched[0])
    y.backward(ironnet.tensor(np.ones_like(image)))
    assert x.grad.shape == (9, 11, 3) and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_config_round_trip(rng, kind):
    layer = LAYERS[kind](seed=5, fill_mode="wrap", interpolation="nearest", fill_value=1.0) if kind != "flip" \
        else LAYERS[kind](seed=5, mode="vertical")
    config = layers.serialize(layer)
    clone = layers.deserialize(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    x = batch(rng)
    np.testing.assert_array_equal(clone(x, training=True).numpy(), layer(x, training=True).numpy())


def test_sequential_with_augmentation_trains_one_step_and_saves(rng, tmp_path):
    ironnet.set_random_seed(0)
    model = models.Sequential([
        layers.RandomFlip("horizontal", seed=0, input_shape=(8, 8, 1)),
        layers.RandomRotation(0.1, seed=0),
        layers.RandomTranslation(0.1, 0.1, seed=0),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = rng.standard_normal((32, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))  # inference: no noise
    model.save(tmp_path / "augmented.keras")
    loaded = models.load_model(tmp_path / "augmented.keras")
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("make, message", [
    (lambda: layers.RandomRotation(1.5), r"RandomRotation: factor must lie in \[-1, 1\], got 1.5"),
    (lambda: layers.RandomRotation((0.3, 0.1)), r"RandomRotation: factor has lower bound 0.3 > upper bound 0.1"),
    (lambda: layers.RandomRotation((0.1, 0.2, 0.3)), r"RandomRotation: factor must be a float or a \(lower, upper\)"),
    (lambda: layers.RandomRotation("big"), r"RandomRotation: factor must be a float or a \(lower, upper\) pair, got 'big'"),
    (lambda: layers.RandomRotation(float("nan")), r"RandomRotation: factor must lie in \[-1, 1\], got nan"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), r"RandomRotation: unknown fill_mode 'mirror'"),
    (lambda: layers.RandomRotation(0.1, interpolation="cubic"), r"RandomRotation: unknown interpolation 'cubic'"),
    (lambda: layers.RandomRotation(0.1, fill_value=float("inf")), r"RandomRotation: fill_value must be a finite"),
    (lambda: layers.RandomTranslation(0.1, (-1.2, 0.0)), r"RandomTranslation: width_factor must lie in \[-1, 1\]"),
    (lambda: layers.RandomTranslation((0.2, -0.2), 0.1), r"RandomTranslation: height_factor has lower bound 0.2"),
    (lambda: layers.RandomFlip("diagonal"), r"RandomFlip: unknown mode 'diagonal'; expected one of"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 5, 7, 1)])
def test_bad_rank(kind, shape):
    x = ironnet.tensor(np.zeros(shape, np.float32))
    # The first call builds the layer, which checks the shape with the batch dimension unknown.
    with pytest.raises(ValueError, match=r"\(Random\w+\): expects images \(N, H, W, C\) or one image \(H, W, C\), "
                                         rf"channels_last; got shape \(None, {', '.join(map(str, shape[1:]))}\)"):
        LAYERS[kind]()(x, training=True)
