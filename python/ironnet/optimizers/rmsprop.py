"""RMSprop (uncentered), as Keras 3 defines it."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

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

    def _update_all(self, pairs: List[Tuple[Tensor, Tensor]], scales: List[float], common: dict) -> None:
        # One native call (one launch on CUDA) for every weight, as Adam does.
        states = [self._state_for(w) for _, w in pairs]
        momentum_bufs = [s[1]._impl for s in states] if self.momentum else []
        _C.rmsprop_update_multi_([w._impl for _, w in pairs], [g._impl for g, _ in pairs], [s[0]._impl for s in states],
                                 momentum_bufs, scales, common["lr"], self.rho, self.momentum, self.epsilon,
                                 common["weight_decay"], common["clip_value"])

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}
