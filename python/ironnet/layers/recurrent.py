"""SimpleRNN (Elman), LSTM and GRU layers: Keras's arguments, weight names and layouts, each pass one
call of the fused native sequence op in ironnet.ops (input projection of all steps as one GEMM, one
recurrent GEMM plus one fused gate kernel per step, backprop through time natively)."""
from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np

from .. import initializers, ops
from .recurrent_base import RECURRENT_ACTIVATIONS, BaseRNN, check_activation


class SimpleRNN(BaseRNN):
    """Elman network: h_t = activation(x_t kernel + h_{t-1} recurrent_kernel + bias).

    kernel (features, units), recurrent_kernel (units, units), bias (units,)."""

    def _run(self, x, states, mask, reverse, recurrent_mask):
        y, h = ops.simple_rnn(x, self.kernel, self.recurrent_kernel, self.bias, states[0] if states else None,
                              mask, reverse=reverse, recurrent_mask=recurrent_mask, activation=self.activation)
        return y, [h]


class _GatedRNN(BaseRNN):
    """A recurrent layer with gates: adds recurrent_activation (sigmoid or hard_sigmoid)."""

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 **kwargs: Any):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = check_activation(type(self).__name__, "recurrent_activation",
                                                     recurrent_activation, RECURRENT_ACTIVATIONS)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation}


class _UnitForgetBias(initializers.Initializer):
    """LSTM's bias with unit_forget_bias: the given initializer everywhere but ones for the forget gate
    (gate order i, f, c, o), so the cell remembers by default early in training (Jozefowicz et al.)."""

    def __init__(self, base: initializers.Initializer, units: int):
        self.base, self.units = base, units

    def __call__(self, shape, rng):
        bias = np.asarray(self.base(shape, rng), dtype=np.float32).copy()
        bias[self.units:2 * self.units] = 1.0
        return bias


class LSTM(_GatedRNN):
    """Long short-term memory (Hochreiter & Schmidhuber 1997, with forget gate), Keras's layout:
    kernel (features, 4 units), recurrent_kernel (units, 4 units), bias (4 units,), gates i, f, c, o.
    States: [h, c]."""

    _gates = 4
    _state_names = ("h", "c")

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initial(self) -> Any:
        return _UnitForgetBias(self.bias_initializer, self.units) if self.unit_forget_bias else self.bias_initializer

    def _run(self, x, states, mask, reverse, recurrent_mask):
        h0, c0 = states if states else (None, None)
        y, h, c = ops.lstm(x, self.kernel, self.recurrent_kernel, self.bias, h0, c0, mask, reverse=reverse,
                           recurrent_mask=recurrent_mask, activation=self.activation,
                           recurrent_activation=self.recurrent_activation)
        return y, [h, c]

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_GatedRNN):
    """Gated recurrent unit (Cho et al. 2014), Keras's layout: kernel (features, 3 units),
    recurrent_kernel (units, 3 units), gates z, r, h. reset_after=True (Keras's and cuDNN's default)
    applies the reset gate after the recurrent product and has two biases, bias (2, 3 units): row 0
    for the input side, row 1 for the recurrent side; reset_after=False is the textbook form,
    bias (3 units,)."""

    _gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> Tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _run(self, x, states, mask, reverse, recurrent_mask):
        y, h = ops.gru(x, self.kernel, self.recurrent_kernel, self.bias, states[0] if states else None, mask,
                       reverse=reverse, recurrent_mask=recurrent_mask, reset_after=self.reset_after,
                       activation=self.activation, recurrent_activation=self.recurrent_activation)
        return y, [h]

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "reset_after": self.reset_after}
