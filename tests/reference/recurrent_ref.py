"""NumPy float64 references for LSTM, GRU (both forms) and simple RNN sequences, forward and backward.

Written step by step from the cell equations (Keras's layouts: kernel (I, k*H), recurrent_kernel
(H, k*H), gates LSTM i, f, c, o; GRU z, r, h), with backprop through time by hand. Conventions match
ironnet.ops.lstm/gru/simple_rnn: mask (B, T) False = padded step (state carried, y = 0), reverse runs
t = T-1 ... 0 with y aligned to the inputs, recurrent_mask (B, H) multiplies h_{t-1} before it meets
the recurrent kernel. test_recurrent_ops.py checks these against finite differences.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1}


def activation(name: str, v: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(v)
    if name == "relu":
        return np.maximum(v, 0.0)
    if name in ("sigmoid",):
        return 1.0 / (1.0 + np.exp(-v))
    if name == "hard_sigmoid":
        return np.clip((v + 3.0) / 6.0, 0.0, 1.0)
    if name == "linear":
        return v.copy()
    raise ValueError(name)


def derivative_from_output(name: str, y: np.ndarray) -> np.ndarray:
    """f'(x) written with y = f(x)."""
    if name == "tanh":
        return 1.0 - y * y
    if name == "relu":
        return (y > 0).astype(np.float64)
    if name == "sigmoid":
        return y * (1.0 - y)
    if name == "hard_sigmoid":
        return ((y > 0) & (y < 1)) / 6.0
    if name == "linear":
        return np.ones_like(y)
    raise ValueError(name)


def forward(cell: str, x, kernel, recurrent_kernel, bias=None, h0=None, c0=None, mask=None, *, reverse=False,
            recurrent_mask=None, reset_after=True, activation_name="tanh", recurrent_activation="sigmoid"):
    """Returns (y (B, T, H), h_last (B, H), c_last (B, H) or None, cache for backward)."""
    x = np.asarray(x, np.float64)
    W, U = np.asarray(kernel, np.float64), np.asarray(recurrent_kernel, np.float64)
    B, T, _ = x.shape
    H = U.shape[0]
    act = lambda v: activation(activation_name, v)  # noqa: E731
    gate = lambda v: activation(recurrent_activation, v)  # noqa: E731
    if bias is None:
        b_in, b_rec = np.zeros(W.shape[1]), np.zeros(W.shape[1])
    elif cell == "gru" and reset_after:
        b_in, b_rec = np.asarray(bias, np.float64)[0], np.asarray(bias, np.float64)[1]
    else:
        b_in, b_rec = np.asarray(bias, np.float64), np.zeros(W.shape[1])
    h = np.zeros((B, H)) if h0 is None else np.array(h0, np.float64)
    c = np.zeros((B, H)) if c0 is None else np.array(c0, np.float64)
    rm = np.ones((B, H)) if recurrent_mask is None else np.asarray(recurrent_mask, np.float64)
    keep_all = np.ones((B, T), bool) if mask is None else np.asarray(mask, bool)
    y = np.zeros((B, T, H))
    steps: List[Dict[str, np.ndarray]] = []
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        keep = keep_all[:, t][:, None]
        hm = h * rm
        xp = x[:, t] @ W + b_in
        s = {"t": t, "keep": keep, "h_prev": h, "c_prev": c, "hm": hm}
        if cell == "lstm":
            z = xp + hm @ U + b_rec
            s["i"], s["f"], s["cc"], s["o"] = gate(z[:, :H]), gate(z[:, H:2 * H]), act(z[:, 2 * H:3 * H]), gate(z[:, 3 * H:])
            c_new = s["f"] * c + s["i"] * s["cc"]
            s["ac"] = act(c_new)
            h_new = s["o"] * s["ac"]
        elif cell == "gru":
            if reset_after:
                rec = hm @ U + b_rec
                s["z"], s["r"] = gate(xp[:, :H] + rec[:, :H]), gate(xp[:, H:2 * H] + rec[:, H:2 * H])
                s["rec_h"] = rec[:, 2 * H:]
                s["hh"] = act(xp[:, 2 * H:] + s["r"] * s["rec_h"])
            else:
                rec = hm @ U[:, :2 * H]
                s["z"], s["r"] = gate(xp[:, :H] + rec[:, :H]), gate(xp[:, H:2 * H] + rec[:, H:])
                s["rh"] = s["r"] * hm
                s["hh"] = act(xp[:, 2 * H:] + s["rh"] @ U[:, 2 * H:])
            h_new = s["z"] * h + (1.0 - s["z"]) * s["hh"]
            c_new = c
        else:
            h_new = act(xp + hm @ U + b_rec)
            s["h_new"] = h_new
            c_new = c
        y[:, t] = np.where(keep, h_new, 0.0)
        h = np.where(keep, h_new, h)
        c = np.where(keep, c_new, c)
        steps.append(s)
    cache = dict(cell=cell, x=x, W=W, U=U, rm=rm, steps=steps, reset_after=reset_after,
                 act=activation_name, gate=recurrent_activation, has_bias=bias is not None)
    return y, h, (c if cell == "lstm" else None), cache


