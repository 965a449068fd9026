"""Bidirectional: merge modes against the two directions run by hand, states, masks, stacking,
weights, configs, saving and errors."""
import numpy as np
import pytest

from ironnet import layers, models


def randomize(layer, rng):
    layer.set_weights([0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer


def directions(bi, x, **kwargs):
    """The forward layer's output and the backward layer's, put back in input order, run separately."""
    forward = bi.forward_layer(x, **kwargs)
    backward = bi.backward_layer(x, **kwargs)
    forward = forward[0] if isinstance(forward, list) else forward
    backward = backward[0] if isinstance(backward, list) else backward
    backward = backward.numpy()
    return forward.numpy(), backward[:, ::-1] if bi.return_sequences else backward


@pytest.mark.parametrize("cell", [layers.LSTM, layers.GRU, layers.SimpleRNN, layers.JordanRNN])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_merge_modes_combine_both_directions(rng, cell, merge_mode, return_sequences):
    bi = layers.Bidirectional(cell(3, return_sequences=return_sequences), merge_mode=merge_mode)
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    bi(x)
    randomize(bi, rng)
    out = bi(x)
    fw, bw = directions(bi, x)
    want = {"concat": lambda: np.concatenate([fw, bw], -1), "sum": lambda: fw + bw, "mul": lambda: fw * bw,
            "ave": lambda: (fw + bw) / 2, None: lambda: None}[merge_mode]()
    if merge_mode is None:
        np.testing.assert_allclose(out[0].numpy(), fw, rtol=1e-6)
        np.testing.assert_allclose(out[1].numpy(), bw, rtol=1e-6)
    else:
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-6)
        assert out.shape == bi.compute_output_shape((2, 5, 4))
    # The backward direction reads from the end: its output at the last position has seen only that step.
    if return_sequences:
        changed = x.copy()
        changed[:, 0] += 1.0
        _, bw_changed = directions(bi, changed)
        np.testing.assert_array_equal(bw_changed[:, -1], bw[:, -1])
        assert not np.allclose(bw_changed[:, 0], bw[:, 0])


def test_return_state_and_initial_state_take_forward_then_backward_states(rng):
    bi = layers.Bidirectional(layers.LSTM(3, return_sequences=True, return_state=True))
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    out, fh, fc, bh, bc = bi(x)
    assert out.shape == (2, 4, 6) and all(s.shape == (2, 3) for s in (fh, fc, bh, bc))
    np.testing.assert_array_equal(fh.numpy(), bi.forward_layer(x)[1].numpy())
    np.testing.assert_array_equal(bc.numpy(), bi.backward_layer(x)[2].numpy())
    init = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    out2, *_ = bi(x, initial_state=init)
    np.testing.assert_array_equal(out2.numpy()[..., :3], bi.forward_layer(x, initial_state=init[:2])[0].numpy())
    np.testing.assert_array_equal(out2.numpy()[..., 3:],
                                  bi.backward_layer(x, initial_state=init[2:])[0].numpy()[:, ::-1])
    with pytest.raises(ValueError, match=r"initial_state needs 4 states \(the forward layer's 2, then the "
                                         r"backward layer's\), got 2"):
        bi(x, initial_state=init[:2])


def test_masked_padding_gives_the_unpadded_result(rng):
    bi = layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode="concat")
    x = rng.standard_normal((3, 6, 2)).astype(np.float32)
    lengths = [6, 3, 1]
    mask = np.arange(6)[None, :] < np.array(lengths)[:, None]
    y = bi(x, mask=mask).numpy()
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(y[i, :n], bi(x[i:i + 1, :n]).numpy()[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(y[i, n:], 0.0)
    assert bi.compute_mask(x, mask) is mask


def test_stacked_bidirectional_model_weights_counts_and_saving(tmp_path, rng):
    model = models.Sequential([
        layers.Input((7, 3)),
        layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
        layers.Bidirectional(layers.GRU(2), merge_mode="sum"),
        layers.Dense(1),
    ])
    first, second = model.layers[:2]
    assert first.count_params() == 2 * 4 * (3 * 4 + 4 * 4 + 4)  # Keras: twice the wrapped layer
    assert second.count_params() == 2 * 3 * (8 * 2 + 2 * 2 + 2 * 2)
    assert [w.name for w in first._weights] == [
        "forward_kernel", "forward_recurrent_kernel", "forward_bias",
        "backward_kernel", "backward_recurrent_kernel", "backward_bias"]
    assert first.output_shape == (None, 7, 8) and second.output_shape == (None, 2)
    x = rng.standard_normal((5, 7, 3)).astype(np.float32)
    model.compile("adam", "mse")
    model.save(tmp_path / "bi.ironnet")
    loaded = models.load_model(tmp_path / "bi.ironnet")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.layers[1].merge_mode == "sum" and loaded.layers[1].backward_layer.go_backwards


def test_stateful_bidirectional_resets_both_directions(rng):
    bi = layers.Bidirectional(layers.SimpleRNN(2, stateful=True, return_sequences=True))
    x = rng.standard_normal((2, 3, 2)).astype(np.float32)
    first = bi(x).numpy()
    assert not np.allclose(bi(x).numpy(), first)
    bi.reset_states()
    np.testing.assert_array_equal(bi(x).numpy(), first)


def test_errors():
    with pytest.raises(TypeError, match=r"Bidirectional: expects a recurrent layer .* got Dense"):
        layers.Bidirectional(layers.Dense(3))
    with pytest.raises(ValueError, match=r"merge_mode must be one of .* got 'max'"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match=r"must agree on return_sequences"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True, return_sequences=True))
    with pytest.raises(ValueError, match=r"the backward layer must read the other way"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))


def test_symbolic_calls_give_one_tensor_per_output_and_take_initial_states(rng):
    inputs, h0 = layers.Input((4, 3)), layers.Input((2,))
    merged, fh, bh = layers.Bidirectional(layers.GRU(2, return_state=True))(inputs, initial_state=[h0, h0])
    forward, backward = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True), merge_mode=None)(inputs)
    assert merged.shape == (None, 4) and fh.shape == bh.shape == (None, 2) and forward.shape == (None, 4, 2)
    model = models.Model([inputs, h0], layers.Concatenate()([merged, fh, bh, layers.Flatten()(backward)]))
    bi_gru, bi_rnn = model.layers[2], model.layers[3]
    x, h = rng.standard_normal((3, 4, 3)).astype(np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    m, f, b = bi_gru(x, initial_state=[h, h])
    want = np.concatenate([m.numpy(), f.numpy(), b.numpy(), bi_rnn(x)[1].numpy().reshape(3, -1)], axis=1)
    np.testing.assert_allclose(model.predict([x, h]), want, rtol=1e-6)
    clone = models.Functional.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict([x, h]), want, rtol=1e-6)


def test_merge_mode_none_with_return_state_lists_both_outputs_then_the_states(rng):
    bi = layers.Bidirectional(layers.GRU(2, return_sequences=True, return_state=True), merge_mode=None)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    forward, backward, fh, bh = bi(x)
    assert forward.shape == backward.shape == (3, 4, 2) and fh.shape == bh.shape == (3, 2)
    assert bi.compute_output_shape((None, 4, 5)) == [(None, 4, 2), (None, 4, 2), (None, 2), (None, 2)]
    np.testing.assert_array_equal(backward.numpy(), bi.backward_layer(x)[0].numpy()[:, ::-1])
    np.testing.assert_array_equal(bh.numpy(), bi.backward_layer(x)[1].numpy())
    mask = np.ones((3, 4), bool)
    assert bi.compute_mask(x, mask) == [mask, mask, None, None]
