"""Saving and loading: layer/model configs, model.save/load_model, save_weights/load_weights, atomic
writes, damaged files, ModelCheckpoint and CSVLogger."""
import csv
import json
import os
import zipfile

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import ironnet
from ironnet import callbacks, layers, models, optimizers
from ironnet.models import saving


def make_model(dropout=True):
    stack = [layers.Input((3, 4)), layers.Flatten(), layers.Dense(7, activation="relu", name="hidden")]
    if dropout:
        stack.append(layers.Dropout(0.25, seed=3))
    stack += [layers.Dense(5, use_bias=False, name="out"), layers.Activation("softmax", name="probs")]
    return models.Sequential(stack, name="net")


def data(rng, n=23):
    return rng.standard_normal((n, 3, 4)).astype(np.float32), rng.integers(0, 5, n)


def temp_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


# --- configs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.Dense(4, activation="tanh", use_bias=False, kernel_initializer="he_normal", name="d", trainable=False),
    layers.Activation("sigmoid"),
    layers.Flatten(name="f"),
    layers.Dropout(0.5, seed=7),
    layers.InputLayer((2, 3), name="inp"),
], ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trips(layer):
    config = layer.get_config()
    json.dumps(config)  # JSON types only
    clone = type(layer).from_config(config)
    assert type(clone) is type(layer) and clone.get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


def test_deserialize_rejects_unknown_classes():
    with pytest.raises(ValueError, match="unknown layer class 'NoSuchLayer'"):
        layers.deserialize({"class_name": "NoSuchLayer", "config": {}})
    with pytest.raises(ValueError, match=r"layers.deserialize: the config of Conv2D does not fit its constructor.*"
                                         r"missing 2 required positional arguments: 'filters' and 'kernel_size'"):
        layers.deserialize({"class_name": "Conv2D", "config": {}})
    with pytest.raises(ValueError, match="class_name"):
        layers.deserialize({"config": {}})


def test_sequential_config_round_trips():
    model = make_model()
    config = model.get_config()
    assert config["input_shape"] == [3, 4] and [s["class_name"] for s in config["layers"]] == [
        "Flatten", "Dense", "Dropout", "Dense", "Activation"]
    clone = models.Sequential.from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_sequential_config_of_a_model_built_by_input_shape():
    model = models.Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2)])
    assert model.get_config()["input_shape"] == [5]
    assert models.Sequential.from_config(model.get_config()).count_params() == model.count_params()


# --- whole models ------------------------------------------------------------------------------------
def test_save_and_load_model_round_trip(tmp_path, rng):
    ironnet.set_random_seed(0)
    model = make_model()
    model.compile(optimizers.SGD(0.05, momentum=0.5, nesterov=True, clipnorm=2.0), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = data(rng)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "model.ironnet"
    model.save(path)
    assert temp_files(tmp_path) == []

    loaded = models.load_model(path)
    assert isinstance(loaded, models.Sequential) and loaded.name == "net"
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))  # bitwise

    assert type(loaded.optimizer) is optimizers.SGD
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert type(loaded.loss) is type(model.loss) and loaded.loss.get_config() == model.loss.get_config()
    assert [name for name, _ in loaded._metrics] == ["accuracy"]
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    # training goes on from the loaded weights
    before = loaded.evaluate(x, y, verbose=0)[0]
    history = loaded.fit(x, y, epochs=5, batch_size=23, verbose=0)
    assert history.history["loss"][-1] < before


def test_saved_file_layout(tmp_path):
    model = make_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "m.ironnet"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "model.weights.safetensors"]
        config = json.loads(archive.read("config.json"))
        (tmp_path / "w.safetensors").write_bytes(archive.read("model.weights.safetensors"))
    assert config["format"] == "ironnet" and config["version"] == 1 and config["class_name"] == "Sequential"
    assert config["compile"]["optimizer"]["class_name"] == "Adam"
    assert config["compile"]["loss"]["class_name"] == "SparseCategoricalCrossentropy"
    assert config["compile"]["metrics"] == ["accuracy"]
    tensors = load_file(str(tmp_path / "w.safetensors"))
    assert sorted(tensors) == ["hidden/bias", "hidden/kernel", "out/kernel"]
    assert all(t.dtype == np.float32 for t in tensors.values())
    # equal models give equal files (no time stamps, no hash-map order in the safetensors metadata)
    for _ in range(4):
        model.save(tmp_path / "again.ironnet")
        assert (tmp_path / "again.ironnet").read_bytes() == path.read_bytes()


