"""The Optimizer base: learning rate (constant or scheduled), gradient clipping, weight decay, and
per-weight state, around one fused native update per weight (see the subclasses)."""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .. import _C, devices
from ..autograd import no_grad
from ..tensor import Tensor
from .schedules import LearningRateSchedule


class Optimizer:
    """Updates weights from their gradients, Keras 3 style: `apply(grads, weights)` or
    `apply_gradients(zip(grads, weights))`.

    Before each update, in this order and in the same native pass: the gradient is scaled for
    `clipnorm` (each gradient to at most that L2 norm) or `global_clipnorm` (all gradients together)
    and clipped to [-clipvalue, clipvalue]; then `weight_decay` shrinks the weight
    (w -= lr * weight_decay * w, decoupled as in Keras 3 and AdamW). Only one clipping option may be set.
    """

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: Optional[float] = None,
        clipnorm: Optional[float] = None,
        clipvalue: Optional[float] = None,
        global_clipnorm: Optional[float] = None,
    ):
        if sum(option is not None for option in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{type(self).__name__}: only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for name, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm)):
            if value is not None and value <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be positive, got {value}")
        if not isinstance(learning_rate, LearningRateSchedule) and not float(learning_rate) >= 0:
            raise ValueError(f"{type(self).__name__}: learning_rate must be >= 0 or a schedule, got {learning_rate}")
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.iterations = 0  # updates applied so far
        self._state: Dict[int, Tuple[Tensor, Tuple[Tensor, ...]]] = {}

    @property
    def learning_rate(self) -> float:
        """The rate the next update uses (a schedule is evaluated at `iterations`)."""
        lr = self._learning_rate
        return float(lr(self.iterations)) if isinstance(lr, LearningRateSchedule) else float(lr)

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self._learning_rate = value

    # --- what subclasses provide ---------------------------------------------------------------
    def _state_names(self) -> Sequence[str]:
        """Names of the per-weight state buffers (zeros, shaped like the weight)."""
        return ()

    def _update(self, weight: Tensor, grad: Tensor, state: Tuple[Tensor, ...], common: dict) -> None:
        raise NotImplementedError

    def _update_all(self, pairs: List[Tuple[Tensor, Tensor]], scales: List[float], common: dict) -> None:
        """Updates every (gradient, weight) pair, gradient i scaled by scales[i]; common holds lr,
        weight_decay and clip_value. One `_update` per weight unless a subclass fuses them."""
        for (g, w), scale in zip(pairs, scales):
            self._update(w, g, self._state_for(w), {**common, "grad_scale": scale})

    # --- applying updates ------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[Tuple[Optional[Tensor], Tensor]]) -> None:
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [w for _, w in pairs])

    @no_grad()
    def apply(self, grads: Sequence[Optional[Tensor]], weights: Sequence[Tensor]) -> None:
        """One update of every weight whose gradient is not None; then `iterations` += 1."""
        if len(grads) != len(weights):
            raise ValueError(f"{type(self).__name__}.apply: {len(grads)} gradients for {len(weights)} weights")
        pairs = [(g, w) for g, w in zip(grads, weights) if g is not None]
        for g, w in pairs:
            if not isinstance(w, Tensor) or not isinstance(g, Tensor):
                raise TypeError(f"{type(self).__name__}.apply: weights and gradients must be ironnet Tensors")
            if g.shape != w.shape:
                raise ValueError(
                    f"{type(self).__name__}.apply: gradient {g.shape} does not match its weight {w.shape}"
                )
        common = dict(lr=self.learning_rate, weight_decay=self.weight_decay or 0.0, clip_value=self.clipvalue or 0.0)
        self._update_all(pairs, self._clip_scales([g for g, _ in pairs]), common)
        self.iterations += 1

    def _clip_scales(self, grads: List[Tensor]) -> List[float]:
        """The factor each gradient is scaled by: clip_norm / max(norm, clip_norm) (Keras's rule)."""
        if self.clipnorm is not None:
            squares = _C.sum_of_squares_multi([g._impl for g in grads])
            return [self.clipnorm / max(math.sqrt(s), self.clipnorm) for s in squares]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(_C.sum_of_squares_multi([g._impl for g in grads])))
            return [self.global_clipnorm / max(norm, self.global_clipnorm)] * len(grads)
        return [1.0] * len(grads)

    def _state_for(self, weight: Tensor) -> Tuple[Tensor, ...]:
        """The weight's slot buffers (momentum, moments), made as zeros on its device on first use, and
        moved after it when the weight has changed device since (a model moved by `to`)."""
        entry = self._state.get(id(weight))
        if entry is None or entry[0] is not weight:  # keep the weight too: its id stays valid
            buffers = tuple(
                Tensor(_C.TensorImpl.zeros(weight.shape, _C.DType.float32, weight.device)) for _ in self._state_names()
            )
            entry = (weight, buffers)
            self._state[id(weight)] = entry
        _follow(entry)
        return entry[1]

    def _state_follow_weights(self) -> None:
        """Moves every weight's slot buffers to the weight's device now (Model.to calls it, so the old
        device's memory is freed at once rather than at the next update)."""
        for entry in self._state.values():
            _follow(entry)

    def get_config(self) -> dict:
        lr = self._learning_rate
        return {
            "learning_rate": lr.get_config() if isinstance(lr, LearningRateSchedule) else float(lr),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
        }


def _follow(entry: Tuple[Tensor, Tuple[Tensor, ...]]) -> None:
    """Moves a (weight, slot buffers) entry's buffers, in place, to the weight's device."""
    weight, buffers = entry
    for buffer in buffers:
        devices.move_(buffer, weight.device)
