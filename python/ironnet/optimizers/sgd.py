"""Stochastic gradient descent with optional (Nesterov) momentum; full-batch gradient descent is
`fit(batch_size=len(x))` with this optimizer."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

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

    def _update_all(self, pairs: List[Tuple[Tensor, Tensor]], scales: List[float], common: dict) -> None:
        # One native call (one launch on CUDA) for every weight, as Adam does.
        velocity = [self._state_for(w)[0]._impl for _, w in pairs] if self.momentum else []
        _C.sgd_update_multi_([w._impl for _, w in pairs], [g._impl for g, _ in pairs], velocity, scales,
                             common["lr"], self.momentum, self.nesterov, common["weight_decay"], common["clip_value"])

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
