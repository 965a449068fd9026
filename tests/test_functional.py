"""The functional API: Input's symbolic tensors, Model(inputs, outputs) over a DAG, merge layers,
shared layers, multi-input fit/evaluate/predict, summary and the errors."""
import numpy as np
import pytest

import ironnet
from ironnet import layers, models, optimizers


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def two_branch():
    a, b = layers.Input((3,), name="in_a"), layers.Input((2,), name="in_b")
    ha = layers.Dense(8, activation="relu")(a)
    hb = layers.Dense(8, activation="relu")(b)
    out = layers.Dense(1)(layers.Concatenate()([ha, hb]))
    return models.Model([a, b], out, name="two_branch")


# --- symbolic tensors ----------------------------------------------------------------------------
def test_input_is_symbolic_and_layer_calls_chain_shapes():
    x = layers.Input((5, 4), name="x")
    assert isinstance(x, layers.SymbolicTensor)
    assert x.shape == (None, 5, 4) and x.ndim == 3 and isinstance(x.layer, layers.InputLayer) and x.inputs == []
    dense = layers.Dense(3)
    h = dense(x)
    assert h.shape == (None, 5, 3) and h.layer is dense and h.inputs == [x]
    assert dense.built and dense.kernel.shape == (4, 3)
    f = layers.Flatten()(h)
    assert f.shape == (None, 15)


def test_sequential_still_accepts_input_and_input_layer():
    ironnet.set_random_seed(0)
    for first in (layers.Input((4,)), layers.InputLayer((4,))):
        model = models.Sequential([first, layers.Dense(2)])
        assert [type(l).__name__ for l in model.layers] == ["Dense"]
        assert model.count_params() == 10 and model.predict(rand(3, 4)).shape == (3, 2)
    model = models.Sequential()
    model.add(layers.Input((4,)))
    model.add(layers.Dense(2))
    assert model.layers[0].built and model.predict(rand(3, 4)).shape == (3, 2)


