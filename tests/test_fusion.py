"""Sequential's peephole fusion (ironnet/models/fusion.py): Conv2D(relu) -> MaxPooling2D pairs with a
small receptive field run as ops.conv2d_relu_max_pool2d, with the same predictions and training as
the layers one by one, and nothing else fused."""
import numpy as np
import pytest

import ironnet
from ironnet import layers, ops, optimizers
from ironnet.models import Sequential, fusion


def small_cnn(seed: int, second_activation: str = "relu") -> Sequential:
    """Two fusable pairs: 9 taps (the window kernel) and 16 input channels (the argmax kernel), the
    second with 'same' convolution and pool on odd sizes; then a head."""
    ironnet.set_random_seed(seed)
    return Sequential([
        layers.Input((13, 12, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, padding="same", activation=second_activation),
        layers.MaxPooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(5, activation="softmax"),
    ])


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts the calls of the fused op (fusion.py reaches it through ironnet.ops)."""
    calls = []
    real = ops.conv2d_relu_max_pool2d

    def counting(*args, **kwargs):
        calls.append(args[1].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(ops, "conv2d_relu_max_pool2d", counting)
    return calls


def twin_models():
    fused, plain = small_cnn(0), small_cnn(1)
    plain.set_weights(fused.get_weights())
    plain._fuse = False
    return fused, plain


def test_plan_pairs_only_where_it_pays():
    model = Sequential([
        layers.Input((40, 40, 3)),
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),     # 27 taps: fused
        layers.Conv2D(8, 3, activation="tanh"), layers.MaxPooling2D(2),      # not relu
        layers.Conv2D(8, 1, activation="relu"), layers.AveragePooling2D(1),  # not a max pool
        layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(3, strides=2, padding="same"),  # overlapping
        layers.Conv2D(4, 3, activation="relu", padding="same"), layers.MaxPooling2D(1),  # 16 channels, 1x1 pool
        layers.Conv2D(3, 3, activation="relu", padding="same"), layers.MaxPooling2D(2),  # 36 taps from 4 channels
    ])
    assert [pool is not None for _, pool in fusion.plan(model.layers)] == [True] + [False] * 10
    unbuilt = [layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2)]
    assert fusion.plan(unbuilt)[0][1] is None
    built = Sequential([layers.Input((9, 9, 16)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2)])
    assert fusion.plan(built.layers)[0][1] is not None  # 144 taps from 16 channels


def test_predictions_match_unfused(rng, fused_calls, num_threads):
    fused, plain = twin_models()
    x = rng.standard_normal((7, 13, 12, 1)).astype(np.float32)
    expected = plain.predict(x, verbose=0)
    assert not fused_calls
    np.testing.assert_allclose(fused.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert fused_calls and set(fused_calls) == {(3, 3, 1, 16), (3, 3, 16, 6)}


def test_fit_matches_unfused(rng, fused_calls):
    fused, plain = twin_models()
    x = rng.standard_normal((48, 13, 12, 1)).astype(np.float32)
    y = rng.integers(0, 5, 48)
    for model in (fused, plain):
        model.compile(optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert len(fused_calls) == 2 * 2 * 3  # two pairs, three steps an epoch, two epochs
    for got, want in zip(fused.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert not np.allclose(fused.get_weights()[0], small_cnn(0).get_weights()[0])  # it did train


def test_other_activations_are_not_fused(rng, fused_calls):
    model = small_cnn(0, second_activation="tanh")
    model.predict(rng.standard_normal((2, 13, 12, 1)).astype(np.float32), verbose=0)
    assert fused_calls == [(3, 3, 1, 16)]


def test_bad_input_is_reported_by_the_layer(rng, fused_calls):
    """No Input layer to catch it first: the fused pair leaves the error to Conv2D's own check."""
    model = Sequential([layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2)])
    model(rng.standard_normal((2, 8, 8, 1)).astype(np.float32))  # builds (unfused), then fuses
    model(rng.standard_normal((2, 8, 8, 1)).astype(np.float32))
    assert len(fused_calls) == 1
    with pytest.raises(ValueError, match=r"inputs \(2, 8, 8, 2\) have 2 channels, the layer was built for 1"):
        model(rng.standard_normal((2, 8, 8, 2)).astype(np.float32))