def test_schedule_and_adamw_are_restored(tmp_path):
    model = make_model(dropout=False)
    schedule = optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    model.compile(optimizers.AdamW(schedule, weight_decay=0.01, beta_1=0.8), "categorical_crossentropy")
    model.save(tmp_path / "m.ironnet")
    loaded = models.load_model(tmp_path / "m.ironnet")
    assert type(loaded.optimizer) is optimizers.AdamW
    assert isinstance(loaded.optimizer._learning_rate, optimizers.schedules.PiecewiseConstantDecay)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


def test_uncompiled_model_and_compile_false(tmp_path, rng):
    model = make_model()
    model.save(tmp_path / "plain.ironnet")
    loaded = models.load_model(tmp_path / "plain.ironnet")
    assert loaded.optimizer is None and loaded.loss is None
    x, _ = data(rng)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))

    model.compile("rmsprop", "sparse_categorical_crossentropy")
    model.save(tmp_path / "compiled.ironnet")
    assert models.load_model(tmp_path / "compiled.ironnet", compile=False).optimizer is None


def test_a_callable_loss_saves_the_model_uncompiled(tmp_path):
    model = make_model()
    model.compile("sgd", lambda y_true, y_pred: ironnet.losses.mse(y_true, y_pred))
    model.save(tmp_path / "m.ironnet")
    assert models.load_model(tmp_path / "m.ironnet").optimizer is None


def test_unbuilt_model_cannot_be_saved(tmp_path):
    model = models.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match=r"save: the model is not built"):
        model.save(tmp_path / "m.ironnet")
    with pytest.raises(ValueError, match=r"save_weights: the model is not built"):
        model.save_weights(tmp_path / "w.safetensors")
    assert os.listdir(tmp_path) == []
    make_model().save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"load_weights: the model is not built"):
        model.load_weights(tmp_path / "w.safetensors")


# --- weights only ---------------------------------------------------------------------------------------
def test_save_and_load_weights(tmp_path, rng):
    model, other = make_model(), make_model()
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    assert sorted(load_file(str(path))) == ["hidden/bias", "hidden/kernel", "out/kernel"]
    x, _ = data(rng)
    assert not np.array_equal(other.predict(x), model.predict(x))
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    # a whole-model file's weights load too
    model.save(tmp_path / "m.ironnet")
    third = make_model()
    third.load_weights(tmp_path / "m.ironnet")
    np.testing.assert_array_equal(third.predict(x), model.predict(x))


def test_load_weights_names_every_mismatch(tmp_path):
    model = make_model()
    good = load_file(str(_saved_weights(model, tmp_path)))
    before = model.get_weights()

    cases = {
        "missing": ({k: v for k, v in good.items() if k != "hidden/bias"}, r"missing weights \['hidden/bias'\]"),
        "extra": ({**good, "ghost/kernel": np.zeros(2, np.float32)}, r"unexpected weights \['ghost/kernel'\]"),
        "shape": ({**good, "out/kernel": np.zeros((7, 4), np.float32)},
                  r"mismatched weights \[out/kernel: file float32\[7, 4\], model float32\[7, 5\]"),
        "dtype": ({**good, "hidden/bias": good["hidden/bias"].astype(np.float64)},
                  r"hidden/bias: file float64\[7\], model float32\[7\]"),
    }
    for name, (tensors, message) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        save_file(tensors, str(path))
        with pytest.raises(ValueError, match=message) as info:
            model.load_weights(path)
        assert str(path) in str(info.value)
        for a, b in zip(before, model.get_weights()):  # nothing changed
            np.testing.assert_array_equal(a, b)


