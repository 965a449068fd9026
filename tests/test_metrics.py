"""ironnet.metrics against scikit-learn (the oracle) on random inputs, edge cases and errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

import ironnet
from ironnet import metrics


def _labels(rng, n, k):
    return rng.integers(0, k, n), rng.integers(0, k, n)


@pytest.mark.parametrize("n", [1, 7, 101])
@pytest.mark.parametrize("k", [2, 3, 10])
def test_accuracy_and_confusion_matrix(rng, n, k):
    y, p = _labels(rng, n, k)
    assert metrics.accuracy_score(y, p) == pytest.approx(skm.accuracy_score(y, p), abs=1e-15)
    with warnings.catch_warnings():  # the oracle warns when a single label is present
        warnings.simplefilter("ignore", UserWarning)
        expected = skm.confusion_matrix(y, p)
    np.testing.assert_array_equal(metrics.confusion_matrix(y, p), expected)
    full = metrics.confusion_matrix(y, p, num_classes=k)
    np.testing.assert_array_equal(full, skm.confusion_matrix(y, p, labels=np.arange(k)))
    assert full.dtype == np.int64 and full.sum() == n


def test_confusion_matrix_rows_are_true_classes():
    cm = metrics.confusion_matrix([0, 0, 1, 2], [1, 1, 1, 0], num_classes=4)
    expected = np.zeros((4, 4), np.int64)
    expected[0, 1], expected[1, 1], expected[2, 0] = 2, 1, 1
    np.testing.assert_array_equal(cm, expected)
    # Non-integer labels, as scikit-learn: the sorted labels present.
    np.testing.assert_array_equal(
        metrics.confusion_matrix(["b", "a", "b"], ["b", "b", "c"]),
        skm.confusion_matrix(["b", "a", "b"], ["b", "b", "c"]),
    )


@pytest.mark.parametrize("fn", ["precision_score", "recall_score", "f1_score"])
@pytest.mark.parametrize("n", [1, 5, 64, 257])
def test_binary_scores(rng, fn, n):
    for pos_label in (1, 0):
        y, p = _labels(rng, n, 2)
        ours = getattr(metrics, fn)(y, p, pos_label=pos_label)
        theirs = getattr(skm, fn)(y, p, pos_label=pos_label, zero_division=0.0)
        assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("fn", ["precision_score", "recall_score", "f1_score"])
@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("n", [4, 50, 301])
def test_macro_scores(rng, fn, k, n):
    y, p = _labels(rng, n, k)
    ours = getattr(metrics, fn)(y, p, average="macro")
    theirs = getattr(skm, fn)(y, p, average="macro", zero_division=0.0)
    assert ours == pytest.approx(theirs, abs=1e-12)


EDGE_CASES = {
    "all one class, all right": ([1, 1, 1], [1, 1, 1]),
    "all one class, all wrong": ([1, 1, 1], [0, 0, 0]),
    "no positives at all": ([0, 0, 0], [0, 0, 0]),
    "positive never predicted": ([1, 0, 1, 0], [0, 0, 0, 0]),
    "positive never true": ([0, 0, 0, 0], [1, 0, 1, 0]),
    "macro: a class only predicted": ([0, 1, 1, 0], [0, 2, 1, 0]),
    "macro: a class only true": ([0, 2, 1, 0, 2], [0, 1, 1, 0, 1]),
}


@pytest.mark.parametrize("case", EDGE_CASES, ids=list(EDGE_CASES))
@pytest.mark.parametrize("fn", ["precision_score", "recall_score", "f1_score", "accuracy_score"])
def test_edge_cases_match_sklearn_without_warnings(case, fn):
    y, p = EDGE_CASES[case]
    if fn == "accuracy_score":
        assert metrics.accuracy_score(y, p) == skm.accuracy_score(y, p)
        return
    average = "macro" if case.startswith("macro") else "binary"
    ours = getattr(metrics, fn)(y, p, average=average)  # warnings are errors in this suite
    theirs = getattr(skm, fn)(y, p, average=average, zero_division=0.0)
    assert ours == pytest.approx(theirs, abs=1e-12)


def test_string_labels_binary_and_macro():
    y = ["cat", "dog", "dog", "cat", "dog"]
    p = ["cat", "cat", "dog", "dog", "dog"]
    assert metrics.f1_score(y, p, pos_label="dog") == pytest.approx(
        skm.f1_score(y, p, pos_label="dog"))
    assert metrics.recall_score(y, p, average="macro") == pytest.approx(
        skm.recall_score(y, p, average="macro"))


@pytest.mark.parametrize("shape", [(1,), (2,), (13,), (40, 3)])
def test_regression(rng, shape):
    y = rng.normal(size=shape)
    p = y + rng.normal(scale=0.5, size=shape)
    assert metrics.mean_squared_error(y, p) == pytest.approx(skm.mean_squared_error(y, p), rel=1e-12)
    assert metrics.mean_absolute_error(y, p) == pytest.approx(skm.mean_absolute_error(y, p), rel=1e-12)
    if shape[0] >= 2:
        assert metrics.r2_score(y, p) == pytest.approx(skm.r2_score(y, p), rel=1e-12)


@pytest.mark.parametrize(
    "y, p",
    [([3.0, 3.0, 3.0], [3.0, 3.0, 3.0]),  # constant target, perfect: 1.0
     ([3.0, 3.0, 3.0], [3.0, 2.0, 3.0]),  # constant target, imperfect: 0.0
     ([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]], [[1.5, 5.0], [2.0, 5.0], [3.0, 5.0]]),
     ([1, 2, 3, 4], [4, 3, 2, 1])],  # worse than the mean: negative
)
def test_r2_edge_cases(y, p):
    assert metrics.r2_score(y, p) == pytest.approx(skm.r2_score(y, p), rel=1e-12)


def test_probability_accuracies_match_keras_definitions(rng):
    n, c = 53, 6
    logits = rng.normal(size=(n, c))
    y = rng.integers(0, c, n)
    onehot = np.eye(c)[y]
    expected = skm.accuracy_score(y, logits.argmax(1))
    assert metrics.sparse_categorical_accuracy(y, logits) == pytest.approx(expected)
    assert metrics.sparse_categorical_accuracy(y[:, None], logits) == pytest.approx(expected)
    assert metrics.categorical_accuracy(onehot, logits) == pytest.approx(expected)

    prob = rng.random(n)
    yb = rng.integers(0, 2, n)
    assert metrics.binary_accuracy(yb, prob) == pytest.approx(skm.accuracy_score(yb, prob > 0.5))
    assert metrics.binary_accuracy(yb, prob, threshold=0.8) == pytest.approx(
        skm.accuracy_score(yb, prob > 0.8))
    assert metrics.binary_accuracy([1.0, 0.0], [0.5, 0.5]) == 0.5  # strictly greater, as Keras


def test_perplexity(rng):
    assert metrics.perplexity(0.0) == 1.0
    assert metrics.perplexity(math.log(50.0)) == pytest.approx(50.0)
    # A uniform model over V classes has perplexity V.
    assert metrics.perplexity_from_probs([0, 3, 2], np.full((3, 4), 0.25)) == pytest.approx(4.0)
    logits = rng.normal(size=(2, 5, 11))  # (batch, time, vocab)
    prob = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y = rng.integers(0, 11, (2, 5))
    ce = skm.log_loss(y.ravel(), prob.reshape(-1, 11), labels=np.arange(11))
    assert metrics.perplexity_from_probs(y, prob) == pytest.approx(math.exp(ce), rel=1e-12)
    assert metrics.perplexity_from_probs([0], [[0.0, 1.0]]) == math.inf


def test_accepts_ironnet_tensors_and_lists():
    y = ironnet.tensor(np.array([0.0, 1.0, 1.0, 2.0], np.float32))
    p = ironnet.tensor(np.array([0.0, 1.0, 2.0, 2.0], np.float32))
    assert metrics.accuracy_score(y, p) == 0.75
    assert metrics.mean_absolute_error(y, p) == 0.25
    assert metrics.f1_score([0, 1, 1], [0, 1, 0]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "fn",
    ["accuracy_score", "precision_score", "recall_score", "f1_score", "confusion_matrix",
     "mean_squared_error", "mean_absolute_error", "r2_score", "binary_accuracy",
     "categorical_accuracy"],
)
def test_length_mismatch_names_both_shapes(fn):
    with pytest.raises(ValueError, match=rf"{fn}: y_true has shape \(3,\) but y_pred has shape \(4,\)"):
        getattr(metrics, fn)(np.zeros(3), np.zeros(4))


def test_errors():
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy: y_true has shape \(3,\) "
                                         r"but y_prob has shape \(4, 2\)"):
        metrics.sparse_categorical_accuracy([0, 1, 0], np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"perplexity_from_probs: y_true has shape \(2,\) "
                                         r"but y_prob has shape \(3, 5\)"):
        metrics.perplexity_from_probs([0, 1], np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"labels in \[0, 5\)"):
        metrics.perplexity_from_probs([0, 5], np.full((2, 5), 0.2))
    with pytest.raises(ValueError, match="average='binary' needs at most 2 labels"):
        metrics.f1_score([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match=r"pos_label=1 is not one of the labels \[2, 3\]"):
        metrics.precision_score([2, 3], [3, 3])
    with pytest.raises(ValueError, match="average must be 'binary' or 'macro'"):
        metrics.recall_score([0, 1], [0, 1], average="micro")
    with pytest.raises(ValueError, match="expects 1-D class labels"):
        metrics.accuracy_score(np.zeros((3, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"y_pred must hold integer labels in \[0, 3\)"):
        metrics.confusion_matrix([0, 1], [0, 3], num_classes=3)
    with pytest.raises(ValueError, match="empty inputs"):
        metrics.accuracy_score([], [])
    with pytest.raises(ValueError, match="at least 2 samples"):
        metrics.r2_score([1.0], [1.0])
