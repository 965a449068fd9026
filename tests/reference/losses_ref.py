"""float64 references for the Keras losses ("sum_over_batch_size" reduction): each returns
(loss, d(loss)/d(y_pred)). Written from the definitions, independently of the native kernels; each
gradient is checked by finite differences in tests/test_losses.py.

Keras clips probabilities in float32, so the clip bounds are float32 values: [1e-7, 1 - 1e-7] rounded.
"""
import numpy as np

LO = float(np.float32(1e-7))
HI = float(np.float32(1.0) - np.float32(1e-7))


def _f64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def mse_ref(t, p):
    t, p = _f64(t, p)
    n = max(p.size, 1)
    return float(((p - t) ** 2).sum() / n), 2.0 * (p - t) / n


def mae_ref(t, p):
    t, p = _f64(t, p)
    n = max(p.size, 1)
    return float(np.abs(p - t).sum() / n), np.sign(p - t) / n


def huber_ref(t, p, delta=1.0):
    t, p = _f64(t, p)
    n = max(p.size, 1)
    e = p - t
    small = np.abs(e) <= delta
    loss = np.where(small, 0.5 * e * e, delta * np.abs(e) - 0.5 * delta * delta)
    grad = np.where(small, e, delta * np.sign(e))
    return float(loss.sum() / n), grad / n


def bce_ref(t, p):
    """Probabilities: clip, then -(t log p + (1 - t) log(1 - p)); the clip stops the gradient outside."""
    t, p = _f64(t, p)
    n = max(p.size, 1)
    c = np.clip(p, LO, HI)
    loss = -(t * np.log(c) + (1 - t) * np.log(1 - c))
    inside = (p >= LO) & (p <= HI)
    grad = np.where(inside, -t / c + (1 - t) / (1 - c), 0.0)
    return float(loss.sum() / n), grad / n


def bce_logits_ref(t, x):
    """Logits: -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))), written stably with logaddexp."""
    t, x = _f64(t, x)
    n = max(x.size, 1)
    loss = t * np.logaddexp(0.0, -x) + (1 - t) * np.logaddexp(0.0, x)
    sig = np.exp(-np.logaddexp(0.0, -x))
    return float(loss.sum() / n), (sig - t) / n


def _rows(a):
    return max(a.size // a.shape[-1], 1) if a.ndim else 1


def cce_ref(t, p):
    """Probabilities: rows normalized to sum 1, clipped, -sum t log q over the last axis, mean over rows."""
    t, p = _f64(t, p)
    rows = _rows(p)
    s = p.sum(-1, keepdims=True)
    q = p / s
    c = np.clip(q, LO, HI)
    loss = -(t * np.log(c)).sum(-1)
    # Chain rule through the clip (dL/dq_j = -t_j / q_j inside it) and the normalization
    # (dq_j/dp_k = (delta_jk - q_j) / s).
    dq = np.where((q >= LO) & (q <= HI), -t / c, 0.0)
    grad = (dq - (dq * q).sum(-1, keepdims=True)) / s
    return float(loss.sum() / rows), grad / rows


def cce_logits_ref(t, x):
    t, x = _f64(t, x)
    rows = _rows(x)
    m = x.max(-1, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(-1, keepdims=True))
    log_softmax = x - lse
    loss = -(t * log_softmax).sum(-1)
    grad = np.exp(log_softmax) * t.sum(-1, keepdims=True) - t
    return float(loss.sum() / rows), grad / rows


def one_hot(labels, classes):
    labels = np.asarray(labels).reshape(-1)
    out = np.zeros((labels.size, classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def sparse_cce_ref(labels, p, from_logits):
    """The categorical reference against one-hot labels."""
    p = np.asarray(p, dtype=np.float64)
    t = one_hot(labels, p.shape[-1]).reshape(p.shape)
    return (cce_logits_ref if from_logits else cce_ref)(t, p)
