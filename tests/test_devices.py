"""Moving models between devices (Layer.to, Model.to, fit/evaluate/predict(device=...)): what can be
checked without a GPU. The GPU side is in test_cuda_training.py."""
import numpy as np
import pytest

import ironnet
from ironnet import devices, layers, models, optimizers


def small_model(seed=0):
    ironnet.set_random_seed(seed)
    model = models.Sequential([
        layers.Dense(8, activation="relu", input_shape=(5,)),
        layers.BatchNormalization(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)


NO_GPU = not ironnet.cuda.is_available()


@pytest.mark.parametrize("bad", ["gpu", "CUDA", "cuda:", "cuda:x", "cpu:0", " cuda", ""])
def test_bad_device_strings_name_the_string(bad):
    model = small_model()
    with pytest.raises(ValueError, match=f"sequential.*.to: unknown device {bad!r}: expected 'cpu', 'cuda'"):
        model.to(bad)
    with pytest.raises(ValueError, match=f"dense.*.to: unknown device {bad!r}"):
        model.layers[0].to(bad)
    assert model.device == "cpu"


@pytest.mark.parametrize("bad", [None, 0, ("cuda",)])
def test_a_device_must_be_a_string(bad):
    with pytest.raises(TypeError, match="device must be a string such as 'cpu' or 'cuda', got"):
        small_model().to(bad)


def test_fit_with_a_bad_device_changes_nothing():
    model = small_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        model.fit(*data(), epochs=1, verbose=0, device="tpu")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not NO_GPU, reason="a CUDA device is present")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_a_gpu_is_a_clear_runtime_error(device):
    # The same exception type Tensor.to raises there (a RuntimeError naming the reason).
    reason = "ironnet was built without CUDA" if not ironnet.cuda.is_compiled() else "is not available \\(0 CUDA"
    model = small_model()
    with pytest.raises(RuntimeError, match=f"sequential.*.to: device '{device}'.*{reason}"):
        model.to(device)
    with pytest.raises(RuntimeError, match=reason):
        model.fit(*data(), epochs=1, verbose=0, device=device)
    with pytest.raises(RuntimeError, match=reason):
        ironnet.zeros(3).to(device)
    assert model.device == "cpu"
    assert all(w.device == "cpu" for w in model.weights)


def test_canonical_names():
    assert devices.canonical("cpu", "x") == "cpu"
    if ironnet.cuda.is_available():
        assert devices.canonical("cuda:0", "x") == "cuda" == devices.canonical("cuda", "x")


def test_to_cpu_keeps_the_same_tensors_and_values():
    model = small_model()
    model.fit(*data(), epochs=1, verbose=0)  # builds everything and moves the BN statistics
    tensors = list(model.weights)
    values = model.get_weights()
    assert model.to("cpu") is model
    assert model.device == "cpu" and all(layer.device == "cpu" for layer in model.layers)
    assert all(a is b for a, b in zip(model.weights, tensors))
    for a, b in zip(values, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    dense = model.layers[0]
    assert dense.to("cpu") is dense and dense.kernel is tensors[0]


def test_to_keeps_the_optimizer_state_with_its_weights():
    model = small_model()
    model.fit(*data(), epochs=1, verbose=0)
    state = {id(w): (w, buffers) for w, buffers in model.optimizer._state.values()}
    snapshot = {key: [b.numpy().copy() for b in buffers] for key, (_, buffers) in state.items()}
    model.to("cpu")
    assert len(state) == len(model.trainable_weights)
    for key, (weight, buffers) in state.items():
        w_now, b_now = model.optimizer._state[key]
        assert w_now is weight and all(a is b for a, b in zip(b_now, buffers))
        assert all(b.device == weight.device for b in b_now)
        for a, b in zip(snapshot[key], b_now):
            np.testing.assert_array_equal(a, b.numpy())


def test_fit_and_evaluate_on_cpu_by_name_equal_the_default():
    x, y = data()
    histories, scores = [], []
    for device in (None, "cpu"):
        model = small_model()
        histories.append(model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                                   device=device).history)
        scores.append(model.evaluate(x, y, verbose=0, device=device))
    assert histories[0] == histories[1]
    assert scores[0] == scores[1]


def test_predict_on_cpu_by_name():
    x, _ = data()
    model = small_model()
    np.testing.assert_array_equal(model.predict(x, device="cpu"), model.predict(x))


def test_layers_built_later_start_on_the_models_device():
    ironnet.set_random_seed(0)
    model = models.Sequential([layers.Dense(4), layers.Dense(2)])
    model.to("cpu")
    assert not model.layers[0].built
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    assert all(w.device == "cpu" for w in model.weights)
    added = layers.Dense(1)
    model.add(added)
    assert added.device == model.device


def test_stateful_states_move_with_the_layer():
    ironnet.set_random_seed(0)
    lstm = layers.LSTM(3, stateful=True)
    lstm(np.ones((2, 4, 5), np.float32))
    before = lstm.states
    assert lstm.to("cpu") is lstm
    for a, b in zip(before, lstm.states):
        np.testing.assert_array_equal(a, b)


def test_wrappers_move_their_inner_layers():
    inner = layers.GRU(2)
    wrapped = layers.Bidirectional(inner)
    distributed = layers.TimeDistributed(layers.Dense(2))
    assert inner in wrapped._sublayers() and distributed.layer in distributed._sublayers()
    wrapped.to("cpu")
    assert wrapped.forward_layer.device == wrapped.backward_layer.device == "cpu"


def test_load_model_onto_a_device(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.ironnet")
    loaded = models.load_model(tmp_path / "m.ironnet", device="cpu")
    assert loaded.device == "cpu"
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))

