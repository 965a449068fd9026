"""The Layer base: weights, lazy building from the first input's shape, Keras-style names."""
from __future__ import annotations

import functools
import inspect
import itertools
import re
from collections import defaultdict
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .. import devices, initializers
from .. import random as ir_random
from ..ops.embedding import int_tensor
from ..tensor import Tensor
from .symbolic import Node, SymbolicTensor, is_symbolic

Shape = Tuple[Optional[int], ...]

# Per class name, so layers are named like Keras's: dense, dense_1, dense_2, ...
_name_counters: Dict[str, Iterator[int]] = defaultdict(itertools.count)


def _default_name(cls: type) -> str:
    # Keras's snake case: words split before a capitalized word or after a lowercase letter, so
    # acronyms and digits stay whole (LSTM -> lstm, SimpleRNN -> simple_rnn, Conv2D -> conv2d).
    base = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls.__name__)).lower()
    n = next(_name_counters[base])
    return base if n == 0 else f"{base}_{n}"


class Weight:
    """A named weight of a layer: its tensor (a leaf of the autograd graph when trainable)."""

    __slots__ = ("name", "tensor", "trainable")

    def __init__(self, name: str, tensor: Tensor, trainable: bool):
        self.name, self.tensor, self.trainable = name, tensor, trainable


