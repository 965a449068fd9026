"""Evaluation metrics as plain functions on array-likes (NumPy arrays, lists, ironnet Tensors).

Names and semantics follow scikit-learn (``accuracy_score``, ``precision_score``, ...), plus the
Keras accuracy helpers that take probabilities (``binary_accuracy``, ``categorical_accuracy``,
``sparse_categorical_accuracy``), perplexity for language models and corpus BLEU (``bleu``, in
``metrics_text``) for generated text. Every function returns a
Python float (``confusion_matrix`` an int64 array) and computes in float64.

Zero division: where scikit-learn's default ``zero_division="warn"`` would warn and return 0.0
(precision with no predicted positives, recall with no true positives, F1 with neither), these
functions return 0.0 without a warning.
"""
from __future__ import annotations

import numpy as np

from .metrics_text import bleu

__all__ = [
    "accuracy_score",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "precision_score",
    "recall_score",
    "f1_score",
    "confusion_matrix",
    "mean_squared_error",
    "mean_absolute_error",
    "r2_score",
    "perplexity",
    "perplexity_from_probs",
    "bleu",
]


def _pair(name: str, y_true, y_pred, same_shape: bool = True) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(y_true)
    b = np.asarray(y_pred)
    if (a.shape != b.shape) if same_shape else (a.shape[:1] != b.shape[:1]):
        raise ValueError(
            f"{name}: y_true has shape {a.shape} but y_pred has shape {b.shape}; "
            + ("they must match" if same_shape else "they must have the same length")
        )
    if a.size == 0:
        raise ValueError(f"{name}: empty inputs (shape {a.shape})")
    return a, b


