"""End-to-end training on the GPU against the same run on the CPU (the oracle): an MLP and a small CNN
on scikit-learn's digits, Embedding -> LSTM/GRU classifiers and a masked GRU tagger on token
sequences; plus the device plumbing only a GPU can show (weights, states and optimizer slots really
moving, save/load, model.to after compile).

Every run starts from the same seed, so both devices start from the same weights (initialized on the
host, then moved), draw the same shuffles and dropout seeds, and differ only by float32 rounding (GEMM
and reduction order). Tolerance: per-epoch losses within 1e-3 relative. A single step agrees to
~1e-6 relative (the op parity tests' 1e-4 bound is for the worst element; a loss averages
thousands); over the few hundred Adam/SGD steps here rounding differences grow but stay within 1e-3
on these small, well-conditioned models. Accuracies may flip a borderline sample, so they get 2 samples'
worth of slack.
"""
from __future__ import annotations

from typing import Callable, Dict, List

import numpy as np
import pytest

import ironnet
from ironnet import devices, layers, models, optimizers
from ironnet.datasets import digits

pytestmark = pytest.mark.cuda

GPU = "cuda"
LOSS_RTOL = 1e-3


# --- data ---------------------------------------------------------------------------------------------
def digits_data(images: bool):
    """The digits training split: (N, 64) rows or (N, 8, 8, 1) images in [0, 1], and int64 labels."""
    (x, y), _ = digits.load_data()
    x = x.astype(np.float32) / 16.0
    return (x.reshape(-1, 8, 8, 1) if images else x.reshape(-1, 64)), y.astype(np.int64)


def token_data(n: int = 256, steps: int = 12, vocab: int = 20):
    """Zero-padded token sequences (lengths 3..steps, padding at the end) with two labels: per
    sequence, whether token 1 occurs more often than token 2; per step, the token modulo 3 (-1 where
    padded: those steps are left out of the loss)."""
    rng = np.random.default_rng(7)
    ids = rng.integers(1, vocab, size=(n, steps))
    lengths = rng.integers(3, steps + 1, size=n)
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    per_sequence = ((ids == 1).sum(1) > (ids == 2).sum(1)).astype(np.int64)
    per_step = np.where(ids != 0, ids % 3, 0).astype(np.int64)
    return ids.astype(np.int64), per_sequence, per_step


