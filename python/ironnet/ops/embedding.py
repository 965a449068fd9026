"""Embedding lookup: rows of a table picked by integer ids; the table's gradient is a scatter-add."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _C
from ..autograd import Context, Function
from ..tensor import Tensor


def as_ids(ids: Any, op: str = "embedding") -> Tensor:
    """ids as an int32/int64 Tensor: int Tensors as they are, NumPy integer arrays through int_tensor.
    Anything else is a TypeError."""
    if isinstance(ids, Tensor):
        if ids.dtype.name not in ("int32", "int64"):
            raise TypeError(f"{op}: ids must be an int32 or int64 tensor, got {ids.dtype.name} {ids.shape}")
        return ids
    array = np.asarray(ids)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{op}: ids must be integers, got a {array.dtype} array of shape {array.shape}")
    return int_tensor(array)


def int_tensor(array: np.ndarray) -> Tensor:
    """An integer array as an int32/int64 Tensor: shared with NumPy when already int32/int64 (and
    contiguous); narrower integer types widen to int32, unsigned 32/64-bit ones to int64."""
    if array.dtype not in (np.int32, np.int64):
        array = array.astype(np.int32 if array.dtype.itemsize < 4 else np.int64)
    return Tensor(_C.TensorImpl.from_numpy(np.ascontiguousarray(array), False))


def embedding(ids: Any, table: Tensor) -> Tensor:
    """table[ids]: ids (B, ...) integers in [0, V) (an int Tensor or a NumPy integer array),
    table (V, D) float32 -> (B, ..., D). Differentiable w.r.t. table: repeated ids accumulate their
    gradients. An out-of-range id is a ValueError naming it and the table's shape."""
    if not isinstance(table, Tensor):
        raise TypeError(f"embedding: table must be an ironnet Tensor, got {type(table).__name__}")
    # NumPy ids are copied to the table's device; an int Tensor on another device is the op's ValueError.
    ids = as_ids(ids) if isinstance(ids, Tensor) else as_ids(ids).to(table.device)
    if not table.requires_grad:
        return Tensor(_C.embedding(ids._impl, table._impl))
    return Embedding.apply(ids, table)


class Embedding(Function):
    @staticmethod
    def forward(ctx: Context, ids: Tensor, table: Tensor) -> Tensor:
        ctx.ids, ctx.vocab = ids, table.shape[0]
        return Tensor(_C.embedding(ids._impl, table._impl))

    @staticmethod
    def backward(ctx: Context, grad: Tensor):
        return None, Tensor(_C.embedding_backward(ctx.ids._impl, grad._impl, ctx.vocab))
