"""Masks through models (Keras's protocol), and the Embedding, Masking and TimeDistributed layers:
padding is invisible to a layer that consumes the mask, masks survive fit/evaluate/predict, configs
and saved files rebuild the same models."""
import numpy as np
import pytest

import ironnet
from ironnet import layers, ops
from ironnet.layers import Dense, Embedding, Input, Masking, TimeDistributed
from ironnet.models import Model, Sequential, load_model
from reference import embedding_ref as ref


class MaskedMeanOverTime(layers.Layer):
    """Test-only mask consumer: (B, T, D) -> (B, D), the mean over the kept steps (all when no mask)."""

    def call(self, inputs, training=False, mask=None):
        batch, steps = inputs.shape[:2]
        keep = np.ones((batch, steps), bool) if mask is None else mask
        weights = (keep / keep.sum(axis=1, keepdims=True)).astype(np.float32)[..., None]
        return ops.sum(ops.mul(inputs, ironnet.tensor(weights)), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


class MaskProbe(layers.Layer):
    """Test-only: passes its input (and mask) through and records the mask it was given."""

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = "never called"

    def call(self, inputs, training=False, mask=None):
        self.seen = mask
        return inputs


def padded_batch(rng, lengths, steps, vocab):
    """Sequences of ids in [1, vocab) with the given lengths, zero-padded on the right to `steps`."""
    ids = np.zeros((len(lengths), steps), np.int64)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(1, vocab, n)
    return ids


def test_masked_mean_reference_is_the_mean_of_kept_steps(rng):
    x = rng.standard_normal((2, 4, 3))
    mask = np.array([[1, 0, 1, 0], [1, 1, 1, 1]], bool)
    expected = np.stack([(x[0, 0] + x[0, 2]) / 2, x[1].mean(axis=0)])
    np.testing.assert_allclose(ref.masked_mean_over_time(x, mask), expected, rtol=1e-12)


def make_sequential(vocab=11, steps=7):
    return Sequential([Input((steps,)), Embedding(vocab, 5, mask_zero=True), Dense(6, activation="tanh"),
                       MaskedMeanOverTime(), Dense(3)])


def make_functional(vocab=11, steps=7):
    ids = Input((steps,))
    emb = Embedding(vocab, 5, mask_zero=True)(ids)
    branch = layers.Add()([Dense(4)(emb), Dense(4, activation="relu")(emb)])
    out = Dense(3)(MaskedMeanOverTime()(branch))
    return Model(ids, out)


@pytest.mark.parametrize("make", [make_sequential, make_functional])
def test_padding_changes_nothing_once_a_layer_consumes_the_mask(rng, make):
    model = make()
    ids = padded_batch(rng, [7, 3, 1, 5], 7, 11)  # a full row, batch of mixed lengths, a length-1 row
    padded = model.predict(ids)
    for row, n in enumerate([7, 3, 1, 5]):
        alone = model.predict(np.pad(ids[row : row + 1, :n], ((0, 0), (0, 7 - n)), constant_values=0))
        np.testing.assert_allclose(padded[row], alone[0], rtol=1e-6, atol=1e-6)
    # and without mask_zero the padding does count
    model.layers[0 if isinstance(model, Sequential) else 1].mask_zero = False
    model.layers[0 if isinstance(model, Sequential) else 1].supports_masking = False
    assert not np.allclose(model.predict(ids)[1], padded[1], atol=1e-4)


def test_padded_output_matches_a_float64_reference(rng):
    model = make_sequential()
    ids = padded_batch(rng, [2, 7], 7, 11)
    table, kernel, bias, kernel2, bias2 = [w.astype(np.float64) for w in model.get_weights()]
    hidden = np.tanh(ref.embedding(ids, table) @ kernel + bias)
    expected = ref.masked_mean_over_time(hidden, ids != 0) @ kernel2 + bias2
    np.testing.assert_allclose(model.predict(ids), expected, rtol=1e-5, atol=1e-5)


def test_mask_travels_through_pass_through_layers_and_stops_at_others(rng):
    probes = [MaskProbe() for _ in range(3)]
    model = Sequential([Input((4,)), Embedding(9, 3, mask_zero=True), Dense(5), layers.Dropout(0.5), probes[0],
                        layers.Activation("relu"), probes[1], layers.Flatten(), probes[2]])
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    model(ids, training=True)
    np.testing.assert_array_equal(probes[0].seen, ids != 0)
    np.testing.assert_array_equal(probes[1].seen, ids != 0)
    assert probes[2].seen is None  # Flatten merges the time axis away: no mask after it


def test_no_mask_anywhere_keeps_models_as_before(rng):
    probe = MaskProbe()
    model = Sequential([Input((3, 2)), Dense(4), probe])
    model.predict(rng.standard_normal((2, 3, 2)))
    assert probe.seen is None
    emb = Embedding(5, 2)
    assert emb.compute_mask(ironnet.tensor(np.array([[0, 1]]))) is None


def test_merge_layers_combine_masks(rng):
    a, b = Input((3, 2)), Input((3, 2))
    probe_add, probe_cat = MaskProbe(), MaskProbe()
    masked_a = Masking()(a)
    added = probe_add(layers.Add()([masked_a, Masking()(b)]))
    joined = probe_cat(layers.Concatenate(axis=1)([masked_a, b]))
    model = Model([a, b], [added, joined])
    xa = rng.standard_normal((2, 3, 2)).astype(np.float32)
    xb = rng.standard_normal((2, 3, 2)).astype(np.float32)
    xa[0, 1], xb[0, 2], xb[1, 0] = 0.0, 0.0, 0.0
    model.predict([xa, xb])
    np.testing.assert_array_equal(probe_add.seen, [[True, False, False], [False, True, True]])
    np.testing.assert_array_equal(probe_cat.seen, [[True, False, True, True, True, True], [True] * 6])


def test_masking_zeroes_padded_steps_and_their_gradient(rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 1] = 7.0
    x[1, 3] = 7.0
    x[1, 0, 0] = 7.0  # one feature at the mask value does not mask the step
    layer = Masking(mask_value=7.0)
    expected_mask = np.array([[True, False, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(layer.compute_mask(ironnet.tensor(x)), expected_mask)
    xt = ironnet.tensor(x, requires_grad=True)
    out = layer(xt)
    np.testing.assert_array_equal(out.numpy(), x * expected_mask[..., None])
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), np.broadcast_to(expected_mask[..., None], x.shape))


def test_masking_feeds_a_mask_consumer(rng):
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0
    x[2, 1] = 0.0
    model = Sequential([Input((5, 2)), Masking(), MaskedMeanOverTime()])
    np.testing.assert_allclose(model.predict(x), ref.masked_mean_over_time(x.astype(np.float64), np.any(x != 0, -1)),
                               rtol=1e-6, atol=1e-6)


def test_embedding_layer_weights_shapes_and_summary():
    model = Sequential([Input((12,)), Embedding(1000, 64, mask_zero=True)])
    emb = model.layers[0]
    assert [w.name for w in emb._weights] == ["embeddings"]
    assert emb.embeddings.shape == (1000, 64)
    assert emb.output_shape == (None, 12, 64)
    assert model.count_params() == 64000  # Keras's count for the same layer
    values = emb.embeddings.numpy()
    assert -0.05 <= values.min() < values.max() <= 0.05  # Keras's "uniform" default
    lines = []
    model.summary(print_fn=lambda text: lines.extend(text.splitlines()))
    row = next(line for line in lines if "(Embedding)" in line)
    assert "(None, 12, 64)" in row and row.split()[-3] == "64,000"


def test_fit_keeps_integer_ids_and_learns_through_the_mask(rng):
    """A task only the unpadded steps can solve: is token 1 among a sequence's real tokens? Padding is 0,
    so without the mask the mean over time would blur with each sequence's length."""
    seen_dtypes = []

    class RecordingEmbedding(Embedding):
        def call(self, inputs, training=False):
            seen_dtypes.append(inputs.dtype.name)
            return super().call(inputs, training)

    ironnet.random.set_random_seed(3)
    lengths = rng.integers(1, 9, 256)
    ids = padded_batch(rng, lengths, 8, 4)
    labels = (ids == 1).any(axis=1).astype(np.int64)
    model = Sequential([Input((8,)), RecordingEmbedding(4, 8, mask_zero=True), MaskedMeanOverTime(),
                        Dense(16, activation="relu"), Dense(2)])
    model.compile(ironnet.optimizers.Adam(0.02), ironnet.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(ids, labels, batch_size=32, epochs=12, verbose=0)
    assert set(seen_dtypes) == {"int64"}
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    loss, accuracy = model.evaluate(ids, labels, verbose=0)
    assert accuracy > 0.95
    logits = model.predict(ids.astype(np.int32))
    np.testing.assert_allclose(logits, model(ids).numpy(), rtol=1e-6, atol=1e-6)


def test_integer_pixels_still_reach_dense_layers_as_float(rng):
    x = rng.integers(0, 256, (6, 4)).astype(np.uint8)
    model = Sequential([Input((4,)), Dense(3)])
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(x), x.astype(np.float32) @ kernel + bias, rtol=1e-6)


def test_embedding_accepts_whole_float_ids_and_rejects_others():
    emb = Embedding(5, 2)
    np.testing.assert_array_equal(emb(np.array([[1.0, 4.0]])).numpy(), emb(np.array([[1, 4]])).numpy())
    with pytest.raises(ValueError, match=r"embedding\w*: ids must be whole numbers, got float32 values such as \[1.5\]"):
        emb(np.array([[1.5, 2.0]]))


def test_embedding_layer_errors():
    with pytest.raises(ValueError, match="Embedding: input_dim must be a positive integer, got 0"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="Embedding: output_dim must be a positive integer, got 2.5"):
        Embedding(3, 2.5)
    emb = Embedding(4, 2, name="tokens")
    with pytest.raises(ValueError, match=r"tokens: embedding: id 4 at flat position 1 .* shape \(4, 2\)"):
        emb(np.array([[3, 4]]))


def test_time_distributed_dense_equals_dense_per_step(rng):
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    wrapper = TimeDistributed(Dense(2, activation="tanh"))
    xt = ironnet.tensor(x, requires_grad=True)
    out = wrapper(xt)
    assert out.shape == (3, 5, 2)
    dense = wrapper.layer
    for t in range(5):
        np.testing.assert_allclose(out.numpy()[:, t], dense(x[:, t]).numpy(), rtol=1e-6, atol=1e-6)
    g = rng.standard_normal((3, 5, 2)).astype(np.float32)
    (out * ironnet.tensor(g)).sum().backward()
    # the shared kernel's gradient is the sum over steps of each step's gradient
    kernel = dense.kernel.numpy().astype(np.float64)
    dz = g * (1 - np.tanh(x.astype(np.float64) @ kernel + dense.bias.numpy()) ** 2)
    np.testing.assert_allclose(dense.kernel.grad.numpy(), np.einsum("bti,btj->ij", x, dz), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(xt.grad.numpy(), dz @ kernel.T, rtol=1e-4, atol=1e-5)


def test_time_distributed_weights_summary_and_mask(rng):
    probe = MaskProbe()
    model = Sequential([Input((6,)), Embedding(10, 3, mask_zero=True), TimeDistributed(Dense(4)), probe])
    wrapper = model.layers[1]
    assert wrapper.output_shape == (None, 6, 4)
    assert wrapper.count_params() == 16 and model.count_params() == 46  # Keras's counts
    assert wrapper.weights == wrapper.layer.weights and len(model.trainable_weights) == 3
    lines = []
    model.summary(print_fn=lambda text: lines.extend(text.splitlines()))
    row = next(line for line in lines if "(TimeDistributed)" in line)
    assert "(None, 6, 4)" in row and row.split()[-3] == "16"
    ids = np.array([[1, 2, 0, 0, 0, 0]])
    model(ids)
    np.testing.assert_array_equal(probe.seen, ids != 0)


def test_time_distributed_errors():
    with pytest.raises(TypeError, match="TimeDistributed: expected a Layer to wrap, got int"):
        TimeDistributed(3)
    with pytest.raises(ValueError, match="TimeDistributed: cannot wrap .* takes a list of inputs"):
        TimeDistributed(layers.Add())
    with pytest.raises(ValueError, match=r"time_distributed\w*: expects inputs of rank >= 3 .* got shape \(None, 4\)"):
        TimeDistributed(Dense(2))(Input((4,)))
    with pytest.raises(ValueError, match=r"masking\w*: expects inputs \(batch, time, features\), got shape \(None, 4\)"):
        Masking()(Input((4,)))


def test_configs_rebuild_the_new_layers():
    for layer in (Embedding(11, 4, mask_zero=True, embeddings_initializer="glorot_uniform"), Masking(mask_value=-1.0),
                  TimeDistributed(Dense(3, activation="tanh", use_bias=False))):
        spec = layers.serialize(layer)
        copy = layers.deserialize(spec)
        assert type(copy) is type(layer) and layers.serialize(copy) == spec
    assert layers.serialize(Embedding(3, 2))["config"]["embeddings_initializer"] == "random_uniform"


def test_save_and_load_round_trips(tmp_path, rng):
    ids = padded_batch(rng, [7, 2, 4], 7, 11)
    ids_in = Input((7,))
    steps = TimeDistributed(Dense(5, activation="relu"))(Masking()(Embedding(11, 4, mask_zero=True)(ids_in)))
    functional = Model(ids_in, layers.Add()([Dense(2)(steps), Dense(2)(steps)]))
    sequential = Sequential([Input((7,)), Embedding(11, 4, mask_zero=True), TimeDistributed(Dense(5, activation="relu")),
                             Masking(mask_value=0.0), Dense(2)])
    for model in (functional, sequential):
        model.compile("adam", "mse")
        path = tmp_path / f"{model.name}.ironnet"
        model.save(path)
        loaded = load_model(path)
        assert [layers.serialize(layer) for layer in loaded.layers] == [layers.serialize(layer) for layer in model.layers]
        assert _weight_keys(loaded) == _weight_keys(model)
        np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
        loaded.fit(ids, rng.standard_normal((3, 7, 2)), epochs=1, verbose=0)  # and it trains on


def _weight_keys(model):
    return [f"{layer.name}/{w.name}" for layer in model.layers for w in layer._weights]


def test_input_dtype_is_declared_and_saved():
    ids = Input((3,), dtype="int32")
    assert ids.dtype == "int32"
    model = Model(ids, Embedding(4, 2)(ids))
    config = model.get_config()
    assert config["layers"][0]["config"]["dtype"] == "int32"
    assert type(model).from_config(config).inputs[0].dtype == "int32"
    assert "dtype" not in layers.serialize(Input((3,)).layer)["config"]  # float32, the default, is left out
    with pytest.raises(ValueError, match="Input: dtype must be float32, int32 or int64, got 'float16'"):
        Input((3,), dtype="float16")


def test_layer_call_forwards_keywords_and_the_mask_only_where_taken():
    class Scale(layers.Layer):
        def call(self, inputs, training=False, factor=1.0):
            return ops.mul(inputs, factor)

    x = np.ones((2, 3, 1), np.float32)
    np.testing.assert_array_equal(Scale()(x, factor=3.0, mask=np.ones((2, 3), bool)).numpy(), 3 * x)
    with pytest.raises(TypeError, match=r"scale\w*: keyword arguments \(factor\) are not supported .* symbolic"):
        Scale()(Input((3, 1)), factor=2.0)


def make_tagger(seed=5):
    """Per-step classifier: the output (batch, 6, 3) keeps the Embedding's mask."""
    ironnet.random.set_random_seed(seed)
    model = Sequential([Input((6,)), Embedding(8, 4, mask_zero=True), TimeDistributed(Dense(3))])
    model.compile(ironnet.optimizers.SGD(0.5), ironnet.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_loss_and_metrics_leave_padded_steps_out(rng):
    model = make_tagger()
    ids = padded_batch(rng, [6, 2, 4], 6, 8)
    labels = rng.integers(0, 3, (3, 6))
    logits = model.predict(ids).astype(np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_step = -np.take_along_axis(log_probs, labels[..., None], -1)[..., 0]
    kept = ids != 0
    loss, accuracy = model.evaluate(ids, labels, batch_size=2, verbose=0)
    np.testing.assert_allclose(loss, per_step[kept].mean(), rtol=1e-5)
    np.testing.assert_allclose(accuracy, (logits.argmax(-1) == labels)[kept].mean(), rtol=1e-6)
    relabelled = np.where(kept, labels, (labels + 1) % 3)  # other targets at the padded steps only
    assert model.evaluate(ids, relabelled, batch_size=2, verbose=0) == [loss, accuracy]


def test_training_ignores_targets_at_padded_steps(rng):
    ids = padded_batch(rng, [5, 1, 3, 6], 6, 8)
    labels = np.where(ids != 0, ids % 3, rng.integers(0, 3, (4, 6)))  # learnable from the id where not padding
    relabelled = np.where(ids != 0, labels, (labels + 2) % 3)
    first, second = make_tagger(), make_tagger()
    loss_a, _, scored = first.train_step(ids, labels)
    loss_b, _, _ = second.train_step(ids, relabelled)
    assert loss_a == loss_b and scored.shape == (15,)  # the 15 real steps
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    history = first.fit(ids, labels, batch_size=4, epochs=30, verbose=0, shuffle=False)
    assert history.history["accuracy"][-1] == 1.0  # on the real steps; padding would hold it below
    with pytest.raises(ValueError, match="fit: every step of this batch is masked"):
        first.fit(np.zeros((2, 6), np.int64), labels[:2], verbose=0)


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_1d_averages_the_kept_steps(rng, keepdims):
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)
    pool = layers.GlobalAveragePooling1D(keepdims=keepdims)
    xt = ironnet.tensor(x, requires_grad=True)
    out, out_mask = pool.call_with_mask(xt, mask=mask)
    expected = np.zeros((3, 4))
    expected[:2] = ref.masked_mean_over_time(x[:2].astype(np.float64), mask[:2])  # none kept: zeros
    np.testing.assert_allclose(out.numpy().reshape(3, 4), expected, rtol=1e-6, atol=1e-6)
    assert out_mask is None and out.shape == ((3, 1, 4) if keepdims else (3, 4))
    out.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), np.broadcast_to((mask / np.maximum(mask.sum(1, keepdims=True), 1))
                                                                [..., None], x.shape), rtol=1e-6)
    np.testing.assert_allclose(pool(x).numpy().reshape(3, 4), x.mean(axis=1), rtol=1e-6, atol=1e-6)  # no mask
    with pytest.raises(ValueError, match=r"mask \(3, 4\) does not match inputs \(3, 5, 4\)"):
        pool(x, mask=mask[:, :4])


def test_sequence_classifier_with_global_average_pooling_ignores_padding(rng):
    model = Sequential([Input((9,)), Embedding(20, 6, mask_zero=True), layers.GlobalAveragePooling1D(), Dense(2)])
    ids = padded_batch(rng, [9, 4, 1], 9, 20)
    padded = model.predict(ids)
    for row, n in enumerate([9, 4, 1]):
        shorter = Sequential([Input((n,)), *model.layers])  # the same layers on the unpadded length
        np.testing.assert_allclose(padded[row], shorter.predict(ids[row : row + 1, :n])[0], rtol=1e-6, atol=1e-6)