def test_load_weights_into_a_different_architecture(tmp_path):
    path = _saved_weights(make_model(), tmp_path)
    other = models.Sequential([layers.Input((3, 4)), layers.Flatten(), layers.Dense(7, name="hidden"), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"missing weights \['dense_\d+/kernel', 'dense_\d+/bias'\]"):
        other.load_weights(path)


def _saved_weights(model, folder):
    path = folder / "good.safetensors"
    model.save_weights(path)
    return path


# --- atomic writes ----------------------------------------------------------------------------------
class Boom(RuntimeError):
    pass


def test_a_failed_model_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.ironnet"
    make_model().save(path)
    old = path.read_bytes()

    def fail_midway(archive, name, data):
        archive.fp.write(data[: len(data) // 2])  # half of the weights reach the temporary file
        raise Boom("disk on fire")

    monkeypatch.setattr(saving, "_write_member", fail_midway)
    with pytest.raises(Boom):
        make_model().save(path)
    assert path.read_bytes() == old
    assert temp_files(tmp_path) == [] and os.listdir(tmp_path) == ["m.ironnet"]


def test_a_failed_weights_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    model = make_model()
    model.save_weights(path)
    old = path.read_bytes()
    real = saving.weights_to_bytes

    def write_then_fail(f):
        f.write(real(model)[:100])
        raise Boom("interrupted")

    monkeypatch.setattr(saving, "atomic_write", lambda p, write, _real=saving.atomic_write: _real(p, write_then_fail))
    with pytest.raises(Boom):
        model.save_weights(path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["w.safetensors"]


def test_atomic_write_replaces_whole_files_and_keeps_the_mode(tmp_path):
    path = tmp_path / "f.bin"
    saving.atomic_write(path, lambda f: f.write(b"first"))
    os.chmod(path, 0o640)
    saving.atomic_write(path, lambda f: f.write(b"second"))
    assert path.read_bytes() == b"second" and (os.stat(path).st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["f.bin"]


# --- damaged files -------------------------------------------------------------------------------------
def _damaged_variants(good: bytes):
    flipped_data = bytearray(good)
    for i in range(len(good) // 2, len(good) // 2 + 8):  # inside the stored weights
        flipped_data[i] ^= 0xFF
    flipped_start = bytearray(good)  # the first member's name and data (zip) or the header (safetensors)
    flipped_start[30:60] = bytes(b ^ 0x5A for b in flipped_start[30:60])
    return {
        "empty": b"",
        "truncated_half": good[: len(good) // 2],
        "truncated_tail": good[:-10],
        "flipped_data": bytes(flipped_data),
        "flipped_start": bytes(flipped_start),
        "wrong_magic": b"XXXX" + good[4:],
        "text": b"hello, I am a plain text file\n",
    }


def test_damaged_model_files_raise_value_error_naming_the_path(tmp_path):
    model = make_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    good_path = tmp_path / "good.ironnet"
    model.save(good_path)
    for name, data in _damaged_variants(good_path.read_bytes()).items():
        path = tmp_path / f"{name}.ironnet"
        path.write_bytes(data)
        with pytest.raises(ValueError) as info:
            models.load_model(path)
        assert str(path) in str(info.value), (name, info.value)


def test_damaged_weight_files_raise_value_error_naming_the_path(tmp_path):
    model = make_model()
    good = _saved_weights(model, tmp_path).read_bytes()
    for name, data in _damaged_variants(good).items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(data)
        with pytest.raises(ValueError) as info:
            model.load_weights(path)
        assert str(path) in str(info.value), (name, info.value)


def test_model_files_with_a_wrong_format_or_version(tmp_path):
    path = tmp_path / "m.ironnet"
    make_model().save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.safetensors")
    for name, change, message in [
        ("format", {"format": "keras"}, "not an ironnet model file"),
        ("version", {"version": 99}, "version 99 is not supported"),
        ("layer", {"config": {**config["config"], "layers": [{"class_name": "Nope", "config": {}}]}},
         "unknown layer class 'Nope'"),
    ]:
        bad = tmp_path / f"{name}.ironnet"
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("config.json", json.dumps({**config, **change}))
            archive.writestr("model.weights.safetensors", weights)
        with pytest.raises(ValueError, match=message):
            models.load_model(bad)
    with zipfile.ZipFile(tmp_path / "no_weights.ironnet", "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    with pytest.raises(ValueError, match="damaged"):
        models.load_model(tmp_path / "no_weights.ironnet")
    with pytest.raises(FileNotFoundError):
        models.load_model(tmp_path / "absent.ironnet")


# --- callbacks -----------------------------------------------------------------------------------------
def compiled(seed=0):
    ironnet.set_random_seed(seed)
    model = make_model()
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_model_checkpoint_every_epoch_with_formatted_names(tmp_path, rng):
    x, y = data(rng, 40)
    model = compiled()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.ironnet")
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[callbacks.ModelCheckpoint(pattern)])
    expected = sorted(f"ckpt-{e + 1:02d}-{v:.2f}.ironnet" for e, v in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path)) == expected
    last = models.load_model(tmp_path / expected[-1])  # the last epoch's checkpoint is the final model
    np.testing.assert_array_equal(last.predict(x), model.predict(x))


def test_model_checkpoint_save_best_only(tmp_path, monkeypatch):
    model = compiled()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "best-{epoch}.safetensors"), monitor="val_loss",
                                           save_best_only=True, save_weights_only=True)
    checkpoint.set_model(model)
    saved = []
    monkeypatch.setattr(model, "save_weights", lambda path: saved.append(os.path.basename(path)))
    checkpoint.on_train_begin()
    for epoch, val_loss in enumerate([0.9, 0.7, 0.8, 0.7, 0.5, 0.6]):
        checkpoint.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val_loss})
    assert saved == ["best-1.safetensors", "best-2.safetensors", "best-5.safetensors"]

    maximize = callbacks.ModelCheckpoint(str(tmp_path / "acc-{epoch}"), monitor="val_accuracy", save_best_only=True,
                                         save_weights_only=True)
    maximize.set_model(model)
    saved.clear()
    maximize.on_train_begin()
    for epoch, acc in enumerate([0.5, 0.4, 0.6, 0.6]):
        maximize.on_epoch_end(epoch, {"val_accuracy": acc})
    assert saved == ["acc-1", "acc-3"]


def test_model_checkpoint_best_only_writes_real_files(tmp_path, rng):
    x, y = data(rng, 40)
    model = compiled()
    path = tmp_path / "best.ironnet"
    model.fit(x, y, epochs=4, batch_size=8, validation_split=0.25, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(str(path), save_best_only=True)])
    assert os.listdir(tmp_path) == ["best.ironnet"]
    assert models.load_model(path).optimizer is not None


def test_model_checkpoint_errors(tmp_path):
    model = compiled()
    for checkpoint, message in [
        (callbacks.ModelCheckpoint(str(tmp_path / "{nope}.ironnet")), "cannot fill filepath"),
        (callbacks.ModelCheckpoint(str(tmp_path / "m.ironnet"), monitor="val_auc", save_best_only=True),
         "monitor 'val_auc' is not among"),
    ]:
        checkpoint.set_model(model)
        checkpoint.on_train_begin()
        with pytest.raises(ValueError, match=message):
            checkpoint.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="mode must be"):
        callbacks.ModelCheckpoint("x", mode="best")


def test_csv_logger(tmp_path, rng):
    x, y = data(rng, 40)
    model = compiled()
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[callbacks.CSVLogger(str(path))])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for i, row in enumerate(rows[1:]):
        for key, value in zip(rows[0][1:], row[1:]):
            assert float(value) == history.history[key][i]

    # append adds rows without a second header; a custom separator
    model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0,
              callbacks=[callbacks.CSVLogger(str(path), append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 6 and rows[0][0] == "epoch" and [r[0] for r in rows[1:]] == ["0", "1", "2", "0", "1"]
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[callbacks.CSVLogger(str(path), separator=";")])
    assert path.read_text().splitlines() == ["epoch;accuracy;loss", path.read_text().splitlines()[1]]


def test_csv_logger_flushes_each_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(str(path))
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5})
    assert path.read_text().splitlines() == ["epoch,loss", "0,0.5"]  # readable before training ends
    logger.on_epoch_end(1, {"loss": 0.25})
    assert path.read_text().splitlines()[-1] == "1,0.25"
    logger.on_train_end()
