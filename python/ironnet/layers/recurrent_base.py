"""What every recurrent layer shares (Keras's RNN layer arguments and behaviour): input checks,
initial/stateful states, per-sequence dropout masks, go_backwards, return_sequences/return_state
and the output mask (BaseRNN); and how recurrent layers are called, shared with Bidirectional
(SequenceCall: initial_state, and return_state's several outputs in functional models). Subclasses
say how many gates and states they have and run one sequence."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import devices, initializers, ops
from .. import random as ir_random
from ..tensor import Tensor
from .base import Layer, Shape
from .symbolic import Node, SymbolicTensor

# What the fused native cells implement (ironnet.ops.lstm/gru/simple_rnn take these names).
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
RECURRENT_ACTIVATIONS = ("sigmoid", "hard_sigmoid")


def check_activation(layer: str, what: str, value: Any, allowed: Sequence[str]) -> str:
    """The activation's name; None means "linear" (Keras's convention). Callables are refused: the
    native cells apply the nonlinearity inside one fused kernel, so only the names they know work."""
    name = "linear" if value is None else value
    if name not in allowed:
        raise ValueError(f"{layer}: {what} must be one of {', '.join(map(repr, allowed))} (what the fused "
                         f"native cells implement), got {value!r}")
    return name


def flip_time(x: Tensor) -> Tensor:
    """x: (B, T, F) with the time axis reversed. The image flip op mirrors rows of (N, H, W, C), so a
    (B, T, F, 1) view flipped upside down is exactly this, in one differentiable native call."""
    batch, steps, features = x.shape
    flipped = ops.flip(ops.reshape(x, (batch, steps, features, 1)), False, True)
    return ops.reshape(flipped, (batch, steps, features))


def as_float_tensor(value: Any, device: str) -> Tensor:
    """A Tensor as it is (an op raises if it is on another device); array-likes as float32 on `device`."""
    return value if isinstance(value, Tensor) else devices.from_host(value, device)


def _bool_mask(mask: Any, layer: str, batch: int, steps: int) -> Optional[np.ndarray]:
    """A (B, T) NumPy bool mask (True = a real step), or None; ValueError naming the shapes otherwise."""
    if mask is None:
        return None
    array = np.asarray(mask)
    if array.shape != (batch, steps):
        raise ValueError(f"{layer}: mask must have shape (batch, time) = ({batch}, {steps}), got {array.shape}")
    return array.astype(bool, copy=False)


class SequenceCall(Layer):
    """How recurrent layers (and Bidirectional) are called: `layer(x, mask=..., initial_state=[...])`.

    On real data this is Layer's call. On symbolic tensors (a functional model) the initial states
    become further inputs of the call's node, after the sequence, and return_state gives one
    symbolic tensor per output; a functional model runs such a node with the list [x, *states]."""

    def _state_sizes(self) -> List[int]:
        """Features of each state initial_state takes, in order."""
        raise NotImplementedError

    def __call__(self, inputs: Any, training: bool = False, mask: Optional[Any] = None,
                 initial_state: Optional[Sequence[Any]] = None) -> Any:
        if isinstance(inputs, SymbolicTensor):
            return self._call_symbolic_states(inputs, initial_state)
        return super().__call__(inputs, training=training, mask=mask, initial_state=initial_state)

    def call_with_mask(self, inputs: Any, training: bool = False, mask: Optional[Any] = None,
                       **kwargs: Any) -> Tuple[Any, Any]:
        if isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], Tensor):
            # a functional model's node: [x, *initial states]
            x, *states = inputs
            mask = mask[0] if isinstance(mask, list) else mask
            return super().call_with_mask(x, training=training, mask=mask, initial_state=states)
        return super().call_with_mask(inputs, training=training, mask=mask, **kwargs)

    def _call_symbolic_states(self, x: SymbolicTensor, initial_state: Optional[Sequence[Any]]) -> Any:
        states = [] if initial_state is None else list(initial_state)
        if states:
            sizes = self._state_sizes()
            if len(states) != len(sizes) or not all(isinstance(s, SymbolicTensor) for s in states):
                raise ValueError(f"{self.name}: initial_state needs {len(sizes)} symbolic tensors (from Input or "
                                 f"layers) when called on symbolic inputs, got {initial_state!r}")
            for i, (state, size) in enumerate(zip(states, sizes)):
                if tuple(state.shape[1:]) != (size,):
                    raise ValueError(f"{self.name}: initial state {i} must have shape (batch, {size}), "
                                     f"got {state.shape}")
        if not self.built:
            self.build_for(x.shape)
        out_shape = self.compute_output_shape(x.shape)
        node = Node(self, [x, *states])
        name = self.name if node.index == 0 else f"{self.name}_{node.index}"
        if not isinstance(out_shape, list):
            return SymbolicTensor(out_shape, node, name=name)
        return [SymbolicTensor(shape, node, name=name if i == 0 else f"{name}_state_{i}")
                for i, shape in enumerate(out_shape)]


class BaseRNN(SequenceCall):
    """A recurrent layer over inputs (batch, time, features), Keras's arguments and semantics:

    - return_sequences: output every step (batch, time, units), else only the last (batch, units).
    - return_state: also return the final state(s) (h; for LSTM h and c): [output, *states].
    - go_backwards: process the sequence from its end; returned sequences are in processing order
      (reversed), as Keras does.
    - stateful: each call starts from the previous call's final states (the batch size must stay
      the same; sample i of a batch continues sample i of the last one); `reset_states()` zeroes
      them. Gradients stop at the call boundary: truncated backprop through time over windows.
    - dropout / recurrent_dropout: during training only, one mask per sequence drawn per call, applied
      to the inputs at every step / to the state before it meets recurrent_kernel (scaled by 1/(1-p)).
    - masks: steps where mask is False are skipped (state carried over, output 0 there: the native
      op's and PyTorch's packed-sequence convention, and Keras's inside Bidirectional; a plain Keras
      layer repeats its previous output there instead, which only a loss that ignores the mask sees).
    - call(..., initial_state=[...]) starts from given states (batch, units) instead.
    """

    supports_masking = True
    _gates = 1  # kernel is (features, gates * units)
    _state_names: Tuple[str, ...] = ("h",)

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"{cls}: units must be a positive integer, got {units!r}")
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"{cls}: {what} must be in [0, 1), got {rate!r}")
        self.units = int(units)
        self.activation = self._check_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.seed = seed
        self._rng = ir_random.generator(seed) if seed is not None else None
        self._states: Optional[List[Tensor]] = None  # stateful layers: the last call's final states
        self.kernel: Optional[Tensor] = None
        self.recurrent_kernel: Optional[Tensor] = None
        self.bias: Optional[Tensor] = None

    def _check_activation(self, activation: Any) -> str:
        return check_activation(type(self).__name__, "activation", activation, ACTIVATIONS)

    # --- what subclasses provide ---------------------------------------------------------------
    @property
    def state_size(self) -> int:
        """Features of each state (the recurrent kernel's rows)."""
        return self.units

    def _bias_shape(self) -> Tuple[int, ...]:
        return (self._gates * self.units,)

    def _bias_initial(self) -> Any:
        return self.bias_initializer

    def _run(self, x: Tensor, states: Optional[List[Tensor]], mask: Optional[np.ndarray], reverse: bool,
             recurrent_mask: Optional[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        """One pass over x (B, T, F): every step's output (B, T, out) aligned with the input steps,
        and the final states [(B, state_size), ...] (the first is the last output)."""
        raise NotImplementedError

    # --- building --------------------------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{self.name}: expects inputs (batch, time, features) with known features, "
                             f"got shape {tuple(input_shape)}")
        features, width = input_shape[-1], self._gates * self.units
        self.kernel = self.add_weight("kernel", (features, width), self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.state_size, width),
                                                self.recurrent_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initial())

    def compute_output_shape(self, input_shape: Shape) -> Any:
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self._output_size()) if self.return_sequences else (batch, self._output_size())
        if self.return_state:
            return [out] + [(batch, self.state_size) for _ in self._state_names]
        return out

    def _output_size(self) -> int:
        return self.units

    def _state_sizes(self) -> List[int]:
        return [self.state_size] * len(self._state_names)

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Any:
        """The input mask goes on with the sequence (return_sequences), else nothing is masked."""
        out = mask if self.return_sequences else None
        return [out] + [None] * len(self._state_names) if self.return_state else out

    # --- calling ---------------------------------------------------------------------------------
    def call(self, inputs: Tensor, training: bool = False, mask: Optional[Any] = None,
             initial_state: Optional[Sequence[Any]] = None) -> Any:
        """inputs: (B, T, F); mask: (B, T) bool or None; initial_state: one (B, state_size) per state.
        Returns (B, T, units) or (B, units); with return_state, [output, *final states]."""
        if inputs.ndim != 3 or inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{self.name}: expects inputs (batch, time, {self.kernel.shape[0]}), "
                             f"got shape {inputs.shape}")
        batch, steps, features = inputs.shape
        if steps == 0:
            raise ValueError(f"{self.name}: inputs {inputs.shape} have no time steps")
        mask = _bool_mask(mask, self.name, batch, steps)
        states = self._initial_states(initial_state, batch)
        x, recurrent_mask = inputs, None
        if training and self.dropout > 0.0:
            x = ops.mul(x, self._dropout_mask(batch, features, self.dropout, (batch, 1, features)))
        if training and self.recurrent_dropout > 0.0:
            recurrent_mask = self._dropout_mask(batch, self.state_size, self.recurrent_dropout,
                                                (batch, self.state_size))
        y, finals = self._run(x, states, mask, self.go_backwards, recurrent_mask)
        if self.stateful:
            self._states = [s.detach() for s in finals]
        if self.return_sequences:
            out = flip_time(y) if self.go_backwards else y
        else:
            out = self._last_output(y, finals)
        return [out, *finals] if self.return_state else out

    def _last_output(self, y: Tensor, finals: List[Tensor]) -> Tensor:
        """The output after the last real step: the first state for cells whose output is their state."""
        return finals[0]

    def _dropout_mask(self, batch: int, size: int, rate: float, shape: Tuple[int, ...]) -> Tensor:
        rng = self._rng if self._rng is not None else ir_random.generator()
        keep = (rng.random((batch, size)) >= rate).astype(np.float32) / (1.0 - rate)
        return devices.from_host(keep.reshape(shape), self._device)

    def _initial_states(self, initial_state: Optional[Sequence[Any]], batch: int) -> Optional[List[Tensor]]:
        """Given states, else (stateful) the previous call's, else None (zeros in the op)."""
        n = len(self._state_names)
        if initial_state is not None:
            given = [initial_state] if isinstance(initial_state, (Tensor, np.ndarray)) else list(initial_state)
            if len(given) != n:
                raise ValueError(f"{self.name}: initial_state needs {n} state(s) "
                                 f"({', '.join(self._state_names)}), got {len(given)}")
            states = [as_float_tensor(s, self._device) for s in given]
            for name, s in zip(self._state_names, states):
                if s.shape != (batch, self.state_size):
                    raise ValueError(f"{self.name}: initial state {name} must have shape "
                                     f"({batch}, {self.state_size}), got {s.shape}")
            return states
        if self.stateful and self._states is not None:
            if self._states[0].shape[0] != batch:
                raise ValueError(f"{self.name}: a stateful layer keeps batch size {self._states[0].shape[0]} "
                                 f"between calls, got a batch of {batch}; call reset_states() first to change it")
            return self._states
        return None

    def reset_states(self, states: Optional[Sequence[Any]] = None) -> None:
        """Forgets a stateful layer's carried-over states (the next call starts from zeros), or sets them."""
        if not self.stateful:
            raise ValueError(f"{self.name}: reset_states() needs a stateful layer (stateful=True)")
        self._states = None if states is None else [as_float_tensor(s, self._device) for s in states]

    @property
    def states(self) -> Optional[List[np.ndarray]]:
        """A stateful layer's carried-over states as arrays (None before the first call or after a reset)."""
        return None if self._states is None else [devices.to_host(s).copy() for s in self._states]

    def _device_tensors(self) -> List[Tensor]:
        return self.weights + (self._states or [])

    # --- configuration -----------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.name_of(self.kernel_initializer),
            "recurrent_initializer": initializers.name_of(self.recurrent_initializer),
            "bias_initializer": initializers.name_of(self.bias_initializer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "seed": self.seed,
        }
