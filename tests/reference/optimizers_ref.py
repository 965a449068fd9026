"""float64 references of Keras 3's optimizer updates, written from its documented formulas."""
import numpy as np


def transform_grads(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    grads = [g.astype(np.float64) for g in grads]
    if clipnorm is not None:
        grads = [g * clipnorm / max(np.sqrt(np.sum(g * g)), clipnorm) for g in grads]
    if global_clipnorm is not None:
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        grads = [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
    if clipvalue is not None:
        grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def decay(w, lr, weight_decay):
    return w - w * (weight_decay or 0.0) * lr


def sgd_step(w, g, state, lr, momentum=0.0, nesterov=False, weight_decay=None):
    w = decay(w, lr, weight_decay)
    if momentum == 0.0:
        return w - lr * g, state
    v = momentum * state.get("v", np.zeros_like(w)) - lr * g
    w = w + (momentum * v - lr * g if nesterov else v)
    return w, {"v": v}


def rmsprop_step(w, g, state, lr, rho=0.9, momentum=0.0, epsilon=1e-7, weight_decay=None):
    w = decay(w, lr, weight_decay)
    s = rho * state.get("s", np.zeros_like(w)) + (1 - rho) * g * g
    increment = lr * g / np.sqrt(s + epsilon)
    if momentum:
        m = momentum * state.get("m", np.zeros_like(w)) + increment
        return w - m, {"s": s, "m": m}
    return w - increment, {"s": s}


def adam_step(w, g, state, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None):
    w = decay(w, lr, weight_decay)
    m = beta_1 * state.get("m", np.zeros_like(w)) + (1 - beta_1) * g
    v = beta_2 * state.get("v", np.zeros_like(w)) + (1 - beta_2) * g * g
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), {"m": m, "v": v}