def backward(cache, dy, dh_last=None, dc_last=None) -> Dict[str, Optional[np.ndarray]]:
    """Gradients of sum(y * dy) + sum(h_last * dh_last) + sum(c_last * dc_last) w.r.t. every input:
    keys x, kernel, recurrent_kernel, bias (None without bias), h0, c0 (LSTM)."""
    cell, x, W, U, rm = cache["cell"], cache["x"], cache["W"], cache["U"], cache["rm"]
    B, T, _ = x.shape
    H = U.shape[0]
    dact = lambda y: derivative_from_output(cache["act"], y)  # noqa: E731
    dgate = lambda y: derivative_from_output(cache["gate"], y)  # noqa: E731
    dy = np.asarray(dy, np.float64)
    dh = np.zeros((B, H)) if dh_last is None else np.array(dh_last, np.float64)
    dc = np.zeros((B, H)) if dc_last is None else np.array(dc_last, np.float64)
    dx, dW, dU = np.zeros_like(x), np.zeros_like(W), np.zeros_like(U)
    db_in, db_rec = np.zeros(W.shape[1]), np.zeros(W.shape[1])
    for s in reversed(cache["steps"]):
        t, keep = s["t"], s["keep"]
        dh_tot = dh + np.where(keep, dy[:, t], 0.0)
        dc_new = dc
        direct = np.zeros((B, H))
        if cell == "lstm":
            dct = dc + dh_tot * s["o"] * dact(s["ac"])
            d_in = np.concatenate([dct * s["cc"] * dgate(s["i"]), dct * s["c_prev"] * dgate(s["f"]),
                                   dct * s["i"] * dact(s["cc"]), dh_tot * s["ac"] * dgate(s["o"])], axis=1)
            d_in *= keep
            d_rec = d_in
            dc_new = dct * s["f"]
            dhm = d_rec @ U.T
        elif cell == "gru":
            dz = dh_tot * (s["h_prev"] - s["hh"]) * dgate(s["z"])
            dhh = dh_tot * (1.0 - s["z"]) * dact(s["hh"])
            direct = dh_tot * s["z"]
            if cache["reset_after"]:
                dr = dhh * s["rec_h"] * dgate(s["r"])
                d_in = np.concatenate([dz, dr, dhh], axis=1) * keep
                d_rec = np.concatenate([dz, dr, dhh * s["r"]], axis=1) * keep
                dhm = d_rec @ U.T
            else:
                drh = (dhh * keep) @ U[:, 2 * H:].T
                dr = drh * s["hm"] * dgate(s["r"])
                d_in = np.concatenate([dz, dr, dhh], axis=1) * keep
                d_rec = None
                dhm = drh * s["r"] + d_in[:, :2 * H] @ U[:, :2 * H].T
                dU[:, :2 * H] += s["hm"].T @ d_in[:, :2 * H]
                dU[:, 2 * H:] += s["rh"].T @ d_in[:, 2 * H:]
        else:
            d_in = dh_tot * dact(s["h_new"]) * keep
            d_rec = d_in
            dhm = d_rec @ U.T
        dx[:, t] = d_in @ W.T
        dW += x[:, t].T @ d_in
        db_in += d_in.sum(axis=0)
        if d_rec is not None:
            dU += s["hm"].T @ d_rec
            db_rec += d_rec.sum(axis=0)
        dh = np.where(keep, direct + dhm * rm, dh)
        dc = np.where(keep, dc_new, dc)
    if not cache["has_bias"]:
        dbias = None
    elif cell == "gru" and cache["reset_after"]:
        dbias = np.stack([db_in, db_rec])
    else:
        dbias = db_in
    return dict(x=dx, kernel=dW, recurrent_kernel=dU, bias=dbias, h0=dh, c0=dc if cell == "lstm" else None)
