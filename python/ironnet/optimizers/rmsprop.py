"""RMSprop (uncentered), as Keras 3 defines it."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from .. import _C
from ..tensor import Tensor
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """s = rho * s + (1 - rho) * g^2; step = lr * g / sqrt(s + epsilon); w -= step, or with momentum
    m = momentum * m + step, w -= m."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"RMSprop: rho must be in [0, 1), got {rho}")
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def _state_names(self) -> Sequence[str]:
        return ("mean_square", "momentum") if self.momentum else ("mean_square",)

    def _update(self, weight: Tensor, grad: Tensor, state: Tuple[Tensor, ...], common: dict) -> None:
        momentum_buf = state[1]._impl if self.momentum else None
        _C.rmsprop_update_(weight._impl, grad._impl, state[0]._impl, momentum_buf, common["lr"], self.rho,
                           self.momentum, self.epsilon, common["weight_decay"], common["grad_scale"],
                           common["clip_value"])

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}
