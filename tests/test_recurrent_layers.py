"""Recurrent layers (SimpleRNN, LSTM, GRU, JordanRNN): outputs against the functional ops and NumPy,
Keras semantics (return_sequences/state, initial_state, go_backwards, masks, stateful, dropout),
training (fit, truncated BPTT), parameter counts, configs, saving and errors."""
import numpy as np
import pytest
from reference.jordan_ref import jordan_backward, jordan_forward

import ironnet
from ironnet import autograd, initializers, layers, losses, models, ops, optimizers
from ironnet.tensor import Tensor

CELLS = {
    "SimpleRNN": (layers.SimpleRNN, {}, "simple_rnn"),
    "LSTM": (layers.LSTM, {}, "lstm"),
    "GRU": (layers.GRU, {}, "gru"),
    "GRU_reset_before": (layers.GRU, {"reset_after": False}, "gru"),
}


def tensor(a, requires_grad=False):
    return Tensor(ironnet._C.TensorImpl.from_numpy(np.ascontiguousarray(a, np.float32), True), requires_grad)


def randomize(layer, rng, scale=0.5):
    """Random weights (biases included, so a wrong bias layout shows)."""
    layer.set_weights([scale * rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


def make(name, rng, units, features, **kwargs):
    cls, extra, _ = CELLS[name]
    layer = cls(units, **extra, **kwargs)
    layer.build_for((None, None, features))
    return randomize(layer, rng)


def run_op(name, layer, x, states=None, mask=None, reverse=False):
    """The functional op the layer is built on, called directly with the layer's weights."""
    _, extra, op = CELLS[name]
    args = [x, layer.kernel, layer.recurrent_kernel, layer.bias, *(states or [None] * len(layer._state_names)), mask]
    kwargs = {"reverse": reverse}
    if "reset_after" in extra:
        kwargs["reset_after"] = False
    out = getattr(ops, op)(*args, **kwargs)
    return out[0].numpy(), [s.numpy() for s in out[1:]]


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("batch,steps,features,units", [(1, 1, 3, 2), (4, 7, 5, 3), (3, 11, 2, 13)])
def test_layer_equals_its_functional_op(rng, name, batch, steps, features, units):
    layer = make(name, rng, units, features, return_sequences=True, return_state=True)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    y, *states = layer(x)
    y_op, states_op = run_op(name, layer, x)
    assert y.shape == (batch, steps, units)
    np.testing.assert_array_equal(y.numpy(), y_op)
    for got, want in zip(states, states_op):
        np.testing.assert_array_equal(got.numpy(), want)
    last = make(name, rng, units, features)
    last.set_weights(layer.get_weights())
    np.testing.assert_array_equal(last(x).numpy(), y_op[:, -1])  # return_sequences=False: the last step


@pytest.mark.parametrize("name", CELLS)
def test_initial_state_is_where_the_recurrence_starts(rng, name):
    layer = make(name, rng, 4, 3, return_sequences=True)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    init = [rng.standard_normal((2, 4)).astype(np.float32) for _ in layer._state_names]
    y = layer(x, initial_state=init).numpy()
    np.testing.assert_array_equal(y, run_op(name, layer, x, states=[tensor(s) for s in init])[0])
    assert not np.allclose(y, layer(x).numpy())
    # Continuing from the states of the first half equals reading the whole sequence.
    both = make(name, rng, 4, 3, return_sequences=True, return_state=True)
    whole, *_ = both(x)
    first, *mid = both(x[:, :2])
    second, *_ = both(x[:, 2:], initial_state=mid)
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()], 1), whole.numpy(), atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
def test_go_backwards_reads_the_reversed_sequence_and_returns_steps_in_reading_order(rng, name):
    backwards = make(name, rng, 3, 4, return_sequences=True, go_backwards=True)
    forwards = make(name, rng, 3, 4, return_sequences=True)
    forwards.set_weights(backwards.get_weights())
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    y = backwards(x).numpy()
    np.testing.assert_allclose(y, forwards(np.ascontiguousarray(x[:, ::-1])).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(y, run_op(name, backwards, x, reverse=True)[0][:, ::-1])


@pytest.mark.parametrize("name", CELLS)
def test_go_backwards_gradients_flow_through_the_time_flip(rng, name):
    layer = make(name, rng, 3, 2, return_sequences=True, go_backwards=True)
    x = rng.standard_normal((2, 5, 2)).astype(np.float32)
    g = rng.standard_normal((2, 5, 3)).astype(np.float32)
    xt = tensor(x, True)
    (dx, dkernel) = autograd.grad(ops.sum(ops.mul(layer(xt), tensor(g))), [xt, layer.kernel])
    # The same through the op directly: reverse=True keeps y aligned with x, so g is flipped instead.
    xo = tensor(x, True)
    _, extra, op = CELLS[name]
    y = getattr(ops, op)(xo, layer.kernel, layer.recurrent_kernel, layer.bias, reverse=True, **extra)[0]
    (dx_op, dkernel_op) = autograd.grad(ops.sum(ops.mul(y, tensor(g[:, ::-1]))), [xo, layer.kernel])
    np.testing.assert_allclose(dx.numpy(), dx_op.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dkernel.numpy(), dkernel_op.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_padded_steps_are_skipped(rng, name, go_backwards):
    """Each padded sequence gives what it gives alone, unpadded; padded steps output 0."""
    layer = make(name, rng, 5, 3, return_sequences=True, return_state=True, go_backwards=go_backwards)
    lengths = [4, 1, 7]
    x = rng.standard_normal((3, 7, 3)).astype(np.float32)
    mask = np.arange(7)[None, :] < np.array(lengths)[:, None]
    y, *states = layer(x, mask=mask)
    for i, n in enumerate(lengths):
        alone, *alone_states = layer(x[i:i + 1, :n])
        # go_backwards returns steps in reading order: the real ones come last (after the padding).
        real = y.numpy()[i, 7 - n:] if go_backwards else y.numpy()[i, :n]
        np.testing.assert_allclose(real, alone.numpy()[0], rtol=1e-5, atol=1e-6)
        pad = y.numpy()[i, :7 - n] if go_backwards else y.numpy()[i, n:]
        np.testing.assert_array_equal(pad, 0.0)
        for got, want in zip(states, alone_states):
            np.testing.assert_allclose(got.numpy()[i], want.numpy()[0], rtol=1e-5, atol=1e-6)
    assert layer.compute_mask(x, mask)[0] is mask
    layer.return_sequences = False
    assert layer.compute_mask(x, mask)[0] is None


@pytest.mark.parametrize("name", CELLS)
def test_stateful_layer_carries_state_between_calls_until_reset(rng, name):
    layer = make(name, rng, 4, 2, return_sequences=True, stateful=True)
    plain = make(name, rng, 4, 2, return_sequences=True)
    plain.set_weights(layer.get_weights())
    x = rng.standard_normal((3, 9, 2)).astype(np.float32)
    windows = [layer(x[:, i:i + 3]).numpy() for i in (0, 3, 6)]
    np.testing.assert_allclose(np.concatenate(windows, 1), plain(x).numpy(), rtol=1e-5, atol=1e-6)
    layer.reset_states()
    assert layer.states is None
    np.testing.assert_array_equal(layer(x[:, :3]).numpy(), windows[0])
    with pytest.raises(ValueError, match=r"keeps batch size 3 between calls, got a batch of 2"):
        layer(x[:2, :3])
    with pytest.raises(ValueError, match=r"reset_states\(\) needs a stateful layer"):
        plain.reset_states()


def test_dropout_masks_are_per_sequence_and_only_in_training(rng):
    """With kernel = identity and no recurrence, y_t = x_t * mask: one mask for every step of a sequence."""
    layer = layers.SimpleRNN(6, activation="linear", use_bias=False, dropout=0.5, return_sequences=True, seed=3)
    layer.build_for((None, None, 6))
    layer.set_weights([np.eye(6, dtype=np.float32), np.zeros((6, 6), np.float32)])
    x = np.ones((5, 4, 6), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # inference: no dropout
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    np.testing.assert_array_equal(y, np.repeat(y[:, :1], 4, axis=1))  # the same mask at every step
    assert not np.array_equal(y[0, 0], y[1, 0]) or not np.array_equal(y[1, 0], y[2, 0])  # per sequence
    assert not np.array_equal(layer(x, training=True).numpy(), y)  # a fresh mask per call


def test_recurrent_dropout_multiplies_the_state_by_one_mask(rng):
    """kernel 0, recurrent_kernel identity, h0 = 1: h_t = h_{t-1} * mask, so h_t = mask ** t."""
    layer = layers.SimpleRNN(8, activation="linear", use_bias=False, recurrent_dropout=0.5,
                             return_sequences=True, seed=7)
    layer.build_for((None, None, 2))
    layer.set_weights([np.zeros((2, 8), np.float32), np.eye(8, dtype=np.float32)])
    x, h0 = np.zeros((3, 3, 2), np.float32), np.ones((3, 8), np.float32)
    np.testing.assert_array_equal(layer(x, initial_state=[h0]).numpy(), np.ones((3, 3, 8)))
    y = layer(x, training=True, initial_state=[h0]).numpy()
    mask = y[:, 0]
    assert set(np.unique(mask)) <= {0.0, 2.0} and 0.0 in mask and 2.0 in mask
    np.testing.assert_array_equal(y[:, 1], mask ** 2)
    np.testing.assert_array_equal(y[:, 2], mask ** 3)


# --- JordanRNN ----------------------------------------------------------------------------------
def _jordan(rng, features, units, output_units, **kwargs):
    layer = layers.JordanRNN(units, output_units=output_units, return_sequences=True, return_state=True, **kwargs)
    layer.build_for((None, None, features))
    return randomize(layer, rng)


def test_jordan_reference_backward_matches_finite_differences(rng):
    x = rng.standard_normal((2, 4, 3))
    W, U, b = rng.standard_normal((3, 5)), rng.standard_normal((2, 5)), rng.standard_normal(5)
    V, c, y0 = rng.standard_normal((5, 2)), rng.standard_normal(2), rng.standard_normal((2, 2))
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0]], bool)
    g_out, g_last = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 2))
    params = {"x": x, "W": W, "U": U, "b": b, "V": V, "c": c, "y0": y0}

    def loss():
        out, last, _ = jordan_forward(params["x"], params["W"], params["U"], params["b"], params["V"],
                                      params["c"], params["y0"], mask, reverse=True)
        return np.sum(out * g_out) + np.sum(last * g_last)

    _, _, cache = jordan_forward(x, W, U, b, V, c, y0, mask, reverse=True)
    grads = jordan_backward(x, W, U, V, cache, g_out, g_last)
    for key, value in params.items():
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + 1e-6
            up = loss()
            value[i] = old - 1e-6
            numeric[i] = (up - loss()) / 2e-6
            value[i] = old
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("batch,steps,features,units,output_units", [(1, 1, 2, 3, 1), (3, 6, 4, 5, 2)])
@pytest.mark.parametrize("go_backwards,masked", [(False, False), (True, True)])
def test_jordan_matches_the_numpy_reference_forward_and_backward(rng, batch, steps, features, units,
                                                                   output_units, go_backwards, masked):
    layer = _jordan(rng, features, units, output_units, go_backwards=go_backwards)
    W, U, b, V, c = [w.astype(np.float64) for w in layer.get_weights()]
    x = rng.standard_normal((batch, steps, features))
    y0 = rng.standard_normal((batch, output_units))
    mask = rng.random((batch, steps)) < 0.7 if masked else None
    xt, y0t = tensor(x, True), tensor(y0, True)
    y, last = layer(xt, mask=mask, initial_state=[y0t])
    want, want_last, cache = jordan_forward(x, W, U, b, V, c, y0, mask, reverse=go_backwards)
    np.testing.assert_allclose(y.numpy(), want[:, ::-1] if go_backwards else want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last.numpy(), want_last, rtol=1e-5, atol=1e-6)
    g_out, g_last = rng.standard_normal(want.shape), rng.standard_normal(want_last.shape)
    loss = ops.add(ops.sum(ops.mul(y, tensor(g_out[:, ::-1] if go_backwards else g_out))),
                   ops.sum(ops.mul(last, tensor(g_last))))
    weights = layer.weights
    got = autograd.grad(loss, [xt, y0t, *weights])
    ref = jordan_backward(x, W, U, V, cache, g_out, g_last)
    for g, key in zip(got, ["x", "y0", "W", "U", "b", "V", "c"]):
        np.testing.assert_allclose(g.numpy(), ref[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_jordan_weight_and_output_shapes_and_dropout(rng):
    layer = _jordan(rng, 2, 4, 3, dropout=0.5, recurrent_dropout=0.5, seed=2)
    assert [w.shape for w in layer.get_weights()] == [(2, 4), (3, 4), (4,), (4, 3), (3,)]
    assert layer.compute_output_shape((None, 5, 2)) == [(None, 5, 3), (None, 3)]
    x = rng.standard_normal((4, 5, 2)).astype(np.float32)
    inference = layer(x)[0].numpy()
    np.testing.assert_array_equal(layer(x)[0].numpy(), inference)
    assert not np.allclose(layer(x, training=True)[0].numpy(), inference)


# --- training -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_fit_learns_to_sum_a_sequence_sign(cell):
    """Classify whether a noisy sequence's sum is positive: needs the whole sequence."""
    ironnet.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 10, 1)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.int64)
    model = models.Sequential([layers.Input((10, 1)), getattr(layers, cell)(16), layers.Dense(2, activation="softmax")])
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:256], y[:256], batch_size=32, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.evaluate(x[256:], y[256:], return_dict=True, verbose=0)["accuracy"] > 0.85  # held out


