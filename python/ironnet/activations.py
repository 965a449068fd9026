"""Activation functions by Keras name (keras.activations.get): each one a native op from ironnet.ops."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from . import ops
from .tensor import Tensor


def linear(x: Tensor) -> Tensor:
    """The identity (Keras's 'linear', Dense's default)."""
    return x


_BY_NAME: Dict[str, Callable[[Tensor], Tensor]] = {
    "linear": linear,
    "relu": ops.relu,
    "leaky_relu": ops.leaky_relu,
    "elu": ops.elu,
    "gelu": ops.gelu,
    "sigmoid": ops.sigmoid,
    "tanh": ops.tanh,
    "softmax": ops.softmax,
    "log_softmax": ops.log_softmax,
}


def get(identifier: Optional[Any]) -> Callable[[Tensor], Tensor]:
    """The function for a Keras activation name, a callable itself, or the identity for None."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]
    raise ValueError(f"unknown activation {identifier!r}: expected a callable or one of {sorted(_BY_NAME)}")


def name_of(fn: Callable[[Tensor], Tensor]) -> str:
    """The Keras name of a registered activation (for configs and summaries)."""
    for name, registered in _BY_NAME.items():
        if registered is fn:
            return name
    return getattr(fn, "__name__", repr(fn))
