"""Stochastic gradient descent with optional (Nesterov) momentum; full-batch gradient descent is
`fit(batch_size=len(x))` with this optimizer."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from .. import _C
from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    """Keras 3 formulas: v = momentum * v - lr * g; w += v (or w += momentum * v - lr * g with
    nesterov); without momentum w -= lr * g."""

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def _state_names(self) -> Sequence[str]:
        return ("velocity",) if self.momentum else ()

    def _update(self, weight: Tensor, grad: Tensor, state: Tuple[Tensor, ...], common: dict) -> None:
        velocity = state[0]._impl if state else None
        _C.sgd_update_(weight._impl, grad._impl, velocity, common["lr"], self.momentum, self.nesterov,
                       common["weight_decay"], common["grad_scale"], common["clip_value"])

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