def test_truncated_bptt_on_windows_of_a_long_sequence_lowers_the_loss():
    """A stateful LSTM predicts the next value of a long sine series fed as consecutive windows; the
    state carries over between windows and the gradient stops at each window's start."""
    ironnet.set_random_seed(1)
    series = np.sin(np.arange(1201) * 0.3).astype(np.float32)
    x, y = series[:-1].reshape(4, 300, 1), series[1:].reshape(4, 300, 1)
    lstm = layers.LSTM(8, return_sequences=True, stateful=True)
    head = layers.Dense(1)
    params = None
    optimizer = optimizers.Adam(0.02)
    mse = losses.MeanSquaredError()

    def epoch(train):
        lstm.reset_states()
        total = 0.0
        for start in range(0, 300, 25):
            pred = head(lstm(x[:, start:start + 25], training=train))
            loss = mse(tensor(y[:, start:start + 25]), pred)
            if train:
                grads = autograd.grad(loss, params)
                optimizer.apply_gradients(zip(grads, params))
            total += float(loss.numpy())
        return total / 12

    head(lstm(x[:, :1]))
    params = lstm.trainable_weights + head.trainable_weights
    before = epoch(False)
    for _ in range(6):
        epoch(True)
    after = epoch(False)
    assert lstm.states is not None and lstm.states[0].shape == (4, 8)
    assert after < 0.2 * before, (before, after)


