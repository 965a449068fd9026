"""Symbolic tensors: placeholders that carry a shape (batch dimension None) and remember the layer
call that produced them, so a functional Model can be traced from its outputs back to its inputs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Tuple

if TYPE_CHECKING:
    from .base import Layer

Shape = Tuple[Optional[int], ...]


class Node:
    """One call of `layer` on symbolic tensors: its inputs (empty for an InputLayer) and outputs.

    `index` is the call's position among the layer's calls (the [i] in summary's "Connected to")."""

    __slots__ = ("layer", "inputs", "outputs", "index")

    def __init__(self, layer: "Layer", inputs: List["SymbolicTensor"]):
        self.layer = layer
        self.inputs = inputs
        self.outputs: List[SymbolicTensor] = []
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)


class SymbolicTensor:
    """keras.KerasTensor: a shape (batch included, unknown dimensions None) and the Node that made it.

    It holds no data; calling a Layer on it builds the layer and returns the next SymbolicTensor."""

    __slots__ = ("shape", "node", "dtype", "name")

    def __init__(self, shape: Shape, node: Node, name: str):
        self.shape: Shape = tuple(shape)
        self.node = node
        self.dtype = "float32"
        self.name = name
        node.outputs.append(self)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self) -> "Layer":
        """The layer whose call produced this tensor (an InputLayer for model inputs)."""
        return self.node.layer

    @property
    def inputs(self) -> List["SymbolicTensor"]:
        """The symbolic tensors the producing layer was called on (empty for an Input)."""
        return list(self.node.inputs)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def is_symbolic(inputs: Any) -> bool:
    """True for a SymbolicTensor or a non-empty list/tuple of them; TypeError for a mixed list."""
    if isinstance(inputs, SymbolicTensor):
        return True
    if isinstance(inputs, (list, tuple)) and inputs:
        flags = [isinstance(t, SymbolicTensor) for t in inputs]
        if all(flags):
            return True
        if any(flags):
            raise TypeError("a layer cannot be called on a mix of symbolic tensors (from Input) and real data")
    return False
