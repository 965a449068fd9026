"""float64 reference for the Jordan network (tanh hidden and output activations), step by step:

    h_t = tanh(x_t W + y_{t-1} U + b),  yn_t = tanh(h_t V + c)
    y_t = m_t yn_t + (1 - m_t) y_{t-1}   (the carried state; m_t = 0 at padded steps)
    out_t = m_t yn_t                     (every step's output, 0 at padded steps)

`jordan_backward` is hand-written backprop through time; test_recurrent_layers.py checks it by
finite differences before comparing the layer's gradients with it.
"""
import numpy as np


def _order(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def jordan_forward(x, W, U, b, V, c, y0=None, mask=None, reverse=False):
    """x: (B, T, I); W (I, H), U (O, H), b (H,), V (H, O), c (O,); y0: (B, O) or None; mask: (B, T).
    Returns (out (B, T, O), y_last (B, O), cache for the backward)."""
    batch, steps, _ = x.shape
    m = np.ones((batch, steps)) if mask is None else np.asarray(mask, np.float64)
    y = np.zeros((batch, V.shape[1])) if y0 is None else np.asarray(y0, np.float64)
    out = np.zeros((batch, steps, V.shape[1]))
    cache = []
    for t in _order(steps, reverse):
        h = np.tanh(x[:, t] @ W + y @ U + b)
        yn = np.tanh(h @ V + c)
        mt = m[:, t:t + 1]
        cache.append((t, y, h, yn, mt))
        out[:, t] = mt * yn
        y = mt * yn + (1 - mt) * y
    return out, y, cache


def jordan_backward(x, W, U, V, cache, g_out, g_last):
    """Gradients of sum(g_out * out) + sum(g_last * y_last) w.r.t. x, W, U, b, V, c, y0."""
    grads = {k: np.zeros_like(v) for k, v in (("x", x), ("W", W), ("U", U), ("V", V))}
    grads["b"], grads["c"] = np.zeros(W.shape[1]), np.zeros(V.shape[1])
    dy = np.array(g_last, np.float64)
    for t, y_prev, h, yn, mt in reversed(cache):
        dyn = mt * (dy + g_out[:, t])
        dy_prev = (1 - mt) * dy
        do = dyn * (1 - yn ** 2)
        grads["V"] += h.T @ do
        grads["c"] += do.sum(0)
        da = (do @ V.T) * (1 - h ** 2)
        grads["W"] += x[:, t].T @ da
        grads["b"] += da.sum(0)
        grads["x"][:, t] = da @ W.T
        grads["U"] += y_prev.T @ da
        dy = dy_prev + da @ U.T
    grads["y0"] = dy
    return grads