def test_global_clipnorm_bounds_the_bptt_update_of_a_long_sequence():
    """Gradient clipping through the optimizer: a long sequence with a large recurrent kernel gives a
    large BPTT gradient; SGD(learning_rate=1, global_clipnorm=c) moves the weights by exactly c."""
    ironnet.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 60, 4)).astype(np.float32)
    rnn = layers.SimpleRNN(16, activation="relu", recurrent_initializer=initializers.RandomUniform(0.06, 0.08))
    rnn.build_for(x.shape)
    weights = rnn.trainable_weights
    loss = ops.sum(rnn(x))
    grads = autograd.grad(loss, weights)
    raw_norm = float(np.sqrt(sum(float((g.numpy().astype(np.float64) ** 2).sum()) for g in grads)))
    assert raw_norm > 10.0, raw_norm  # the exploding gradient that clipping is for
    before = [w.numpy().copy() for w in weights]
    optimizers.SGD(learning_rate=1.0, global_clipnorm=0.5).apply(grads, weights)
    step = np.sqrt(sum(((w.numpy() - b).astype(np.float64) ** 2).sum() for w, b in zip(weights, before)))
    np.testing.assert_allclose(step, 0.5, rtol=1e-4)


def test_model_reset_states_resets_every_stateful_layer_and_skips_the_others():
    x = np.random.default_rng(4).standard_normal((3, 5, 2)).astype(np.float32)
    lstm = layers.LSTM(4, return_sequences=True, stateful=True)
    both = layers.Bidirectional(layers.GRU(3, stateful=True))
    model = models.Sequential([layers.Input((5, 2)), lstm, both, layers.Dense(1)])
    first = model.predict(x, verbose=0)
    assert lstm.states is not None and both.forward_layer.states is not None
    assert not np.allclose(model.predict(x, verbose=0), first)  # the states carried over
    model.reset_states()
    assert lstm.states is None and both.forward_layer.states is None and both.backward_layer.states is None
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)  # from zeros again
    models.Sequential([layers.Input((5, 2)), layers.LSTM(4), layers.Dense(1)]).reset_states()  # nothing stateful