# --- models (each built from a fixed seed) -------------------------------------------------------------
def mlp() -> models.Model:
    model = models.Sequential([
        layers.Dense(32, activation="relu", input_shape=(64,)),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn() -> models.Model:
    model = models.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def rnn_classifier(cell: type) -> Callable[[], models.Model]:
    def build() -> models.Model:
        model = models.Sequential([
            layers.Input((12,)),
            layers.Embedding(20, 8, mask_zero=True),
            cell(16),
            layers.Dense(2, activation="softmax"),
        ])
        model.compile(optimizers.RMSprop(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    build.__name__ = f"{cell.__name__.lower()}_classifier"
    return build


def masked_tagger() -> models.Model:
    """Per-step labels through Embedding(mask_zero) -> GRU(return_sequences) -> TimeDistributed: the
    padded steps leave the loss through the step mask (a gather on the device)."""
    model = models.Sequential([
        layers.Input((12,)),
        layers.Embedding(20, 8, mask_zero=True),
        layers.GRU(12, return_sequences=True),
        layers.TimeDistributed(layers.Dense(3, activation="softmax")),
    ])
    model.compile(optimizers.Adam(5e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build(make: Callable[[], models.Model], seed: int = 0) -> models.Model:
    ironnet.set_random_seed(seed)
    return make()


def history_on(make: Callable[[], models.Model], x, y, device: str, epochs: int = 4,
               batch_size: int = 64) -> Dict[str, List[float]]:
    """The History of a fixed-seed fit on `device` (with a validation split, so evaluate runs there too)."""
    model = build(make)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_split=0.2, verbose=0,
                        device=device).history
    assert model.device == device
    assert all(w.device == device for w in model.weights)
    return history


def assert_histories_match(cpu: Dict[str, List[float]], gpu: Dict[str, List[float]], samples: int) -> None:
    assert cpu.keys() == gpu.keys()
    for key in cpu:
        if "loss" in key:
            np.testing.assert_allclose(gpu[key], cpu[key], rtol=LOSS_RTOL, err_msg=key)
        else:  # accuracies: a borderline sample may flip
            np.testing.assert_allclose(gpu[key], cpu[key], atol=2.0 / samples + 1e-9, err_msg=key)
    assert cpu["loss"][-1] < cpu["loss"][0]  # it learns, so the curves compared are not flat


CASES = {
    "mlp": (mlp, lambda: digits_data(images=False)),
    "cnn": (cnn, lambda: digits_data(images=True)),
    "lstm": (rnn_classifier(layers.LSTM), lambda: token_data()[:2]),
    "gru": (rnn_classifier(layers.GRU), lambda: token_data()[:2]),
    "masked_tagger": (masked_tagger, lambda: token_data()[::2]),
}


# --- loss curves -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", list(CASES))
def test_gpu_loss_curve_matches_cpu(case):
    make, data = CASES[case]
    x, y = data()
    cpu = history_on(make, x, y, "cpu")
    gpu = history_on(make, x, y, GPU)
    assert_histories_match(cpu, gpu, samples=int(len(x) * 0.2))


def test_integer_pixels_and_labels_train_on_the_gpu():
    """uint8 pixels are converted to float32 by the first layer; int32 labels keep their dtype."""
    (x, y), _ = digits.load_data()
    x, y32 = x.reshape(-1, 64), y.astype(np.int32)
    histories = [history_on(mlp, x, y32, device, epochs=2) for device in ("cpu", GPU)]
    assert_histories_match(*histories, samples=int(len(x) * 0.2))


def test_callbacks_work_on_the_gpu(tmp_path):
    """Callbacks read and write the weights of a GPU model through the host (get/set_weights, save)."""
    x, y = digits_data(images=False)
    logs = {}
    for device in ("cpu", GPU):
        model = build(mlp)
        stop = ironnet.callbacks.EarlyStopping(monitor="val_loss", patience=0, restore_best_weights=True)
        checkpoint = ironnet.callbacks.ModelCheckpoint(tmp_path / f"{device}.safetensors", save_weights_only=True)
        history = model.fit(x, y, epochs=6, batch_size=32, validation_split=0.2, verbose=0, device=device,
                            callbacks=[stop, checkpoint, ironnet.callbacks.CSVLogger(tmp_path / f"{device}.csv")])
        assert all(w.device == device for w in model.weights)  # restore_best_weights wrote them in place
        best = int(np.argmin(history.history["val_loss"]))
        logs[device] = (history.history, best, model.evaluate(x, y, verbose=0))
    (cpu, cpu_best, cpu_eval), (gpu, gpu_best, gpu_eval) = logs["cpu"], logs[GPU]
    assert cpu_best == gpu_best and len(cpu["loss"]) == len(gpu["loss"])
    np.testing.assert_allclose(gpu["val_loss"], cpu["val_loss"], rtol=LOSS_RTOL)
    np.testing.assert_allclose(gpu_eval, cpu_eval, rtol=LOSS_RTOL)
    assert (tmp_path / f"{GPU}.safetensors").stat().st_size > 0


# --- moving a model ----------------------------------------------------------------------------------
def test_to_cuda_after_compile_moves_weights_state_and_optimizer_slots():
    x, y = digits_data(images=True)

    def trained_on_cpu() -> models.Model:  # slots and BN statistics exist, on the CPU
        model = build(cnn)
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
        return model

    model, twin = trained_on_cpu(), trained_on_cpu()
    weights = list(model.weights)
    slots = {id(w): buffers for w, buffers in model.optimizer._state.values()}
    moving_mean = model.layers[1].moving_mean
    assert model.to(GPU) is model and model.device == GPU
    assert all(a is b for a, b in zip(model.weights, weights)) and model.layers[1].moving_mean is moving_mean
    assert all(w.device == GPU for w in model.weights)
    for w, buffers in model.optimizer._state.values():
        assert all(a is b for a, b in zip(buffers, slots[id(w)]))
        assert all(b.device == GPU for b in buffers)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_array_equal(a, b)  # the copy is exact
    # Training goes on from the same state on both devices.
    ironnet.set_random_seed(1)
    gpu = model.fit(x, y, epochs=2, batch_size=64, verbose=0).history
    ironnet.set_random_seed(1)
    cpu = twin.fit(x, y, epochs=2, batch_size=64, verbose=0).history
    np.testing.assert_allclose(gpu["loss"], cpu["loss"], rtol=LOSS_RTOL)
    # And back: the same objects again, on the host.
    model.to("cpu")
    assert all(w.device == "cpu" for w in model.weights)
    assert all(b.device == "cpu" for _, buffers in model.optimizer._state.values() for b in buffers)


def test_stateful_rnn_states_move_and_carry_on():
    ironnet.set_random_seed(0)
    rng = np.random.default_rng(0)
    windows = rng.normal(size=(3, 2, 5, 4)).astype(np.float32)  # 3 consecutive windows of a batch of 2
    outputs = {}
    for device in ("cpu", GPU):
        ironnet.set_random_seed(0)
        model = models.Sequential([layers.Input((5, 4)), layers.LSTM(6, stateful=True), layers.Dense(2)])
        model(windows[0])  # states now exist on the CPU
        model.to(device)
        lstm = model.layers[0]
        assert all(s.device == device for s in lstm._states)
        outputs[device] = [ironnet.devices.to_host(model(w)) for w in windows[1:]]
        assert all(s.device == device for s in lstm._states)
    for c, g in zip(outputs["cpu"], outputs[GPU]):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


def test_predict_and_evaluate_take_a_device():
    x, y = digits_data(images=False)
    model = build(mlp)
    model.fit(x, y, epochs=1, verbose=0)
    cpu_pred, cpu_eval = model.predict(x), model.evaluate(x, y, verbose=0)
    gpu_pred = model.predict(x, device=GPU)
    assert model.device == GPU and isinstance(gpu_pred, np.ndarray)
    np.testing.assert_allclose(gpu_pred, cpu_pred, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), cpu_eval, rtol=1e-4)


# --- saving ------------------------------------------------------------------------------------------
def test_save_from_the_gpu_and_load_back_onto_it(tmp_path):
    x, y = digits_data(images=True)
    model = build(cnn)
    model.fit(x, y, epochs=1, batch_size=64, verbose=0, device=GPU)
    expected = model.predict(x)
    model.save(tmp_path / "cnn.ironnet")
    model.save_weights(tmp_path / "cnn.safetensors")
    on_gpu = models.load_model(tmp_path / "cnn.ironnet", device=GPU)
    assert on_gpu.device == GPU and all(w.device == GPU for w in on_gpu.weights)
    np.testing.assert_array_equal(on_gpu.predict(x), expected)  # same weights, same device: same kernels
    on_cpu = models.load_model(tmp_path / "cnn.ironnet")
    np.testing.assert_allclose(on_cpu.predict(x), expected, rtol=1e-4, atol=1e-6)
    # set_weights and load_weights write into a GPU model's tensors where they are.
    tensors = list(on_gpu.weights)
    on_gpu.set_weights([np.zeros_like(w) for w in on_gpu.get_weights()])
    assert not any(np.any(w) for w in on_gpu.get_weights())
    on_gpu.load_weights(tmp_path / "cnn.safetensors")
    assert all(a is b and a.device == GPU for a, b in zip(on_gpu.weights, tensors))
    np.testing.assert_array_equal(on_gpu.predict(x), expected)
    for a, b in zip(on_gpu.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_convert_reads_and_writes_a_gpu_model():
    ironnet.set_random_seed(0)
    model = models.Sequential([layers.Input((5, 3)), layers.GRU(4, return_sequences=True), layers.GRU(4)])
    on_cpu = ironnet.convert.to_torch(model.layers)
    on_gpu = ironnet.convert.to_torch(model.to(GPU).layers)
    assert on_cpu.keys() == on_gpu.keys()
    for key in on_cpu:
        np.testing.assert_array_equal(on_gpu[key], on_cpu[key])
    ironnet.set_random_seed(1)
    other = models.Sequential([layers.Input((5, 3)), layers.GRU(4, return_sequences=True), layers.GRU(4)]).to(GPU)
    ironnet.convert.from_torch(other.layers, on_cpu)
    assert all(w.device == GPU for w in other.weights)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# --- host crossings ----------------------------------------------------------------------------------
def test_numpy_of_a_gpu_tensor_says_to_copy_first():
    t = ironnet.zeros((2, 3), device=GPU)
    with pytest.raises(TypeError, match=r"Tensor on cuda cannot be viewed as a NumPy array; call \.cpu\(\) first"):
        t.numpy()
    np.testing.assert_array_equal(ironnet.devices.to_host(t), np.zeros((2, 3), np.float32))


def test_batch_norm_inference_gradient_on_the_gpu():
    """BatchNormInference computes 1 / sqrt(moving_variance + eps) on the host: its copy must come
    back to the input's device."""
    from cuda_parity import assert_grads_match

    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 5)).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 1.5, 5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    mean, variance = rng.normal(size=5).astype(np.float32), rng.uniform(0.5, 2.0, 5).astype(np.float32)

    def bn_inference(x, gamma, beta, mean, variance):
        return ironnet.ops.batch_norm(x, gamma, beta, mean, variance, training=False)

    assert_grads_match(bn_inference, [x, gamma, beta, mean, variance])


@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy", "sparse_categorical_crossentropy"])
def test_loss_gradient_with_an_upstream_scale_on_the_gpu(loss):
    """A loss used inside a bigger expression gets an upstream gradient other than 1: on the GPU the
    scale is applied on the device instead of being read back."""
    from cuda_parity import assert_grads_match

    rng = np.random.default_rng(4)
    probs = rng.uniform(0.05, 0.95, size=(7, 3)).astype(np.float32)
    target = (rng.integers(0, 3, 7) if loss.startswith("sparse") else rng.uniform(0, 1, (7, 3))).astype(
        np.int64 if loss.startswith("sparse") else np.float32)
    fn = ironnet.losses.get(loss)

    def scaled_loss(target, probs):
        return ironnet.ops.mul(fn(target, probs), 2.5)

    assert_grads_match(scaled_loss, [target, probs])


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_host_to_device_copies_through_pinned_memory_and_frees_the_source(rng, dtype):
    # The copy is asynchronous from a pinned staging copy: the caller's array may change at once.
    array = rng.integers(-50, 50, size=(257, 3)).astype(dtype)
    expected = array.copy()
    t = devices.from_host(array, "cuda", dtype=None)
    array[...] = 0
    assert t.device == "cuda" and t.dtype == ironnet.from_numpy(expected).dtype
    np.testing.assert_array_equal(devices.to_host(t), expected)
