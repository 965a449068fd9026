"""compile(metrics=[...]) names 'precision', 'recall', 'f1_score' and 'perplexity': the logged
values against scikit-learn (and ironnet.metrics) on the model's own predictions."""
import numpy as np
import pytest
import sklearn.metrics as skm

import ironnet
from ironnet import layers, losses, metrics, models, optimizers

SCORES = {"precision": skm.precision_score, "recall": skm.recall_score, "f1_score": skm.f1_score}


def blobs(n, classes, dim=4, seed=0, noise=1.5):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, dim)) * 2.0
    y = rng.integers(0, classes, n)
    return (centers[y] + noise * rng.standard_normal((n, dim))).astype(np.float32), y


def fit_and_check(model, x, y, labels_of, average, epochs=3):
    """Fits with validation data; the last epoch's val_ scores and evaluate() are the sklearn scores
    of predict() (the weights are the same by then)."""
    names = list(SCORES)
    history = model.fit(x[:150], y[:150], epochs=epochs, batch_size=16, validation_data=(x[150:], y[150:]), verbose=0)
    assert {*names, *(f"val_{n}" for n in names)} <= set(history.history)
    true, pred = labels_of(y[150:], model.predict(x[150:]))
    logs = model.evaluate(x[150:], y[150:], verbose=0, return_dict=True)
    for name, score in SCORES.items():
        expected = score(true, pred, average=average, zero_division=0)
        assert history.history[f"val_{name}"][-1] == pytest.approx(expected, abs=1e-12), name
        assert logs[name] == pytest.approx(expected, abs=1e-12), name
    assert 0.0 < logs["f1_score"] < 1.0  # a case where the scores say something
    return history


def test_binary_sigmoid_thresholds_at_half():
    ironnet.set_random_seed(0)
    x, y = blobs(200, 2, noise=2.5)
    y = y.astype(np.float32).reshape(-1, 1)
    model = models.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizers.SGD(0.05), "binary_crossentropy", metrics=["precision", "recall", "f1_score"])
    fit_and_check(model, x, y, lambda t, p: (t.ravel().astype(int), (p.ravel() > 0.5).astype(int)), "binary")


def test_binary_multilabel_outputs_are_pooled():
    ironnet.set_random_seed(1)
    x, y = blobs(200, 4, noise=2.0)
    y2 = np.stack([y % 2, y // 2], axis=1).astype(np.float32)  # two independent binary labels
    model = models.Sequential([layers.Dense(2, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizers.SGD(0.05), "binary_crossentropy", metrics=["precision", "recall", "f1_score"])
    fit_and_check(model, x, y2, lambda t, p: (t.ravel().astype(int), (p.ravel() > 0.5).astype(int)), "binary")


@pytest.mark.parametrize("one_hot", [False, True], ids=["sparse", "one_hot"])
def test_softmax_uses_argmax_and_macro_average(one_hot):
    ironnet.set_random_seed(2)
    x, y = blobs(200, 4, noise=2.5)
    model = models.Sequential([layers.Dense(4, activation="softmax", input_shape=(4,))])
    loss = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    model.compile(optimizers.SGD(0.05), loss, metrics=["precision", "recall", "f1_score"])
    target = np.eye(4, dtype=np.float32)[y] if one_hot else y
    labels_of = lambda t, p: (np.argmax(t, 1) if one_hot else t, np.argmax(p, 1))
    fit_and_check(model, x, target, labels_of, "macro")


def test_perplexity_is_exp_of_the_sparse_crossentropy():
    ironnet.set_random_seed(3)
    x, y = blobs(200, 5)
    model = models.Sequential([layers.Dense(5, activation="softmax", input_shape=(4,))])
    model.compile(optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["perplexity", "accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.25, verbose=0)
    assert {"perplexity", "val_perplexity"} <= set(history.history)
    for loss, ppl in zip(history.history["loss"] + history.history["val_loss"],
                         history.history["perplexity"] + history.history["val_perplexity"]):
        assert ppl == pytest.approx(np.exp(loss), rel=1e-5)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["perplexity"] == pytest.approx(metrics.perplexity_from_probs(y, model.predict(x)), rel=1e-12)
    assert 1.0 < logs["perplexity"] < 5.0  # better than a uniform guess over 5 classes


def test_perplexity_from_logits_and_column_labels():
    ironnet.set_random_seed(4)
    x, y = blobs(120, 3)
    model = models.Sequential([layers.Dense(3, input_shape=(4,))])  # logits
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["perplexity"])
    y_col = y.reshape(-1, 1)
    model.fit(x, y_col, epochs=2, verbose=0)
    logs = model.evaluate(x, y_col, verbose=0, return_dict=True)
    assert logs["perplexity"] == pytest.approx(np.exp(logs["loss"]), rel=1e-5)


def test_perplexity_over_every_step_of_a_sequence_output():
    """A language model's shape: labels (B, T) against per-step probabilities (B, T, V); the
    perplexity pools all B*T predictions (exp of the mean per-step crossentropy)."""
    ironnet.set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((30, 7, 3)).astype(np.float32)
    y = (x[..., 0] > 0).astype(np.int64) + (x[..., 1] > 0)
    model = models.Sequential([layers.Dense(3, activation="softmax", input_shape=(7, 3))])
    model.compile(optimizers.Adam(0.05), "sparse_categorical_crossentropy", metrics=["perplexity"])
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    prob = model.predict(x).astype(np.float64)
    assert prob.shape == (30, 7, 3)
    picked = np.take_along_axis(prob, y[..., None], axis=-1)
    assert logs["perplexity"] == pytest.approx(np.exp(-np.mean(np.log(picked))), rel=1e-12)
    assert logs["perplexity"] == pytest.approx(np.exp(logs["loss"]), rel=1e-5)
    assert 1.0 < logs["perplexity"] < 3.0


def test_metric_name_errors():
    model = models.Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ValueError, match="'perplexity' needs a sparse categorical crossentropy loss.*'mse'"):
        model.compile("adam", "mse", metrics=["perplexity"])
    with pytest.raises(ValueError, match="unknown metric 'f1'.*'f1_score', 'perplexity' or a callable"):
        model.compile("adam", "mse", metrics=["f1"])


def test_r2_score_in_compile_matches_scikit_learn():
    from sklearn.metrics import r2_score

    ironnet.set_random_seed(4)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([[0.5], [-1.0], [2.0]], np.float32) + 0.1 * rng.standard_normal((64, 1))).astype(np.float32)
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(0.1), "mse", metrics=["r2_score"])
    history = model.fit(x, y, epochs=30, batch_size=64, shuffle=False, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["r2_score"] == pytest.approx(r2_score(y.ravel(), model.predict(x).ravel()), rel=1e-5)
    assert history.history["r2_score"][-1] > 0.9


def test_progress_bar_shows_running_metrics(capsys):
    ironnet.set_random_seed(5)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((256, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = models.Sequential([layers.Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=16, verbose=1)
    err = capsys.readouterr().err  # tqdm writes to stderr
    assert "loss:" in err and "accuracy:" in err and "16/16" in err
