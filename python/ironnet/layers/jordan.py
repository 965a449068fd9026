"""JordanRNN: the recurrence feeds back the previous *output* (Jordan 1986), not the hidden state.

    h_t = activation(x_t kernel + y_{t-1} recurrent_kernel + bias)
    y_t = output_activation(h_t output_kernel + output_bias)

It has no fused native cell: the input projection of all steps is one GEMM, then each step is
composed in Python of existing differentiable ops (one small GEMM, an add, the activations and the
output layer), so it is correct and trainable but not fast. Masks, dropout, go_backwards, stateful
and initial_state behave as in the other recurrent layers; its one state is y (output_units)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from .. import _C, activations, devices, initializers, ops
from ..autograd import Context, Function
from ..tensor import Tensor
from .base import Shape
from .recurrent_base import BaseRNN


class _UnstackTime(Function):
    """(B, T, F) -> T tensors (B, F), one per step; the backward stacks their gradients back."""

    @staticmethod
    def forward(ctx: Context, x: Tensor):
        return tuple(Tensor(x._impl.select(1, t).contiguous()) for t in range(x.shape[1]))

    @staticmethod
    def backward(ctx: Context, *grads: Tensor):
        batch, features = grads[0].shape
        return Tensor(_C.concatenate([g._impl.reshape([batch, 1, features]) for g in grads], 1))


def _unstack_time(x: Tensor) -> List[Tensor]:
    out = _UnstackTime.apply(x)
    return list(out) if isinstance(out, tuple) else [out]


class JordanRNN(BaseRNN):
    """Jordan network; weights kernel (features, units), recurrent_kernel (output_units, units),
    bias (units,), output_kernel (units, output_units), output_bias (output_units,).

    output_units defaults to units; activation and output_activation take any Keras activation name
    (composed of existing ops, not a fused cell). Outputs are y_t (output_units per step)."""

    def __init__(self, units: int, output_units: Optional[int] = None, output_activation: Any = "tanh",
                 output_initializer: Any = "glorot_uniform", **kwargs: Any):
        super().__init__(units, **kwargs)
        output_units = self.units if output_units is None else output_units
        if isinstance(output_units, bool) or not isinstance(output_units, (int, np.integer)) or output_units <= 0:
            raise ValueError(f"JordanRNN: output_units must be a positive integer, got {output_units!r}")
        self.output_units = int(output_units)
        self.output_activation = self._check_activation(output_activation)
        self.output_initializer = initializers.get(output_initializer)
        self.output_kernel: Optional[Tensor] = None
        self.output_bias: Optional[Tensor] = None

    def _check_activation(self, activation: Any) -> str:
        name = "linear" if activation is None else activation
        if not isinstance(name, str):
            raise ValueError(f"JordanRNN: activations are given by Keras name (so configs can be saved), "
                             f"got {activation!r}")
        try:
            activations.get(name)
        except ValueError as err:
            raise ValueError(f"JordanRNN: {err}") from None
        return name

    @property
    def state_size(self) -> int:
        return self.output_units

    def _output_size(self) -> int:
        return self.output_units

    def build(self, input_shape: Shape) -> None:
        super().build(input_shape)
        self.output_kernel = self.add_weight("output_kernel", (self.units, self.output_units),
                                             self.output_initializer)
        if self.use_bias:
            self.output_bias = self.add_weight("output_bias", (self.output_units,), self.bias_initializer)

    def _run(self, x, states, mask, reverse, recurrent_mask):
        batch, steps, features = x.shape
        act, out_act = activations.get(self.activation), activations.get(self.output_activation)
        projected = ops.linear(ops.reshape(x, (batch * steps, features)), self.kernel, self.bias)
        inputs = _unstack_time(ops.reshape(projected, (batch, steps, self.units)))
        y_prev = states[0] if states else Tensor(_C.TensorImpl.zeros([batch, self.output_units],
                                                                     _C.DType.float32, x.device))
        outputs: List[Optional[Tensor]] = [None] * steps
        for t in (reversed(range(steps)) if reverse else range(steps)):
            fed = y_prev if recurrent_mask is None else ops.mul(y_prev, recurrent_mask)
            h = act(ops.add(inputs[t], ops.matmul(fed, self.recurrent_kernel)))
            y = out_act(ops.linear(h, self.output_kernel, self.output_bias))
            if mask is not None:  # a padded step outputs 0 and carries y_{t-1} on unchanged
                keep = devices.from_host(mask[:, t:t + 1], x.device)
                outputs[t] = ops.mul(y, keep)
                y = ops.add(y_prev, ops.mul(keep, ops.sub(y, y_prev)))
            else:
                outputs[t] = y
            y_prev = y
        stacked = ops.concatenate([ops.reshape(o, (batch, 1, self.output_units)) for o in outputs], axis=1)
        return stacked, [y_prev]

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "output_units": self.output_units,
                "output_activation": self.output_activation,
                "output_initializer": initializers.name_of(self.output_initializer)}
