"""Optimizers (keras.optimizers names and formulas): each update is one fused native pass per weight."""
from typing import Any

from . import schedules
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}


def get(identifier: Any) -> Optimizer:
    """An Optimizer from its Keras name ('sgd', 'rmsprop', 'adam', 'adamw') or itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise ValueError(f"unknown optimizer {identifier!r}: expected an Optimizer or one of {sorted(_BY_NAME)}")


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "schedules", "get"]
