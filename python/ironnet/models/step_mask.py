"""Leaving padded steps out of the loss and the metrics, as Keras does.

When a model's output carries a mask (batch, steps) - e.g. Embedding(mask_zero=True) followed by
layers that keep the time axis, such as TimeDistributed(Dense) or a recurrent layer with
return_sequences - its padded steps are not predictions to score. Keras weights them 0 and averages
over the rest; here the kept steps are gathered into rows (a differentiable gather: the embedding
op with the flattened output as its table), which gives the same mean and gradients, and lets the
fused losses and the metrics run on them unchanged.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from .. import ops
from ..tensor import Tensor


def kept_steps(y_pred: Any, y_true: np.ndarray, mask: Optional[np.ndarray], where: str) -> Tuple[Any, np.ndarray]:
    """(y_pred, y_true) less the masked steps: y_pred (B, T, ...) and y_true (B, T, ...) with mask (B, T)
    become (kept, ...) rows in row-major order. Unchanged when there is no mask, or when it does not
    describe the output's leading axes (a mask consumed earlier, several outputs)."""
    if mask is None or not isinstance(y_pred, Tensor):
        return y_pred, y_true
    mask = np.asarray(mask, dtype=bool)
    lead = mask.shape
    y_true = np.asarray(y_true)
    if tuple(y_pred.shape[: len(lead)]) != lead or tuple(y_true.shape[: len(lead)]) != lead:
        return y_pred, y_true
    keep = np.flatnonzero(mask)
    if keep.size == 0:
        raise ValueError(f"{where}: every step of this batch is masked (padding only), so there is nothing "
                         f"to score; drop the empty sequences")
    rest = tuple(y_pred.shape[len(lead):])
    rows = ops.reshape(y_pred, (mask.size, math.prod(rest)))
    picked = ops.reshape(ops.embedding(keep, rows), (keep.size, *rest))
    return picked, y_true.reshape(mask.size, *y_true.shape[len(lead):])[keep]
