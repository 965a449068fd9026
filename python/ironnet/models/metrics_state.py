"""The metrics fit and evaluate report: names resolved against the loss (as Keras does for
'accuracy'), computed over a whole epoch's predictions so every metric is exact."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

from .. import metrics as M

MetricFn = Callable[[np.ndarray, np.ndarray], float]


def _accuracy_for(loss_name: str) -> MetricFn:
    """Keras picks the accuracy that matches the labels the loss takes."""
    if "sparse_categorical" in loss_name:
        return M.sparse_categorical_accuracy
    if "categorical" in loss_name:
        return M.categorical_accuracy
    return M.binary_accuracy


def _labels_for(loss_name: str, y_true: np.ndarray, y_pred: np.ndarray) -> Tuple[np.ndarray, np.ndarray, str]:
    """(true labels, predicted labels, average) for precision/recall/F1.

    Binary (a binary crossentropy loss, or one output per sample): probabilities thresholded at 0.5,
    labels too, every element counted (a multi-label output is pooled, as Keras's Precision does),
    scored for the positive class. Several outputs per sample (softmax): the argmax is the
    predicted class and the true class is the label (sparse losses) or the argmax of the one-hot
    row; scores are macro-averaged over the classes present in either, as scikit-learn's
    average='macro' (every class counts the same, whatever its size).
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    classes = p.shape[-1] if p.ndim >= 2 else 1
    if "binary" in loss_name or classes == 1:
        return (t.reshape(-1) > 0.5).astype(np.int64), (p.reshape(-1) > 0.5).astype(np.int64), "binary"
    pred = np.argmax(p, axis=-1).reshape(-1)
    if t.shape == p.shape:  # one-hot targets
        true = np.argmax(t, axis=-1).reshape(-1)
    else:
        true = t.reshape(-1).astype(np.int64)
    return true, pred, "macro"


def _classification(name: str, score: Callable[..., float], loss_name: str) -> MetricFn:
    def metric(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        true, pred, average = _labels_for(loss_name, y_true, y_pred)
        return score(true, pred, average=average)

    metric.__name__ = name
    return metric


def _perplexity(loss_name: str, from_logits: bool) -> MetricFn:
    """exp(the epoch's mean sparse categorical crossentropy), with the probabilities clipped to
    [1e-7, 1 - 1e-7] as the loss clips them, so it equals exp(loss) up to float32 rounding."""
    if "sparse_categorical" not in loss_name:
        raise ValueError(
            f"metric 'perplexity' needs a sparse categorical crossentropy loss (labels against per-class "
            f"probabilities), got loss {loss_name!r}"
        )

    def perplexity(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        p = np.asarray(y_pred, np.float64)
        if from_logits:
            p = np.exp(p - p.max(axis=-1, keepdims=True))
            p /= p.sum(axis=-1, keepdims=True)
        t = np.asarray(y_true)
        if t.ndim == p.ndim and t.shape[-1:] == (1,):
            t = t[..., 0]
        return M.perplexity_from_probs(t.astype(np.int64), np.clip(p, 1e-7, 1.0 - 1e-7))

    return perplexity


def resolve(names: Sequence[Any], loss_name: str, from_logits: bool = False) -> List[Tuple[str, MetricFn]]:
    """(log name, fn(y_true, y_pred)) for each compile() metric: 'accuracy'/'acc', 'mse', 'mae', 'r2_score',
    'precision', 'recall', 'f1_score' (see _labels_for for binary against softmax outputs),
    'perplexity' (sparse categorical losses), or a callable (logged under its __name__).
    from_logits: the loss takes logits, so perplexity applies a softmax first."""
    out: List[Tuple[str, MetricFn]] = []
    table = {
        "mse": ("mse", M.mean_squared_error),
        "mean_squared_error": ("mean_squared_error", M.mean_squared_error),
        "mae": ("mae", M.mean_absolute_error),
        "mean_absolute_error": ("mean_absolute_error", M.mean_absolute_error),
        "r2_score": ("r2_score", M.r2_score),
    }
    scores = {"precision": M.precision_score, "recall": M.recall_score, "f1_score": M.f1_score}
    for name in names:
        if callable(name):
            out.append((getattr(name, "__name__", "metric"), name))
        elif name in ("accuracy", "acc"):
            out.append(("accuracy", _accuracy_for(loss_name)))
        elif name in table:
            out.append(table[name])
        elif name in scores:
            out.append((name, _classification(name, scores[name], loss_name)))
        elif name == "perplexity":
            out.append((name, _perplexity(loss_name, from_logits)))
        else:
            raise ValueError(
                f"unknown metric {name!r}: expected 'accuracy', 'mse', 'mae', 'r2_score', 'precision', 'recall', "
                "'f1_score', 'perplexity' or a callable"
            )
    return out


def mean_metric(fn: MetricFn, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """A metric on flattened regression outputs where needed (MSE/MAE/R² compare like shapes)."""
    if fn in (M.mean_squared_error, M.mean_absolute_error, M.r2_score):
        return float(fn(np.asarray(y_true, np.float64).reshape(-1), np.asarray(y_pred, np.float64).reshape(-1)))
    return float(fn(y_true, y_pred))


# Metrics that are means over samples: their batch values, weighted by batch size, combine exactly
# into the epoch's value, so the progress bar can show them running. (Precision, recall, F1, R² and
# perplexity do not combine that way; they appear at the end of the epoch.)
_SAMPLE_MEANS = (M.binary_accuracy, M.categorical_accuracy, M.sparse_categorical_accuracy,
                 M.mean_squared_error, M.mean_absolute_error)


def is_sample_mean(fn: MetricFn) -> bool:
    return fn in _SAMPLE_MEANS
