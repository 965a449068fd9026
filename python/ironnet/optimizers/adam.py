"""Adam and AdamW (Adam with decoupled weight decay, 0.004 by default as in Keras)."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from .. import _C
from ..tensor import Tensor
from .optimizer import Optimizer


class Adam(Optimizer):
    """Keras 3 formulas: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon), t = iterations + 1."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: {name} must be in [0, 1), got {beta}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)

    def _state_names(self) -> Sequence[str]:
        return ("m", "v")

    def _update_all(self, pairs: List[Tuple[Tensor, Tensor]], scales: List[float], common: dict) -> None:
        # One native call for every weight: a Python round trip per weight costs more than the update
        # of a small one (a bias, a 3x3 kernel).
        states = [self._state_for(w) for _, w in pairs]
        _C.adam_update_multi_([w._impl for _, w in pairs], [g._impl for g, _ in pairs], [s[0]._impl for s in states],
                              [s[1]._impl for s in states], scales, common["lr"], self.beta_1, self.beta_2,
                              self.epsilon, self.iterations + 1, common["weight_decay"], common["clip_value"])

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay: w -= lr * weight_decay * w before each Adam step."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None):
        if weight_decay is None or weight_decay < 0:
            raise ValueError(f"AdamW: weight_decay must be a number >= 0, got {weight_decay}")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, clipnorm, clipvalue, global_clipnorm)