# --- shapes, counts, configs, saving ------------------------------------------------------------
@pytest.mark.parametrize("layer,params", [
    (layers.SimpleRNN(7), 5 * 7 + 7 * 7 + 7),
    (layers.LSTM(7), 4 * (5 * 7 + 7 * 7 + 7)),
    (layers.GRU(7), 3 * (5 * 7 + 7 * 7 + 2 * 7)),
    (layers.GRU(7, reset_after=False), 3 * (5 * 7 + 7 * 7 + 7)),
    (layers.LSTM(7, use_bias=False), 4 * (5 * 7 + 7 * 7)),
    (layers.JordanRNN(7, output_units=3), 5 * 7 + 3 * 7 + 7 + 7 * 3 + 3),
])
def test_parameter_counts_are_keras_formulas_and_show_in_summary(layer, params):
    model = models.Sequential([layers.Input((11, 5)), layer])
    assert layer.count_params() == params
    lines = []
    model.summary(print_fn=lines.append)
    assert f"{params:,}" in "\n".join(lines)
    out = layer.output_shape
    assert out == (None, layer._output_size())


def test_lstm_initial_weights_are_keras_defaults():
    ironnet.set_random_seed(3)
    layer = layers.LSTM(6)
    layer.build_for((None, None, 4))
    kernel, recurrent, bias = layer.get_weights()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(6), atol=1e-5)  # orthogonal rows
    np.testing.assert_array_equal(bias, np.r_[np.zeros(6), np.ones(6), np.zeros(12)])  # unit_forget_bias
    assert np.abs(kernel).max() <= np.sqrt(6 / (4 + 24))  # glorot_uniform
    plain = layers.LSTM(6, unit_forget_bias=False)
    plain.build_for((None, None, 4))
    np.testing.assert_array_equal(plain.get_weights()[2], 0.0)


