"""Convolution, pooling and batch-norm layers: Keras shapes, parameter counts and summary, forward
against PyTorch, BatchNormalization's train/inference behaviour, configs, save/load, one fit step, and
the errors naming the layer and the shapes."""
import json

import numpy as np
import pytest

import ironnet
from ironnet import layers, models, optimizers

torch = pytest.importorskip("torch")


def small_cnn():
    return models.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ], name="small_cnn")


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


# --- shapes, counts, summary ---------------------------------------------------------------------
def test_small_cnn_shapes_counts_and_summary_match_keras():
    model = small_cnn()
    shapes = [layer.output_shape for layer in model.layers]
    assert shapes == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64),
                      (None, 1600), (None, 128), (None, 10)]
    # Keras: (3*3*1 + 1)*32 = 320, (3*3*32 + 1)*64 = 18,496, 1600*128 + 128 = 204,928, 1,290.
    assert [layer.count_params() for layer in model.layers] == [320, 0, 18_496, 0, 0, 204_928, 1_290]
    text = summary_text(model)
    for expected in ("(None, 26, 26, 32)", "320", "18,496", "204,928", "Total params: 225,034",
                     "Trainable params: 225,034", "Non-trainable params: 0", "Activations"):
        assert expected in text, expected
    # Activation memory: per sample, float32, each layer's output; the total is their sum.
    per_sample = sum(int(np.prod(s[1:])) for s in shapes) * 4
    assert "84.50 KB" in text  # conv2d: 26*26*32*4 bytes
    assert f"Activation memory: {per_sample / 1024:.2f} KB per sample" in text


def test_batch_norm_counts_two_non_trainable_weights_per_feature():
    model = models.Sequential([layers.Input((6, 6, 3)), layers.Conv2D(8, 3, use_bias=False),
                               layers.BatchNormalization(), layers.GlobalAveragePooling2D(), layers.Dense(2)])
    bn = model.layers[1]
    assert [w.name for w in bn._weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert bn.count_params() == 32 and len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    text = summary_text(model)
    assert "Non-trainable params: 16" in text and "Total params: 266" in text  # 216 + 32 + 18


@pytest.mark.parametrize("layer, input_shape, output_shape", [
    (layers.Conv2D(8, 4, strides=2, padding="same"), (None, 7, 9, 3), (None, 4, 5, 8)),
    (layers.Conv2D(5, (3, 1), dilation_rate=(2, 1)), (None, 9, 4, 2), (None, 5, 4, 5)),
    (layers.Conv2D(4, 1), (None, 3, 3, 6), (None, 3, 3, 4)),
    (layers.Conv1D(6, 3, padding="causal", dilation_rate=2), (None, 10, 4), (None, 10, 6)),
    (layers.Conv1D(6, 3, strides=2), (None, 10, 4), (None, 4, 6)),
    (layers.MaxPooling2D(3, strides=2, padding="same"), (None, 7, 8, 5), (None, 4, 4, 5)),
    (layers.AveragePooling2D((2, 3)), (None, 7, 8, 5), (None, 3, 2, 5)),
    (layers.MaxPooling1D(2), (None, 9, 3), (None, 4, 3)),
    (layers.AveragePooling1D(3, strides=1, padding="same"), (None, 9, 3), (None, 9, 3)),
    (layers.GlobalAveragePooling2D(), (None, 5, 6, 7), (None, 7)),
    (layers.GlobalMaxPooling2D(keepdims=True), (None, 5, 6, 7), (None, 1, 1, 7)),
    (layers.GlobalAveragePooling1D(), (None, 5, 7), (None, 7)),
    (layers.GlobalMaxPooling1D(), (None, 5, 7), (None, 7)),
], ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else None)
def test_output_shapes_declared_equal_computed(rng, layer, input_shape, output_shape):
    assert layer.compute_output_shape(input_shape) == output_shape
    x = rng.standard_normal((2, *input_shape[1:])).astype(np.float32)
    assert layer(x).shape == (2, *output_shape[1:])


# --- forward against PyTorch ---------------------------------------------------------------------
def torch_conv2d(x, kernel, bias, stride, padding, dilation):
    """PyTorch's conv on NHWC data and a Keras kernel; padding as explicit (top, bottom, left, right)."""
    t = torch.nn.functional.pad(torch.from_numpy(x).permute(0, 3, 1, 2), (padding[2], padding[3], padding[0], padding[1]))
    w = torch.from_numpy(kernel).permute(3, 2, 0, 1)
    y = torch.nn.functional.conv2d(t, w, None if bias is None else torch.from_numpy(bias), stride, 0, dilation)
    return y.permute(0, 2, 3, 1).numpy()


def test_conv2d_layer_matches_torch_with_same_padding_and_a_separate_activation(rng):
    layer = layers.Conv2D(6, 4, strides=2, padding="same", activation="tanh")
    x = rng.standard_normal((3, 9, 8, 5)).astype(np.float32)
    y = layer(x).numpy()
    kernel, bias = layer.get_weights()
    # TensorFlow's 'same': out = ceil(9/2) = 5 rows need (5-1)*2 + 4 - 9 = 3 pad rows, 1 on top and 2 below.
    want = np.tanh(torch_conv2d(x, kernel, bias, 2, (1, 2, 1, 1), 1))
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)


