"""Bidirectional: a recurrent layer run forwards and a copy run backwards, outputs merged (Keras's)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from .. import ops
from ..tensor import Tensor
from .base import Layer, Shape, Weight
from .recurrent_base import BaseRNN, SequenceCall, flip_time

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(SequenceCall):
    """Wraps a recurrent layer: `forward_layer` reads the sequence forwards, `backward_layer` (a copy
    of its config with go_backwards flipped, or the one given) reads it backwards; with
    return_sequences the backward outputs are put back in input order before merging, so step t of
    the result sees the whole sequence. merge_mode: "concat" (features side by side, the default),
    "sum", "mul", "ave", or None (the two outputs, forward first, as separate results).

    Weights: the forward layer's, then the backward layer's, named "forward_<weight>" and
    "backward_<weight>" (unique within the layer, for saving). With return_state the result is
    [merged (or forward, backward), *forward states, *backward states]; initial_state takes the
    states in that order too."""

    supports_masking = True

    def __init__(self, layer: BaseRNN, merge_mode: Optional[str] = "concat",
                 backward_layer: Optional[BaseRNN] = None, **kwargs: Any):
        if not isinstance(layer, BaseRNN):
            raise TypeError(f"Bidirectional: expects a recurrent layer (SimpleRNN, LSTM, GRU, JordanRNN), "
                            f"got {type(layer).__name__}")
        super().__init__(**kwargs)
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
        if backward_layer is None:
            config = layer.get_config()
            config.update(name=f"backward_{layer.name}", go_backwards=not layer.go_backwards)
            backward_layer = type(layer).from_config(config)
        elif not isinstance(backward_layer, BaseRNN):
            raise TypeError(f"Bidirectional: backward_layer must be a recurrent layer, "
                            f"got {type(backward_layer).__name__}")
        for what in ("return_sequences", "return_state", "stateful"):
            if getattr(layer, what) != getattr(backward_layer, what):
                raise ValueError(f"Bidirectional: forward and backward layers must agree on {what}")
        if layer.go_backwards == backward_layer.go_backwards:
            raise ValueError("Bidirectional: the backward layer must read the other way (go_backwards differs)")
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.stateful = layer.stateful  # Model.reset_states() looks for it, as Keras's does

    def build(self, input_shape: Shape) -> None:
        for prefix, layer in (("forward", self.forward_layer), ("backward", self.backward_layer)):
            if not layer.built:
                layer.build_for(input_shape)
            self._weights += [Weight(f"{prefix}_{w.name}", w.tensor, w.trainable) for w in layer._weights]

    def _merged_size(self, units: int) -> int:
        return 2 * units if self.merge_mode == "concat" else units

    def compute_output_shape(self, input_shape: Shape) -> Any:
        forward = self.forward_layer.compute_output_shape(input_shape)
        out = forward[0] if self.return_state else forward
        outputs = [out, out] if self.merge_mode is None else [(*out[:-1], self._merged_size(out[-1]))]
        if self.return_state:
            outputs += [*forward[1:], *self.backward_layer.compute_output_shape(input_shape)[1:]]
        return outputs if len(outputs) > 1 else outputs[0]

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Any:
        out = mask if self.return_sequences else None
        masks = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            masks += [None] * len(self._state_sizes())
        return masks if len(masks) > 1 else masks[0]

    def _state_sizes(self) -> List[int]:
        return self.forward_layer._state_sizes() + self.backward_layer._state_sizes()

    def call(self, inputs: Tensor, training: bool = False, mask: Optional[Any] = None,
             initial_state: Optional[Sequence[Any]] = None) -> Any:
        """inputs: (B, T, F). Returns the merged output (see the class docstring)."""
        forward_init = backward_init = None
        if initial_state is not None:
            n = len(self.forward_layer._state_names)
            if len(initial_state) != 2 * n:
                raise ValueError(f"{self.name}: initial_state needs {2 * n} states (the forward layer's "
                                 f"{n}, then the backward layer's), got {len(initial_state)}")
            forward_init, backward_init = list(initial_state[:n]), list(initial_state[n:])
        forward = self.forward_layer(inputs, training=training, mask=mask, initial_state=forward_init)
        backward = self.backward_layer(inputs, training=training, mask=mask, initial_state=backward_init)
        states: List[Tensor] = []
        if self.return_state:
            forward, *forward_states = forward
            backward, *backward_states = backward
            states = forward_states + backward_states
        if self.return_sequences:  # the backward layer returned its steps in reading order
            backward = flip_time(backward)
        outputs = [forward, backward] if self.merge_mode is None else [self._merge(forward, backward)]
        outputs += states
        return outputs if len(outputs) > 1 else outputs[0]

    def _merge(self, forward: Tensor, backward: Tensor) -> Tensor:
        if self.merge_mode == "concat":
            return ops.concatenate([forward, backward], axis=-1)
        if self.merge_mode == "sum":
            return ops.add(forward, backward)
        if self.merge_mode == "mul":
            return ops.mul(forward, backward)
        return ops.mul(ops.add(forward, backward), 0.5)  # "ave"

    def _sublayers(self) -> List[Layer]:
        return [self.forward_layer, self.backward_layer]

    def reset_states(self) -> None:
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self) -> Dict[str, Any]:
        from . import serialize

        return {**super().get_config(), "layer": serialize(self.forward_layer), "merge_mode": self.merge_mode,
                "backward_layer": serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Bidirectional":
        from . import deserialize

        config = dict(config)
        layer = deserialize(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        return cls(layer, backward_layer=None if backward is None else deserialize(backward), **config)
