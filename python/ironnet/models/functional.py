"""The functional Model: a DAG of layer calls traced from symbolic output tensors back to Inputs,
run in topological order. `keras.Model(inputs, outputs)` builds one of these."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..layers.base import Layer
from ..layers.core import InputLayer
from ..layers.symbolic import Node, SymbolicTensor, is_symbolic
from ..tensor import Tensor
from .model import Model, _as_batch_tensor


def _as_list(x: Any, what: str) -> List[SymbolicTensor]:
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    if not items:
        raise ValueError(f"Model: {what} is empty")
    for t in items:
        if not isinstance(t, SymbolicTensor):
            raise TypeError(f"Model: {what} must be symbolic tensors (from Input and layer calls), "
                            f"got {type(t).__name__}")
    return items


def _single(tensors: List[SymbolicTensor], name: str, where: str) -> SymbolicTensor:
    if len(tensors) != 1:
        raise ValueError(f"{where}: {name} takes one input, but a call lists {len(tensors)}")
    return tensors[0]


def _call_on(layer: Layer, tensors: List[SymbolicTensor], name: str, where: str) -> Any:
    """Remakes a saved call: a merge layer takes the list; a recurrent layer's further inputs are its
    initial states; any other layer takes one tensor."""
    if layer._takes_list:
        return layer(tensors)
    if len(tensors) > 1 and hasattr(layer, "_call_symbolic_states"):
        return layer(tensors[0], initial_state=tensors[1:])
    return layer(_single(tensors, name, where))


class Functional(Model):
    """A model defined by its symbolic inputs and outputs: single or multiple of each (lists), with
    branches, merges and shared layers. `layers` lists the InputLayers first, then each layer once,
    in the order it first runs."""

    def __init__(self, inputs: Any, outputs: Any, name: Optional[str] = None):
        super().__init__(name=name or "functional")
        self._multi_in = isinstance(inputs, (list, tuple))
        self._multi_out = isinstance(outputs, (list, tuple))
        self.inputs = _as_list(inputs, "inputs")
        self.outputs = _as_list(outputs, "outputs")
        for t in self.inputs:
            if not isinstance(t.layer, InputLayer):
                raise ValueError(f"Model: inputs must come from Input(...), got {t.name} made by {t.layer.name}")
        if len({id(t) for t in self.inputs}) != len(self.inputs):
            raise ValueError("Model: the same Input appears twice in inputs")
        self._nodes, self._depth = self._trace()
        seen: Dict[int, Layer] = {}
        for node in self._nodes:
            seen.setdefault(id(node.layer), node.layer)
        self._layers: List[Layer] = list(seen.values())
        self._plan = self._make_plan()

    # --- graph -----------------------------------------------------------------------------------
    def _trace(self) -> Tuple[List[Node], Dict[int, int]]:
        """The nodes between inputs and outputs sorted by depth (longest path from an input), ties in
        depth-first order; ValueError when an output depends on an Input that is not a model input."""
        input_ids = {id(t.node) for t in self.inputs}
        order: List[Node] = []
        depth: Dict[int, int] = {}
        visiting = set()

        def visit(node: Node, tensor: SymbolicTensor) -> int:
            key = id(node)
            if key in depth:
                return depth[key]
            if key in visiting:
                raise ValueError(f"Model: the graph has a cycle through {node.layer.name}")
            if not node.inputs:
                if key not in input_ids:
                    raise ValueError(
                        f"Model: graph disconnected: {tensor.name} {tensor.shape} comes from {node.layer.name}, "
                        f"which is not one of the model's inputs ({', '.join(t.name for t in self.inputs)})"
                    )
                d = 0
            else:
                visiting.add(key)
                d = 1 + max(visit(t.node, t) for t in node.inputs)
                visiting.discard(key)
            depth[key] = d
            order.append(node)
            return d

        for t in self.inputs:  # inputs first, in their order, even if an output ignores one
            visit(t.node, t)
        for t in self.outputs:
            visit(t.node, t)
        rank = {id(n): i for i, n in enumerate(order)}
        order.sort(key=lambda n: (depth[id(n)], rank[id(n)]))
        return order, depth

    def _make_plan(self) -> List[Tuple[Layer, Any, List[int]]]:
        """Per non-input node: its layer, the slots its inputs are read from (an int or a list for
        merge layers) and the slots its outputs go to. Slots 0..n_inputs-1 hold the model inputs."""
        slot: Dict[int, int] = {id(t): i for i, t in enumerate(self.inputs)}
        plan = []
        for node in self._nodes:
            if not node.inputs:
                continue
            args = [slot[id(t)] for t in node.inputs]
            outs = []
            for t in node.outputs:
                slot[id(t)] = len(slot)
                outs.append(slot[id(t)])
            # A list for merge layers and for calls with further inputs (a recurrent layer's initial states).
            plan.append((node.layer, args if node.layer._takes_list or len(args) > 1 else args[0], outs))
        self._output_slots = [slot[id(t)] for t in self.outputs]
        self._n_slots = len(slot)
        return plan

    @property
    def layers(self) -> List[Layer]:
        return list(self._layers)

    @property
    def _input_count(self) -> int:
        return len(self.inputs)

    # --- running ---------------------------------------------------------------------------------
    def call(self, x: Any, training: bool = False) -> Any:
        """x: one Tensor, or a list with one Tensor per model input; returns one Tensor, or a list
        when the model was made with a list of outputs."""
        return self.call_with_mask(x, training=training)[0]

    def call_with_mask(self, x: Any, training: bool = False) -> Tuple[Any, Any]:
        """call's outputs and their masks (a list for a list of outputs), masks carried per value."""
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        if len(xs) != len(self.inputs):
            raise ValueError(
                f"{self.name}: expects {len(self.inputs)} input(s) "
                f"({', '.join(f'{t.name} {t.shape}' for t in self.inputs)}), got {len(xs)}"
            )
        values: List[Any] = [None] * self._n_slots
        masks: List[Any] = [None] * self._n_slots  # each value's mask (None until a layer makes one)
        for i, (t, v) in enumerate(zip(self.inputs, xs)):
            values[i] = t.layer.call(v)
        for layer, args, outs in self._plan:
            if isinstance(args, list):  # several inputs: their masks as a list, None when none has one
                inp = [values[a] for a in args]
                mask = [masks[a] for a in args] if any(masks[a] is not None for a in args) else None
            else:
                inp, mask = values[args], masks[args]
            out, out_mask = layer.call_with_mask(inp, training=training, mask=mask)
            if len(outs) == 1:
                values[outs[0]], masks[outs[0]] = out, out_mask
            else:  # a layer with several outputs (a recurrent layer's return_state): one mask each
                out_masks = out_mask if isinstance(out_mask, list) else [out_mask] * len(outs)
                for slot_index, value, value_mask in zip(outs, out, out_masks):
                    values[slot_index], masks[slot_index] = value, value_mask
        out = [values[s] for s in self._output_slots]
        out_masks = [masks[s] for s in self._output_slots]
        return (out, out_masks) if self._multi_out else (out[0], out_masks[0])

    def __call__(self, x: Any, training: bool = False) -> Any:
        if is_symbolic(x):
            raise TypeError(f"{self.name}: calling a model on symbolic tensors (nesting models) is not "
                            f"supported yet; call its layers instead")
        if isinstance(x, (list, tuple)):
            x = [t if isinstance(t, Tensor) else _as_batch_tensor(np.asarray(t), self._device) for t in x]
        elif not isinstance(x, Tensor):
            x = _as_batch_tensor(np.asarray(x), self._device)
        return self.call(x, training=training)

    # --- description -------------------------------------------------------------------------------
    def _is_chain(self) -> bool:
        """True when the graph is a single line of single-use layers (summary then omits "Connected to")."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        depths = [self._depth[id(n)] for n in self._nodes]
        return (len(set(depths)) == len(depths)
                and all(len(n.inputs) <= 1 and len(n.layer._inbound_nodes) == 1 for n in self._nodes))

    def _connections(self, layer: Layer) -> List[str]:
        """"name[node][tensor]" for each input of each of the layer's calls inside this model."""
        mine = {id(n) for n in self._nodes}
        out = []
        for node in layer._inbound_nodes:
            if id(node) in mine:
                for t in node.inputs:
                    out.append(f"{t.layer.name}[{t.node.index}][{t.node.outputs.index(t)}]")
        return out

    def _requires_single_output(self, what: str) -> None:
        if len(self.outputs) != 1:
            raise ValueError(
                f"{self.name}.{what}: training or evaluating a model with {len(self.outputs)} outputs is not "
                f"supported yet (one loss cannot be matched to several outputs); build a model per output"
            )

    # --- configuration -----------------------------------------------------------------------------
    def _model_nodes(self, layer: Layer) -> List[Node]:
        """The layer's calls that belong to this model, in call order (their positions are the node
        indices a config uses, so calls made outside the model do not shift them)."""
        mine = {id(n) for n in self._nodes}
        return [n for n in layer._inbound_nodes if id(n) in mine]

    def get_config(self) -> Dict[str, Any]:
        """keras.Model.get_config for a functional model (JSON types only):

        {"name", "layers": [{"class_name", "config", "name", "inbound_nodes"}], "input_layers", "output_layers"}.
        A layer's "inbound_nodes" holds one entry per call of it inside the model (a shared layer has
        several; an InputLayer none); a call's entry lists the tensors it was called on, each as
        [layer name, node index, tensor index] (several for a merge layer's list). "input_layers" and
        "output_layers" name the model's inputs and outputs the same way: a list of them when the model
        was made with lists, else the one reference."""
        from .. import layers as layers_mod

        local: Dict[int, int] = {}  # id(node) -> its index among its layer's calls in this model
        for layer in self._layers:
            for i, node in enumerate(self._model_nodes(layer)):
                local[id(node)] = i

        def ref(t: SymbolicTensor) -> List[Any]:
            return [t.layer.name, local[id(t.node)], t.node.outputs.index(t)]

        names = [layer.name for layer in self._layers]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"{self.name}.get_config: layer names must be unique, {duplicated} appear twice")
        specs = []
        for layer in self._layers:
            spec = layers_mod.serialize(layer)
            spec["name"] = layer.name
            spec["inbound_nodes"] = [[ref(t) for t in node.inputs] for node in self._model_nodes(layer)
                                     if node.inputs]
            specs.append(spec)
        inputs = [ref(t) for t in self.inputs]
        outputs = [ref(t) for t in self.outputs]
        return {"name": self.name, "layers": specs,
                "input_layers": inputs if self._multi_in else inputs[0],
                "output_layers": outputs if self._multi_out else outputs[0]}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Functional":
        """A new model (fresh weights, same layer names and graph) from `get_config()`: the layers are
        deserialized, then called on symbolic tensors, each call once everything it reads exists."""
        from .. import layers as layers_mod

        where = "Functional.from_config"
        specs = config.get("layers")
        if not isinstance(specs, list) or not specs:
            raise ValueError(f"{where}: 'layers' must be a non-empty list, got {specs!r}")
        created: Dict[str, Layer] = {}
        pending: Dict[str, List[Any]] = {}  # layer name -> its calls not made yet, in order
        order: List[str] = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise ValueError(f"{where}: each layer must be a dict, got {spec!r}")
            layer = layers_mod.deserialize(spec)
            name = spec.get("name", layer.name)
            if name != layer.name:
                raise ValueError(f"{where}: layer {name!r} has {layer.name!r} as its config's name")
            if name in created:
                raise ValueError(f"{where}: two layers are named {name!r}")
            calls = spec.get("inbound_nodes", [])
            if not isinstance(calls, list):
                raise ValueError(f"{where}: {name}: 'inbound_nodes' must be a list, got {calls!r}")
            created[name] = layer
            pending[name] = list(calls)
            order.append(name)

        made: Dict[str, List[List[SymbolicTensor]]] = {}  # layer name -> outputs of each call
        for name, layer in created.items():
            if isinstance(layer, InputLayer):
                if pending[name]:
                    raise ValueError(f"{where}: the InputLayer {name!r} cannot have inbound nodes")
                made[name] = [[layer.output]]
            else:
                made[name] = []

        def lookup(ref: Any) -> Optional[SymbolicTensor]:
            """The tensor a [layer name, node index, tensor index] reference names; None if not made yet."""
            if not (isinstance(ref, (list, tuple)) and len(ref) == 3 and isinstance(ref[0], str)
                    and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ref[1:])):
                raise ValueError(f"{where}: a tensor reference must be [layer name, node index, tensor index], "
                                 f"got {ref!r}")
            name, node_index, tensor_index = ref
            if name not in created:
                raise ValueError(f"{where}: {ref!r} names an unknown layer {name!r}")
            outs = made[name]
            if node_index >= len(outs):
                return None
            if tensor_index >= len(outs[node_index]):
                raise ValueError(f"{where}: {ref!r}: {name} call {node_index} has {len(outs[node_index])} output(s)")
            return outs[node_index][tensor_index]

        # Each pass makes every call whose inputs exist (a layer's calls in their order); a pass that
        # makes nothing while calls remain means a reference that can never be satisfied.
        while any(pending.values()):
            progress = False
            for name in order:
                layer = created[name]
                while pending[name]:
                    refs = pending[name][0]
                    if not isinstance(refs, list) or not refs:
                        raise ValueError(f"{where}: {name}: each inbound node must be a non-empty list of "
                                         f"tensor references, got {refs!r}")
                    tensors = [lookup(r) for r in refs]
                    if any(t is None for t in tensors):
                        break
                    out = _call_on(layer, tensors, name, where)
                    made[name].append(out if isinstance(out, list) else [out])
                    pending[name].pop(0)
                    progress = True
            if not progress:
                stuck = {n: calls[0] for n, calls in pending.items() if calls}
                raise ValueError(f"{where}: these calls read tensors that are never made: {stuck}")

        def ends(key: str) -> Any:
            refs = config.get(key)
            if refs is None:
                raise ValueError(f"{where}: '{key}' is missing")
            multi = isinstance(refs, list) and bool(refs) and isinstance(refs[0], (list, tuple))
            tensors = [lookup(r) for r in (refs if multi else [refs])]
            if any(t is None for t in tensors):
                raise ValueError(f"{where}: '{key}' names a call that the layers do not make: {refs!r}")
            return tensors if multi else tensors[0]

        return cls(ends("input_layers"), ends("output_layers"), name=config.get("name"))

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Optional[Sequence[Any]] = None) -> None:
        self._requires_single_output("compile")
        super().compile(optimizer, loss, metrics)