def test_conv1d_causal_matches_torch_and_sees_only_the_past(rng):
    layer = layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu")
    x = rng.standard_normal((2, 11, 3)).astype(np.float32)
    y = layer(x).numpy()
    kernel, bias = layer.get_weights()
    want = np.maximum(torch_conv2d(x[:, None], kernel[None], bias, 1, (0, 0, 4, 0), (1, 2))[:, 0], 0)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    changed = x.copy()
    changed[:, 7:] += 1.0  # the future does not reach earlier outputs
    np.testing.assert_array_equal(layer(changed).numpy()[:, :7], y[:, :7])


def test_pooling_layers_match_torch(rng):
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    t = torch.from_numpy(x).permute(0, 3, 1, 2)
    got = layers.MaxPooling2D(2)(x).numpy()
    np.testing.assert_array_equal(got, torch.nn.functional.max_pool2d(t, 2).permute(0, 2, 3, 1).numpy())
    got = layers.AveragePooling2D(3, strides=1)(x).numpy()
    want = torch.nn.functional.avg_pool2d(t, 3, stride=1).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layers.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))


# --- BatchNormalization --------------------------------------------------------------------------
def test_batch_norm_training_uses_batch_statistics_and_moves_the_moving_ones(rng):
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = (5.0 + 2.0 * rng.standard_normal((4, 3, 5, 6))).astype(np.float32)
    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    gamma, beta, moving_mean, moving_var = bn.get_weights()
    np.testing.assert_allclose(moving_mean, 0.1 * mean, rtol=1e-5)  # 0.9 * 0 + 0.1 * batch mean
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * var, rtol=1e-5)  # biased variance, as Keras
    # Inference: the moving statistics, and nothing moves.
    y_inf = bn(x, training=False).numpy()
    np.testing.assert_allclose(y_inf, (x - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma + beta,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(bn.get_weights()[2], moving_mean)


def test_frozen_batch_norm_runs_in_inference_mode(rng):
    bn = layers.BatchNormalization(trainable=False)
    x = (3.0 + rng.standard_normal((8, 4))).astype(np.float32)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y, x / np.sqrt(1.0 + 1e-3), rtol=1e-5)  # moving stats: mean 0, var 1
    np.testing.assert_array_equal(bn.get_weights()[2], np.zeros(4, np.float32))


def test_batch_norm_on_axis_1_and_without_center_or_scale(rng):
    bn = layers.BatchNormalization(axis=1, center=False, scale=False)
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    assert [w.name for w in bn._weights] == ["moving_mean", "moving_variance"]


# --- configs, save/load, training ----------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.Conv2D(8, (3, 5), strides=(1, 2), padding="same", activation="relu", use_bias=False,
                  kernel_initializer="he_normal", name="c"),
    layers.Conv2D(4, 3, dilation_rate=2),
    layers.Conv1D(3, 2, padding="causal"),
    layers.MaxPooling2D((2, 3), strides=1, padding="same"),
    layers.AveragePooling2D(),
    layers.MaxPooling1D(4),
    layers.AveragePooling1D(2, strides=1),
    layers.GlobalAveragePooling2D(keepdims=True),
    layers.GlobalMaxPooling2D(),
    layers.GlobalAveragePooling1D(),
    layers.GlobalMaxPooling1D(),
    layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False),
], ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trips(layer):
    config = layer.get_config()
    json.dumps(config)
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