def _labels(name: str, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D label vectors of the same length (an (N, 1) column is accepted and flattened)."""
    a, b = _pair(name, y_true, y_pred)
    if a.ndim == 2 and a.shape[1] == 1:
        a, b = a[:, 0], b[:, 0]
    if a.ndim != 1:
        raise ValueError(
            f"{name}: expects 1-D class labels, got shape {a.shape}; for probabilities use "
            "categorical_accuracy / sparse_categorical_accuracy, or argmax them first"
        )
    return a, b


def accuracy_score(y_true, y_pred) -> float:
    """Fraction of labels predicted exactly. y_true, y_pred: (N,) class labels."""
    a, b = _labels("accuracy_score", y_true, y_pred)
    return float(np.mean(a == b))


def binary_accuracy(y_true, y_prob, threshold: float = 0.5) -> float:
    """Keras's binary accuracy: mean of ``y_true == (y_prob > threshold)``. Shapes: equal, any."""
    a, p = _pair("binary_accuracy", y_true, y_prob)
    return float(np.mean(a.astype(np.float64) == (p > threshold)))


def categorical_accuracy(y_true_onehot, y_prob) -> float:
    """Keras's categorical accuracy. y_true_onehot, y_prob: (N, C); compares argmaxes."""
    a, p = _pair("categorical_accuracy", y_true_onehot, y_prob)
    if a.ndim < 2:
        raise ValueError(f"categorical_accuracy: expects (N, C) one-hot targets, got shape {a.shape}")
    return float(np.mean(np.argmax(a, axis=-1) == np.argmax(p, axis=-1)))


def sparse_categorical_accuracy(y_true, y_prob) -> float:
    """Keras's sparse categorical accuracy. y_true: (N,) or (N, 1) labels; y_prob: (N, C)."""
    a = np.asarray(y_true)
    p = np.asarray(y_prob)
    if a.ndim == p.ndim and a.shape[-1:] == (1,):
        a = a[..., 0]
    if p.ndim < 2 or a.shape != p.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_accuracy: y_true has shape {np.asarray(y_true).shape} but "
            f"y_prob has shape {p.shape}; expected labels (N,) and scores (N, C)"
        )
    if a.size == 0:
        raise ValueError(f"sparse_categorical_accuracy: empty inputs (shape {a.shape})")
    return float(np.mean(a == np.argmax(p, axis=-1)))


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0.0 where den == 0 (scikit-learn's zero_division result, silently)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _counts(name: str, y_true, y_pred, average: str, pos_label):
    """Per-class (tp, fp, fn) for the classes the average is over."""
    a, b = _labels(name, y_true, y_pred)
    present = np.union1d(a, b)
    if average == "binary":
        if present.size > 2:
            raise ValueError(
                f"{name}: average='binary' needs at most 2 labels, got {present.size} "
                f"({present.tolist()[:10]}); use average='macro' for multiclass"
            )
        if present.size == 2 and pos_label not in present:
            raise ValueError(f"{name}: pos_label={pos_label!r} is not one of the labels {present.tolist()}")
        classes = np.asarray([pos_label])
    elif average == "macro":
        classes = present
    else:
        raise ValueError(f"{name}: average must be 'binary' or 'macro', got {average!r}")
    t = a[None, :] == classes[:, None]
    p = b[None, :] == classes[:, None]
    tp = np.sum(t & p, axis=1)
    fp = np.sum(~t & p, axis=1)
    fn = np.sum(t & ~p, axis=1)
    return tp, fp, fn


def precision_score(y_true, y_pred, average: str = "binary", pos_label=1) -> float:
    """tp / (tp + fp) for ``pos_label`` ('binary') or averaged over the classes ('macro').

    y_true, y_pred: (N,) labels. 0.0 (no warning) for a class never predicted.
    """
    tp, fp, _ = _counts("precision_score", y_true, y_pred, average, pos_label)
    return float(np.mean(_safe_div(tp, tp + fp)))


def recall_score(y_true, y_pred, average: str = "binary", pos_label=1) -> float:
    """tp / (tp + fn); see precision_score. 0.0 (no warning) for a class absent from y_true."""
    tp, _, fn = _counts("recall_score", y_true, y_pred, average, pos_label)
    return float(np.mean(_safe_div(tp, tp + fn)))


def f1_score(y_true, y_pred, average: str = "binary", pos_label=1) -> float:
    """2 tp / (2 tp + fp + fn) per class (harmonic mean of precision and recall); 'macro' is the
    unweighted mean of the per-class F1, as in scikit-learn."""
    tp, fp, fn = _counts("f1_score", y_true, y_pred, average, pos_label)
    return float(np.mean(_safe_div(2 * tp, 2 * tp + fp + fn)))


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of samples with true class i predicted as j (rows true, columns predicted).

    y_true, y_pred: (N,) labels. With ``num_classes`` the labels must be integers in
    [0, num_classes) and C is (num_classes, num_classes); without it, as in scikit-learn, the
    classes are the sorted labels present in either input. Returns int64.
    """
    a, b = _labels("confusion_matrix", y_true, y_pred)
    if num_classes is None:
        classes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
        k = classes.size
        ia, ib = inverse[: a.size], inverse[a.size :]
    else:
        k = int(num_classes)
        if k <= 0:
            raise ValueError(f"confusion_matrix: num_classes must be positive, got {num_classes}")
        for which, v in (("y_true", a), ("y_pred", b)):
            if not np.issubdtype(v.dtype, np.integer) or v.min() < 0 or v.max() >= k:
                raise ValueError(
                    f"confusion_matrix: {which} must hold integer labels in [0, {k}), "
                    f"got {v.dtype} values in [{v.min()}, {v.max()}]"
                )
        ia, ib = a.astype(np.int64), b.astype(np.int64)
    return np.bincount(ia * k + ib, minlength=k * k).astype(np.int64).reshape(k, k)


def _regression(name: str, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    a, b = _pair(name, y_true, y_pred)
    if a.ndim > 2:
        raise ValueError(f"{name}: expects (N,) or (N, outputs), got shape {a.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def mean_squared_error(y_true, y_pred) -> float:
    """Mean of (y_true - y_pred)^2. Shapes (N,) or (N, outputs), averaged uniformly."""
    a, b = _regression("mean_squared_error", y_true, y_pred)
    return float(np.mean((a - b) ** 2))


def mean_absolute_error(y_true, y_pred) -> float:
    """Mean of |y_true - y_pred|. Shapes (N,) or (N, outputs), averaged uniformly."""
    a, b = _regression("mean_absolute_error", y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def r2_score(y_true, y_pred) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot, per output then averaged uniformly.

    Shapes (N,) or (N, outputs). For a constant y_true (SS_tot = 0) an output scores 1.0 when
    predicted exactly and 0.0 otherwise, as scikit-learn's default ``force_finite=True``.
    """
    a, b = _regression("r2_score", y_true, y_pred)
    if a.shape[0] < 2:
        raise ValueError(f"r2_score: needs at least 2 samples, got shape {a.shape}")
    ss_res = np.atleast_1d(np.sum((a - b) ** 2, axis=0))
    ss_tot = np.atleast_1d(np.sum((a - np.mean(a, axis=0)) ** 2, axis=0))
    score = np.where(ss_res == 0, 1.0, 0.0)
    nz = ss_tot != 0
    score[nz] = 1.0 - ss_res[nz] / ss_tot[nz]
    return float(np.mean(score))


def perplexity(mean_cross_entropy_nats: float) -> float:
    """exp(mean cross-entropy in nats), e.g. of a language model's per-token loss."""
    return float(np.exp(np.float64(mean_cross_entropy_nats)))


def perplexity_from_probs(y_true, y_prob) -> float:
    """exp(-mean log p[y_true]). y_true: (...) integer labels; y_prob: (..., C) probabilities.

    Returns inf when a true class has probability 0.
    """
    a = np.asarray(y_true)
    p = np.asarray(y_prob, dtype=np.float64)
    if p.ndim < 1 or a.shape != p.shape[:-1]:
        raise ValueError(
            f"perplexity_from_probs: y_true has shape {a.shape} but y_prob has shape {p.shape}; "
            "expected labels (...) and probabilities (..., C)"
        )
    if a.size == 0:
        raise ValueError(f"perplexity_from_probs: empty inputs (shape {a.shape})")
    if not np.issubdtype(a.dtype, np.integer) or a.min() < 0 or a.max() >= p.shape[-1]:
        raise ValueError(
            f"perplexity_from_probs: y_true must hold integer labels in [0, {p.shape[-1]})"
        )
    picked = np.take_along_axis(p, a[..., None].astype(np.int64), axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        return float(np.exp(-np.mean(np.log(picked))))