@pytest.mark.parametrize("layer", [
    layers.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True, dropout=0.25),
    layers.LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=False, stateful=True, seed=5),
    layers.GRU(2, reset_after=False, recurrent_dropout=0.5, return_state=True, use_bias=False),
    layers.JordanRNN(3, output_units=2, output_activation="sigmoid", activation="relu"),
])
def test_config_round_trips(layer):
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()


def test_save_and_load_model_round_trip(tmp_path, rng):
    model = models.Sequential([layers.Input((6, 3)), layers.GRU(5, return_sequences=True),
                               layers.JordanRNN(4, return_sequences=True), layers.LSTM(3), layers.Dense(2)])
    model.compile("adam", "mse")
    x = rng.standard_normal((4, 6, 3)).astype(np.float32)
    model.save(tmp_path / "rnn.ironnet")
    loaded = models.load_model(tmp_path / "rnn.ironnet")
    assert [type(layer).__name__ for layer in loaded.layers] == ["GRU", "JordanRNN", "LSTM", "Dense"]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


# --- errors ----------------------------------------------------------------------------------------
def test_bad_arguments_and_inputs_raise_clear_errors(rng):
    with pytest.raises(ValueError, match=r"LSTM: units must be a positive integer, got 0"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match=r"GRU: activation must be one of .* got 'softmax'"):
        layers.GRU(3, activation="softmax")
    with pytest.raises(ValueError, match=r"LSTM: recurrent_activation must be one of 'sigmoid', 'hard_sigmoid'"):
        layers.LSTM(3, recurrent_activation="tanh")
    with pytest.raises(ValueError, match=r"SimpleRNN: dropout must be in \[0, 1\), got 1.0"):
        layers.SimpleRNN(3, dropout=1.0)
    with pytest.raises(ValueError, match=r"JordanRNN: unknown activation 'swishy'"):
        layers.JordanRNN(3, output_activation="swishy")
    layer = layers.LSTM(3, name="lstm_errors")
    with pytest.raises(ValueError, match=r"lstm_errors: expects inputs \(batch, time, features\) .* got shape \(None, 4\)"):
        layer(np.zeros((2, 4), np.float32))
    layer(np.zeros((2, 5, 4), np.float32))
    with pytest.raises(ValueError, match=r"lstm_errors: expects inputs \(batch, time, 4\), got shape \(2, 5, 3\)"):
        layer(np.zeros((2, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"lstm_errors: initial_state needs 2 state\(s\) \(h, c\), got 1"):
        layer(np.zeros((2, 5, 4), np.float32), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"initial state c must have shape \(2, 3\), got \(2, 4\)"):
        layer(np.zeros((2, 5, 4), np.float32), initial_state=[np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"lstm_errors: mask must have shape \(batch, time\) = \(2, 5\), got \(2, 4\)"):
        layer(np.zeros((2, 5, 4), np.float32), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"initial state 1 must have shape \(batch, 2\), got \(None, 3\)"):
        layers.LSTM(2)(layers.Input((3, 2)), initial_state=[layers.Input((2,)), layers.Input((3,))])
    with pytest.raises(ValueError, match=r"initial_state needs 1 symbolic tensors"):
        layers.GRU(2)(layers.Input((3, 2)), initial_state=[np.zeros((1, 2))])


def test_functional_model_with_recurrent_layers(rng):
    inputs = layers.Input((5, 3))
    seq = layers.Bidirectional(layers.GRU(4, return_sequences=True))(inputs)
    outputs = layers.Dense(2)(layers.LSTM(3)(seq))
    model = models.Model(inputs, outputs)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    by_hand = model.layers[3](model.layers[2](model.layers[1](x))).numpy()
    np.testing.assert_array_equal(model.predict(x), by_hand)
    clone = models.Functional.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Bidirectional", "LSTM", "Dense"]
    assert clone.layers[2].output_shape == (None, 3)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_embedding_mask_zero_makes_padded_batches_equal_unpadded_sequences(rng, padding):
    """Embedding(mask_zero=True) -> recurrent layers -> Dense: the mask travels through the model."""
    ironnet.set_random_seed(4)
    model = models.Sequential([  # no Input: sequences of any length
        layers.Embedding(10, 4, mask_zero=True),
        layers.Bidirectional(layers.GRU(5, return_sequences=True)),
        layers.LSTM(3, go_backwards=True),
        layers.Dense(2),
    ])
    lengths = [6, 2, 4]
    ids = np.zeros((3, 6), np.int64)
    for i, n in enumerate(lengths):
        tokens = rng.integers(1, 10, n)
        ids[i, :n] = tokens if padding == "post" else 0
        if padding == "pre":
            ids[i, 6 - n:] = tokens
    batch = model.predict(ids)
    for i, n in enumerate(lengths):
        alone = ids[i:i + 1, :n] if padding == "post" else ids[i:i + 1, 6 - n:]
        np.testing.assert_allclose(batch[i], model(alone).numpy()[0], rtol=1e-5, atol=1e-6)


def test_functional_encoder_decoder_with_return_state_and_initial_state(tmp_path, rng):
    """Keras's seq2seq pattern: the encoder's final states start the decoder."""
    encoder_in, decoder_in = layers.Input((5, 3)), layers.Input((4, 2))
    _, h, c = layers.LSTM(6, return_state=True)(encoder_in)
    decoded = layers.LSTM(6, return_sequences=True)(decoder_in, initial_state=[h, c])
    model = models.Model([encoder_in, decoder_in], layers.Dense(3)(decoded))
    encoder, decoder, dense = model.layers[2:]
    assert h.shape == c.shape == (None, 6)
    xe, xd = rng.standard_normal((2, 5, 3)).astype(np.float32), rng.standard_normal((2, 4, 2)).astype(np.float32)
    _, h_val, c_val = encoder(xe)
    by_hand = dense(decoder(xd, initial_state=[h_val, c_val])).numpy()
    np.testing.assert_allclose(model.predict([xe, xd]), by_hand, rtol=1e-6)
    model.compile("adam", "mse")
    model.save(tmp_path / "seq2seq.ironnet")
    loaded = models.load_model(tmp_path / "seq2seq.ironnet")
    np.testing.assert_array_equal(loaded.predict([xe, xd]), model.predict([xe, xd]))
    history = model.fit([xe, xd], np.zeros((2, 4, 3), np.float32), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The encoder trains through the states it hands over.
    assert not np.array_equal(encoder.get_weights()[0], loaded.layers[2].get_weights()[0])