def bn_cnn():
    return models.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(8, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.2, seed=1),
        layers.Dense(10, activation="softmax"),
    ])


def digits():
    (x_tr, y_tr), (x_te, y_te) = ironnet.datasets.digits.load_data()
    return (x_tr.reshape(-1, 8, 8, 1) / np.float32(16), y_tr), (x_te.reshape(-1, 8, 8, 1) / np.float32(16), y_te)


def test_cnn_with_batch_norm_learns_digits_and_reloads_identically(tmp_path):
    pytest.importorskip("sklearn")
    ironnet.set_random_seed(0)
    (x_tr, y_tr), (x_te, y_te) = digits()
    model = bn_cnn()
    model.compile(optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_tr, y_tr, epochs=8, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    _, accuracy = model.evaluate(x_te, y_te, verbose=0)
    assert accuracy >= 0.9, accuracy
    path = str(tmp_path / "cnn.ironnet")
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x_te), model.predict(x_te))  # BN moving stats saved too


# --- errors --------------------------------------------------------------------------------------
def test_conv_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"conv_big: the kernel \(5, 5\) \(dilation \(1, 1\)\) is larger than the "
                                         r"input \(None, 3, 3, 1\)"):
        layers.Conv2D(4, 5, name="conv_big")(layers.Input((3, 3, 1)))
    with pytest.raises(ValueError, match=r"conv_rank: expects inputs of rank 4 \(batch, height, width, channels\), "
                                         r"got shape \(None, 10\)"):
        layers.Conv2D(4, 3, name="conv_rank")(layers.Input((10,)))
    conv = layers.Conv2D(4, 3, name="conv_ch")
    conv(np.zeros((1, 5, 5, 2), np.float32))
    with pytest.raises(ValueError, match=r"conv_ch: inputs \(1, 5, 5, 3\) have 3 channels, the layer was built for 2"):
        conv(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"Conv2D: data_format must be 'channels_last'"):
        layers.Conv2D(4, 3, data_format="channels_first")
    with pytest.raises(ValueError, match=r"Conv2D: strides > 1 cannot be combined with dilation_rate > 1"):
        layers.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"Conv2D: kernel_size must be an int or a tuple of 2 ints, got \(3, 3, 3\)"):
        layers.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match=r"Conv1D: padding must be one of 'valid', 'same', 'causal', got 'full'"):
        layers.Conv1D(4, 3, padding="full")
    with pytest.raises(ValueError, match=r"Conv2D: filters must be a positive integer, got 0"):
        layers.Conv2D(0, 3)


def test_pooling_and_batch_norm_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"pool_big: the pool \(4, 4\) is larger than the input \(None, 3, 3, 2\)"):
        layers.MaxPooling2D(4, name="pool_big")(layers.Input((3, 3, 2)))
    with pytest.raises(ValueError, match=r"gap: expects inputs of rank 4 \(batch, height, width, channels\), "
                                         r"got shape \(None, 3, 2\)"):
        layers.GlobalAveragePooling2D(name="gap")(layers.Input((3, 2)))
    with pytest.raises(ValueError, match=r"MaxPooling2D: pool_size must be positive, got 0"):
        layers.MaxPooling2D(0)
    with pytest.raises(ValueError, match=r"bn_axis: axis 3 is not a feature axis of inputs of shape \(None, 4, 5\)"):
        layers.BatchNormalization(axis=3, name="bn_axis")(layers.Input((4, 5)))
    bn = layers.BatchNormalization(name="bn_feat")
    bn(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"bn_feat: inputs \(2, 5\) do not have 4 features on axis -1"):
        bn(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"BatchNormalization: momentum must be in \[0, 1\], got 1.5"):
        layers.BatchNormalization(momentum=1.5)