class Layer:
    """Subclasses implement `build(input_shape)` (create weights with add_weight), `call(x, training)`
    and `compute_output_shape(input_shape)`; shapes include the batch dimension (None when unknown).
    A layer builds itself on its first call, from that input's shape.

    Masks (Keras's protocol): a mask is a NumPy bool array (batch, time), False at padded steps, or
    None. A layer whose `call` has a `mask` parameter receives the incoming mask there;
    `compute_mask(inputs, mask)` gives the mask of the layer's output: by default the incoming one
    when `supports_masking` (layers that keep the time axis as it is), else None."""

    # Class defaults; Embedding sets supports_masking per instance (from mask_zero).
    supports_masking = False
    # Layers that read integer ids (Embedding) take int inputs as they are; the others compute in
    # float32, so integer data (token ids, uint8 pixels) is converted when it reaches them.
    _accepts_int_inputs = False
    # Where the weights live and where later-built ones are made; `to(device)` changes it.
    _device = "cpu"

    def __init__(self, name: Optional[str] = None, trainable: bool = True, input_shape: Optional[Sequence[int]] = None):
        self.name = name or _default_name(type(self))
        self.trainable = trainable
        self.built = False
        self._weights: List[Weight] = []
        self.input_shape: Optional[Shape] = (None, *input_shape) if input_shape is not None else None
        self.output_shape: Optional[Shape] = None
        self._inbound_nodes: List[Node] = []

    # Merge layers take a list of inputs (and list of shapes); every other layer takes one.
    _takes_list = False

    # --- what subclasses provide ---------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Creates the weights for inputs of this shape (the default layer has none)."""

    def call(self, inputs: Tensor, training: bool = False) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def compute_mask(self, inputs: Any, mask: Optional[Any] = None) -> Optional[Any]:
        """The mask of this layer's output for `inputs` carrying `mask` (see the class docstring)."""
        return mask if self.supports_masking else None

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments that rebuild this layer (JSON types only): `from_config` inverts it."""
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Layer":
        """A new, unbuilt layer from `get_config()`'s output (weights are not part of the config).

        An initializer without a Keras name is saved as None: the default stands in (weights are saved apart)."""
        return cls(**{k: v for k, v in config.items() if not (k.endswith("_initializer") and v is None)})

    # --- weights ---------------------------------------------------------------------------------
    def add_weight(self, name: str, shape: Sequence[int], initializer: Any = "glorot_uniform",
                   trainable: bool = True) -> Tensor:
        values = initializers.get(initializer)(tuple(shape), ir_random.generator())
        tensor = Tensor(_as_impl(values).to(self._device), requires_grad=trainable and self.trainable)
        self._weights.append(Weight(name, tensor, trainable))
        return tensor

    @property
    def weights(self) -> List[Tensor]:
        return [w.tensor for w in self._weights]

    @property
    def trainable_weights(self) -> List[Tensor]:
        return [w.tensor for w in self._weights if w.trainable and self.trainable]

    @property
    def non_trainable_weights(self) -> List[Tensor]:
        return [w.tensor for w in self._weights if not (w.trainable and self.trainable)]

    def count_params(self) -> int:
        return int(sum(w.tensor.numel() for w in self._weights))

    def get_weights(self) -> List[np.ndarray]:
        """Copies of the weights as NumPy arrays (on the host), in Keras's order and layouts."""
        return [devices.to_host(w.tensor).copy() for w in self._weights]

    def set_weights(self, values: Sequence[Any]) -> None:
        if len(values) != len(self._weights):
            raise ValueError(
                f"{self.name}.set_weights: expected {len(self._weights)} arrays "
                f"({', '.join(w.name for w in self._weights)}), got {len(values)}"
            )
        for weight, value in zip(self._weights, values):
            array = np.asarray(value, dtype=np.float32)
            if array.shape != weight.tensor.shape:
                raise ValueError(
                    f"{self.name}.set_weights: {weight.name} has shape {weight.tensor.shape}, got {array.shape}"
                )
            devices.assign_(weight.tensor, array)

    # --- device ----------------------------------------------------------------------------------
    @property
    def device(self) -> str:
        """Where this layer's weights live ('cpu', 'cuda', 'cuda:N') and later-built ones will."""
        return self._device

    def to(self, device: str) -> "Layer":
        """Moves the weights and every state kept between calls to `device` in place (the same Tensor
        objects, so an optimizer holding them stays valid); weights built later start there.
        Returns self, like PyTorch's Module.to."""
        self._move_to(devices.canonical(device, f"{self.name}.to"))
        return self

    def _move_to(self, device: str) -> None:
        """to() for a device name already checked (devices.canonical)."""
        self._device = device
        for tensor in self._device_tensors():
            devices.move_(tensor, device)
        for layer in self._sublayers():
            layer._move_to(device)

    def _device_tensors(self) -> List[Tensor]:
        """The tensors this layer keeps between calls: its weights, and in subclasses their state."""
        return self.weights

    def _sublayers(self) -> List["Layer"]:
        """Layers this one wraps (Bidirectional, TimeDistributed), moved along with it."""
        return []

    # --- calling ---------------------------------------------------------------------------------
    def __call__(self, inputs: Any, training: bool = False, mask: Optional[Any] = None, **kwargs: Any) -> Any:
        """On real data (a Tensor or array; a list of them for merge layers): builds on first use, runs
        `call` (with `mask` when it takes one, and any further keyword arguments, such as a recurrent
        layer's initial_state). On symbolic tensors (from Input): builds from their shapes and returns
        a SymbolicTensor."""
        if not isinstance(inputs, Tensor) and is_symbolic(inputs):
            if kwargs:
                raise TypeError(f"{self.name}: keyword arguments ({', '.join(kwargs)}) are not supported when "
                                "calling a layer on symbolic tensors")
            return self._call_symbolic(inputs)
        return self.call_with_mask(inputs, training=training, mask=mask, **kwargs)[0]

    def call_with_mask(self, inputs: Any, training: bool = False, mask: Optional[Any] = None,
                       **kwargs: Any) -> Tuple[Any, Any]:
        """Runs the layer on real data carrying `mask` (a list of masks for merge layers); returns
        (outputs, the outputs' mask). Models chain layers through this so masks travel with the data."""
        inputs = self._to_tensors(inputs)
        if not self.built:
            self.build_for(_batch_shape(inputs))
        if _takes_mask(type(self)):
            kwargs["mask"] = mask
        outputs = self.call(inputs, training=training, **kwargs)
        return outputs, self.compute_mask(inputs, mask)

    def _to_tensors(self, inputs: Any) -> Any:
        if self._takes_list:
            if not isinstance(inputs, (list, tuple)):
                raise TypeError(f"{self.name}: expected a list of inputs, got {type(inputs).__name__}")
            return [self._to_tensor(t) for t in inputs]
        return self._to_tensor(inputs)

    def _to_tensor(self, x: Any) -> Tensor:
        """x as a Tensor of the type this layer computes on: float32, or integers as they are for a
        layer that reads ids."""
        if isinstance(x, Tensor):
            if x.dtype.name == "float32" or self._accepts_int_inputs:
                return x
            # No native cast: integers become float32 on the host (a round trip for a GPU tensor).
            return devices.from_host(devices.to_host(x), x.device)
        array = np.asarray(x)
        if self._accepts_int_inputs and array.dtype.kind in "iu":
            return int_tensor(array).to(self._device)
        return devices.from_host(array, self._device)

    def _call_symbolic(self, inputs: Any) -> SymbolicTensor:
        is_list = isinstance(inputs, (list, tuple))
        if is_list != self._takes_list:
            what = f"a list of {len(inputs)} tensors" if is_list else "a single tensor"
            raise ValueError(
                f"{self.name} ({type(self).__name__}) expects {'a list of' if self._takes_list else 'a single'} "
                f"input{'s' if self._takes_list else ''}, got {what}"
            )
        shape = [t.shape for t in inputs] if is_list else inputs.shape
        if not self.built:
            self.build_for(shape)
        out_shape = self.compute_output_shape(shape)
        node = Node(self, list(inputs) if is_list else [inputs])
        return SymbolicTensor(out_shape, node, name=self.name if node.index == 0 else f"{self.name}_{node.index}")

    def build_for(self, input_shape: Shape) -> None:
        """Builds for `input_shape` (batch dimension included) and records the layer's shapes."""
        self.build(input_shape)
        self.input_shape = [tuple(s) for s in input_shape] if self._takes_list else tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _batch_shape(inputs: Any) -> Any:
    """The shape(s) a layer builds for: the batch dimension replaced by None."""
    if isinstance(inputs, Tensor):
        return (None, *inputs.shape[1:])
    return [(None, *t.shape[1:]) for t in inputs]


@functools.lru_cache(maxsize=None)
def _takes_mask(cls: type) -> bool:
    """Whether cls.call has a `mask` parameter (Keras passes the incoming mask to such layers)."""
    return "mask" in inspect.signature(cls.call).parameters


def _as_impl(array: np.ndarray):
    from .. import _C

    return _C.TensorImpl.from_numpy(np.ascontiguousarray(array, dtype=np.float32), True)
