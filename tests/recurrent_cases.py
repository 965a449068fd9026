"""Inputs shared by the recurrent op tests: test_recurrent_ops.py (CPU against the float64 reference)
and test_cuda_recurrent.py (CUDA against the CPU)."""
import numpy as np

from reference.recurrent_ref import GATES

# (cell, reset_after): the four native cells.
CELLS = [("lstm", True), ("gru", True), ("gru", False), ("simple_rnn", True)]
CELL_IDS = ["lstm", "gru_reset_after", "gru_reset_before", "simple_rnn"]


def operands(rng, cell, reset_after, batch, steps, inputs, units, *, bias=True, h0=False, c0=False,
             weight_scale=0.5):
    """Random float32 operands of one sequence, a dict in the order x, kernel, recurrent_kernel, bias,
    h0, c0 (absent ones left out): weights weight_scale * N(0, 1), the rest O(1)."""
    k = GATES[cell]
    args = dict(x=rng.standard_normal((batch, steps, inputs)).astype(np.float32),
                kernel=(weight_scale * rng.standard_normal((inputs, k * units))).astype(np.float32),
                recurrent_kernel=(weight_scale * rng.standard_normal((units, k * units))).astype(np.float32))
    if bias:
        shape = (2, k * units) if cell == "gru" and reset_after else (k * units,)
        args["bias"] = (0.3 * rng.standard_normal(shape)).astype(np.float32)
    if h0:
        args["h0"] = rng.standard_normal((batch, units)).astype(np.float32)
    if c0 and cell == "lstm":
        args["c0"] = rng.standard_normal((batch, units)).astype(np.float32)
    return args


def padding_mask(rng, batch, steps):
    """(B, T) bool: padded tails (each row's last step, so h_last must come from a carried state),
    holes, and row 0 entirely padded."""
    m = rng.random((batch, steps)) > 0.3
    m[:, -1] = False
    m[0, :] = False
    return m


def recurrent_dropout(rng, batch, units):
    """A (B, H) recurrent-dropout multiplier: 0 or 1 / 0.75."""
    return ((rng.random((batch, units)) > 0.25) / 0.75).astype(np.float32)