# --- functional models ---------------------------------------------------------------------------
def test_functional_mlp_matches_sequential():
    ironnet.set_random_seed(0)
    seq = models.Sequential([layers.Dense(16, activation="relu", input_shape=(7,)),
                             layers.Dense(5, activation="softmax")])
    x_in = layers.Input((7,))
    out = layers.Dense(5, activation="softmax")(layers.Dense(16, activation="relu")(x_in))
    fn = models.Model(x_in, out)
    assert isinstance(fn, models.Model) and isinstance(fn, models.Functional)
    assert [type(l).__name__ for l in fn.layers] == ["InputLayer", "Dense", "Dense"]
    fn.set_weights(seq.get_weights())
    x = rand(13, 7)
    np.testing.assert_allclose(fn.predict(x, batch_size=4), seq.predict(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fn(x).numpy(), seq.predict(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fn([x]).numpy(), seq.predict(x), rtol=1e-6, atol=1e-7)


def test_two_branch_model_learns_a_function_of_both_inputs():
    ironnet.set_random_seed(0)
    model = two_branch()
    assert [l.name for l in model.layers][:2] == ["in_a", "in_b"]
    xa, xb = rand(512, 3, seed=1), rand(512, 2, seed=2)
    y = (xa.sum(axis=1, keepdims=True) - 2.0 * xb[:, :1] * xb[:, 1:]).astype(np.float32)
    model.compile(optimizers.Adam(0.01), "mse")
    before = model.evaluate([xa, xb], y, verbose=0)
    history = model.fit([xa, xb], y, epochs=60, batch_size=32, verbose=0, validation_split=0.25)
    losses = history.history["loss"]
    assert losses[-1] < 0.25 * losses[0] and "val_loss" in history.history
    after = model.evaluate([xa, xb], y, verbose=0)
    assert after < 0.05 * before and after < 0.2, (before, after)
    pred = model.predict([xa, xb], batch_size=100)
    assert pred.shape == (512, 1)
    np.testing.assert_allclose(np.mean((pred - y) ** 2), after, rtol=1e-4)
    history = model.fit([xa, xb], y, epochs=1, verbose=0, validation_data=([xa[:50], xb[:50]], y[:50]))
    assert "val_loss" in history.history


def test_shared_layer_uses_one_set_of_weights():
    ironnet.set_random_seed(0)
    a, b = layers.Input((4,)), layers.Input((4,))
    shared = layers.Dense(3, name="shared")
    out = layers.Add()([shared(a), shared(b)])
    model = models.Model([a, b], out)
    assert [l.name for l in model.layers].count("shared") == 1
    assert model.count_params() == 15 and len(model.weights) == 2
    xa, xb = rand(6, 4, seed=1), rand(6, 4, seed=2)
    k, bias = shared.get_weights()
    np.testing.assert_allclose(model.predict([xa, xb]), xa @ k + xb @ k + 2 * bias, rtol=1e-5, atol=1e-6)
    # Both calls contribute to the one kernel's gradient.
    model.compile(optimizers.SGD(0.1), "mse")
    model.train_step([xa, xb], np.zeros((6, 3), np.float32))
    assert not np.allclose(shared.get_weights()[0], k)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "shared[0][0], shared[1][0]" in text


def test_multi_output_predicts_and_refuses_training():
    ironnet.set_random_seed(0)
    x = layers.Input((3,))
    h = layers.Dense(4)(x)
    model = models.Model(x, [layers.Dense(1)(h), layers.Dense(2)(h)])
    p1, p2 = model.predict(rand(5, 3))
    assert p1.shape == (5, 1) and p2.shape == (5, 2)
    with pytest.raises(ValueError, match="2 outputs is not supported yet"):
        model.compile("adam", "mse")


# --- merge layers --------------------------------------------------------------------------------
@pytest.mark.parametrize("layer, ref", [
    (layers.Add, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Concatenate, lambda xs: np.concatenate(xs, axis=-1)),
])
def test_merge_layers_match_numpy(layer, ref):
    xs = [rand(7, 5, seed=i) for i in range(3)]
    np.testing.assert_allclose(layer()(xs).numpy(), ref(xs), rtol=1e-6)
    sym = layer()([layers.Input((5,)) for _ in range(3)])
    assert sym.shape == ((None, 15) if layer is layers.Concatenate else (None, 5))


def test_subtract_and_concatenate_axis():
    a, b = rand(4, 3, 2, seed=1), rand(4, 3, 2, seed=2)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b, rtol=1e-6)
    c = rand(4, 5, 2, seed=3)
    cat = layers.Concatenate(axis=1)
    np.testing.assert_allclose(cat([a, c]).numpy(), np.concatenate([a, c], axis=1), rtol=1e-6)
    assert layers.Concatenate(axis=1)([layers.Input((3, 2)), layers.Input((5, 2))]).shape == (None, 8, 2)


def test_merge_gradients_reach_both_branches():
    ironnet.set_random_seed(0)
    a, b = layers.Input((2,)), layers.Input((2,))
    da, db = layers.Dense(2), layers.Dense(2)
    model = models.Model([a, b], layers.Dense(1)(layers.Multiply()([da(a), db(b)])))
    model.compile(optimizers.SGD(0.1), "mse")
    before = [da.get_weights()[0], db.get_weights()[0]]
    model.train_step([rand(8, 2, seed=1), rand(8, 2, seed=2)], np.ones((8, 1), np.float32))
    assert not np.allclose(da.get_weights()[0], before[0]) and not np.allclose(db.get_weights()[0], before[1])


# --- summary -------------------------------------------------------------------------------------
def test_summary_counts_match_keras():
    model = two_branch()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # Keras: Dense(3->8) 32, Dense(2->8) 24, Concatenate 0, Dense(16->1) 17; 73 in all.
    for expected in ('Model: "two_branch"', "in_a (InputLayer)", "(None, 3)", "32", "24", "(None, 16)", "17",
                     "Connected to", "in_a[0][0]", "Total params: 73", "Trainable params: 73",
                     "Non-trainable params: 0"):
        assert expected in text, expected
    assert model.count_params() == 73
    chain_in = layers.Input((784,))
    chain = models.Model(chain_in, layers.Dense(10)(layers.Dense(256)(chain_in)))
    lines = []
    chain.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" not in text and "Total params: 203,530" in text


# --- errors --------------------------------------------------------------------------------------
def test_merge_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"add_err \(Add\): inputs must all have the same shape, got \(None, 3\), \(None, 4\)"):
        layers.Add(name="add_err")([layers.Input((3,)), layers.Input((4,))])
    with pytest.raises(ValueError, match=r"cat_err \(Concatenate\): inputs must match except along axis -1"):
        layers.Concatenate(name="cat_err")([layers.Input((2, 3)), layers.Input((4, 3))])
    with pytest.raises(ValueError, match=r"sub_err \(Subtract\): needs exactly 2 inputs, got 3"):
        layers.Subtract(name="sub_err")([layers.Input((3,))] * 3)
    with pytest.raises(ValueError, match=r"mul_err \(Multiply\): inputs must all have the same shape"):
        layers.Multiply(name="mul_err")([rand(2, 3), rand(2, 4)])
    with pytest.raises(ValueError, match="expects a single input, got a list of 2"):
        layers.Dense(2)([layers.Input((3,)), layers.Input((3,))])
    with pytest.raises(TypeError, match="mix of symbolic tensors"):
        layers.Add()([layers.Input((3,)), rand(2, 3)])


def test_model_call_errors():
    model = two_branch()
    with pytest.raises(ValueError, match=r"two_branch: expects 2 input\(s\) .* got 1"):
        model([rand(4, 3)])
    with pytest.raises(ValueError, match=r"in_b: expected inputs of shape \(batch, 2\), got \(4, 3\)"):
        model([rand(4, 3), rand(4, 3)])
    with pytest.raises(TypeError, match="nesting models"):
        model([layers.Input((3,)), layers.Input((2,))])


def test_output_not_connected_to_inputs():
    a, b = layers.Input((3,), name="conn_a"), layers.Input((3,), name="conn_b")
    out = layers.Add()([layers.Dense(2)(a), layers.Dense(2)(b)])
    with pytest.raises(ValueError, match=r"graph disconnected: conn_b .* not one of the model's inputs \(conn_a\)"):
        models.Model(a, out)
    with pytest.raises(TypeError, match="must be symbolic tensors"):
        models.Model(a, rand(2, 2))


def test_fit_with_wrong_input_lists():
    model = two_branch()
    model.compile("adam", "mse")
    y = np.zeros((10, 1), np.float32)
    with pytest.raises(ValueError, match=r"the input arrays must have the same number of samples, got 10 .*, 9"):
        model.fit([rand(10, 3), rand(9, 2)], y, verbose=0)
    with pytest.raises(ValueError, match="x must be a list of 2 arrays; got a list of 1"):
        model.fit([rand(10, 3)], y, verbose=0)
    with pytest.raises(ValueError, match="x must be a list of 2 arrays; got a single ndarray"):
        model.predict(rand(10, 3))
    with pytest.raises(ValueError, match=r"x has 10 samples .* but y has 9"):
        model.evaluate([rand(10, 3), rand(10, 2)], y[:9], verbose=0)
