"""Saving and loading functional models: Functional.get_config/from_config (inbound connections, merges,
shared layers, several inputs and outputs), merge-layer configs, model.save/load_model and
save_weights/load_weights on functional models."""
import json
import zipfile

import numpy as np
import pytest

import ironnet
from ironnet import layers, models, optimizers


def two_branch_model():
    """Two inputs; a Dense shared by both branches; the branches joined by a Concatenate."""
    a = layers.Input((4,), name="a")
    b = layers.Input((4,), name="b")
    shared = layers.Dense(6, activation="tanh", name="shared")
    left = layers.Dense(5, activation="relu", name="left")(shared(a))
    right = shared(b)
    right = layers.Dropout(0.2, seed=5, name="drop")(right)
    joined = layers.Concatenate(name="join")([left, right])
    out = layers.Dense(3, activation="softmax", name="probs")(joined)
    return models.Model([a, b], out, name="two_branch")


def multi_output_model():
    """One input, three outputs: two heads and a merge of them (Add, Subtract, Multiply in the graph)."""
    x = layers.Input((5,), name="x")
    h = layers.Dense(8, activation="relu", name="trunk")(x)
    p = layers.Dense(3, name="head_p")(h)
    q = layers.Dense(3, activation="sigmoid", name="head_q")(h)
    s = layers.Add(name="sum")([p, q, p])
    d = layers.Subtract(name="diff")([p, q])
    m = layers.Multiply(name="prod")([s, d])
    return models.Model(x, [p, m, q], name="multi")


def data(rng, n=19):
    return [rng.standard_normal((n, 4)).astype(np.float32) for _ in range(2)], rng.integers(0, 3, n)


# --- configs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.Add(name="plus"), layers.Subtract(), layers.Multiply(trainable=False), layers.Concatenate(axis=1, name="cat"),
], ids=lambda layer: type(layer).__name__)
def test_merge_layer_configs_round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    again = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(again) is type(layer) and again.get_config() == config


def test_functional_config_describes_the_graph():
    model = two_branch_model()
    config = model.get_config()
    json.dumps(config)  # JSON types only
    by_name = {spec["name"]: spec for spec in config["layers"]}
    assert [spec["name"] for spec in config["layers"]] == [layer.name for layer in model.layers]
    assert by_name["a"]["class_name"] == "InputLayer" and by_name["a"]["inbound_nodes"] == []
    # the shared layer: called twice, once per input
    assert by_name["shared"]["inbound_nodes"] == [[["a", 0, 0]], [["b", 0, 0]]]
    assert by_name["drop"]["inbound_nodes"] == [[["shared", 1, 0]]]
    # the merge: one call on a list of two tensors
    assert by_name["join"]["inbound_nodes"] == [[["left", 0, 0], ["drop", 0, 0]]]
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == ["probs", 0, 0]


@pytest.mark.parametrize("make", [two_branch_model, multi_output_model])
def test_functional_config_round_trips(make):
    model = make()
    config = model.get_config()
    clone = models.Functional.from_config(json.loads(json.dumps(config)))
    assert isinstance(clone, models.Functional) and clone.name == model.name
    assert clone.get_config() == config
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


def test_calls_outside_the_model_do_not_shift_node_indices():
    x = layers.Input((3,), name="x")
    dense = layers.Dense(2, name="d")
    dense(layers.Input((3,), name="elsewhere"))  # a call that belongs to no model below
    model = models.Model(x, dense(x))
    config = model.get_config()
    assert config["output_layers"] == ["d", 0, 0]
    assert models.Functional.from_config(config).get_config() == config


def test_from_config_rejects_broken_graphs():
    config = two_branch_model().get_config()
    for change, message in [
        (lambda c: c["layers"][-1].update(inbound_nodes=[[["nowhere", 0, 0]]]), "unknown layer 'nowhere'"),
        (lambda c: c["layers"][-1].update(inbound_nodes=[[["join", 3, 0]]]), "never made"),
        (lambda c: c["layers"][-1].update(inbound_nodes=[[["join", 0]]]), "tensor reference"),
        (lambda c: c["layers"][-1].update(inbound_nodes=[[["join", -1, 0]]]), "tensor reference"),
        (lambda c: c.update(output_layers=["probs", 1, 0]), "output_layers"),
        (lambda c: c["layers"][-1]["config"].update(name="renamed"), "renamed"),
    ]:
        bad = json.loads(json.dumps(config))
        change(bad)
        with pytest.raises(ValueError, match=message):
            models.Functional.from_config(bad)


# --- whole models ------------------------------------------------------------------------------------
def test_two_branch_model_round_trips(tmp_path, rng):
    ironnet.set_random_seed(0)
    model = two_branch_model()
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = data(rng)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "two.ironnet"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("config.json"))["class_name"] == "Functional"

    loaded = models.load_model(path)
    assert isinstance(loaded, models.Functional) and loaded.name == "two_branch"
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))  # bitwise

    assert type(loaded.optimizer) is optimizers.Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert type(loaded.loss) is type(model.loss) and loaded.loss.get_config() == model.loss.get_config()
    assert [name for name, _ in loaded._metrics] == ["accuracy"]
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    before = loaded.evaluate(x, y, verbose=0)[0]
    history = loaded.fit(x, y, epochs=5, batch_size=19, verbose=0)
    assert history.history["loss"][-1] < before
    # the shared layer is still one layer: both branches train the same weights
    assert sum(1 for layer in loaded.layers if layer.name == "shared") == 1


def test_multi_output_model_round_trips(tmp_path, rng):
    model = multi_output_model()
    path = tmp_path / "multi.ironnet"
    model.save(path)
    loaded = models.load_model(path)
    assert loaded.optimizer is None
    x = rng.standard_normal((11, 5)).astype(np.float32)
    expected, got = model.predict(x), loaded.predict(x)
    assert isinstance(got, list) and len(got) == 3
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_functional_save_and_load_weights(tmp_path, rng):
    model = two_branch_model()
    path = tmp_path / "w.safetensors"
    model.save_weights(path)
    other = two_branch_model()  # same names, fresh weights
    assert not all(np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights()))
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        assert np.array_equal(a, b)
    x, _ = data(rng)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    # a whole-model file's weights load too
    model.save(tmp_path / "m.ironnet")
    third = two_branch_model()
    third.load_weights(tmp_path / "m.ironnet")
    np.testing.assert_array_equal(third.predict(x), model.predict(x))


def test_unknown_layer_class_in_a_saved_functional_config(tmp_path):
    path = tmp_path / "m.ironnet"
    two_branch_model().save(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights = archive.read("model.weights.safetensors")
    config["config"]["layers"][-1]["class_name"] = "Conv3D"
    bad = tmp_path / "bad.ironnet"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.safetensors", weights)
    with pytest.raises(ValueError, match=r"bad\.ironnet.*unknown layer class 'Conv3D'"):
        models.load_model(bad)
    config["class_name"] = "Subclassed"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.safetensors", weights)
    with pytest.raises(ValueError, match="cannot load a model of class 'Subclassed'"):
        models.load_model(bad)
