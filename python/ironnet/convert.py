"""Recurrent weights to and from PyTorch's nn.RNN / nn.LSTM / nn.GRU state dicts.

A stack of ironnet recurrent layers (SimpleRNN, LSTM or GRU; each optionally wrapped in
Bidirectional with merge_mode="concat") corresponds to one PyTorch module with num_layers = the
stack's length, batch_first=True. The state dict keys are PyTorch's:

    weight_ih_l{k}  (gates*H, I)    weight_hh_l{k}  (gates*H, H)
    bias_ih_l{k}    (gates*H,)      bias_hh_l{k}    (gates*H,)       (+ "_reverse" for the backward direction)

Layouts differ in three ways, handled here:
- PyTorch stores kernels transposed ((out, in) against Keras's (in, out)).
- Gate order: LSTM is i, f, g(=c), o in both; GRU is r, z, n in PyTorch against Keras's z, r, h.
- Biases: PyTorch always has two. Keras's LSTM and SimpleRNN have one, so going to Keras the two are
  summed, and going to PyTorch the bias goes to bias_ih with zeros in bias_hh. Keras's GRU with
  reset_after=True has (2, 3H): row 0 is bias_ih, row 1 bias_hh. GRU(reset_after=False) applies the
  reset gate before the recurrent product, which PyTorch cannot express: ValueError.

Arrays come back as float32 NumPy arrays (wrap them with torch.from_numpy to load them); arrays or
torch tensors are accepted going the other way. PyTorch is never imported here.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

import numpy as np

from . import devices
from .layers.bidirectional import Bidirectional
from .layers.recurrent import GRU, LSTM, SimpleRNN

Layers = Union[Any, Sequence[Any]]


def _stack(layers: Layers) -> List[Any]:
    """The stack as a list of layers, each SimpleRNN/LSTM/GRU or a Bidirectional of one (all one kind)."""
    stack = list(layers) if isinstance(layers, (list, tuple)) else [layers]
    if not stack:
        raise ValueError("convert: expected at least one recurrent layer")
    kinds = set()
    for layer in stack:
        cell = layer.forward_layer if isinstance(layer, Bidirectional) else layer
        if not isinstance(cell, (SimpleRNN, LSTM, GRU)):
            raise TypeError(f"convert: {getattr(layer, 'name', layer)!r} is a {type(cell).__name__}; PyTorch "
                            f"has modules for SimpleRNN, LSTM and GRU (optionally in Bidirectional)")
        if isinstance(layer, Bidirectional) and layer.merge_mode != "concat":
            raise ValueError(f"convert: {layer.name} merges with {layer.merge_mode!r}; a bidirectional "
                             f"PyTorch module concatenates the two directions (merge_mode='concat')")
        kinds.add(type(cell))
        _check_torch_semantics(cell)
    if len(kinds) > 1 or len({isinstance(layer, Bidirectional) for layer in stack}) > 1:
        raise ValueError("convert: a PyTorch module stacks layers of one kind and direction; got "
                         + ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in stack))
    return stack


def _check_torch_semantics(cell: Any) -> None:
    """Refuses layers whose computation no PyTorch module reproduces."""
    name = type(cell).__name__
    if isinstance(cell, SimpleRNN):
        if cell.activation not in ("tanh", "relu"):
            raise ValueError(f"convert: {cell.name}: nn.RNN's nonlinearity is 'tanh' or 'relu', the layer "
                             f"uses {cell.activation!r}")
        return
    if cell.activation != "tanh" or cell.recurrent_activation != "sigmoid":
        raise ValueError(f"convert: {cell.name}: PyTorch's {name} uses tanh and sigmoid, the layer uses "
                         f"activation={cell.activation!r}, recurrent_activation={cell.recurrent_activation!r}")
    if isinstance(cell, GRU) and not cell.reset_after:
        raise ValueError(f"convert: {cell.name}: GRU(reset_after=False) applies the reset gate before the "
                         f"recurrent product; PyTorch's GRU (and cuDNN) apply it after, so there is no "
                         f"equivalent module; use reset_after=True")


def _directions(layer: Any) -> List[Tuple[str, Any]]:
    """(key suffix, layer) per direction: "" for forward, "_reverse" for Bidirectional's backward."""
    if isinstance(layer, Bidirectional):
        return [("", layer.forward_layer), ("_reverse", layer.backward_layer)]
    return [("", layer)]


def _gate_blocks(cell: Any, array: np.ndarray) -> np.ndarray:
    """Reorders the gate blocks of the last axis: GRU's z, r, h <-> r, z, n (an involution: swapping the
    first two blocks both ways). LSTM's i, f, c, o and SimpleRNN's single block are already equal."""
    if not isinstance(cell, GRU):
        return array
    z, r, h = np.split(array, 3, axis=-1)
    return np.concatenate([r, z, h], axis=-1)


def module_kwargs(layers: Layers) -> Dict[str, Any]:
    """The constructor arguments of the PyTorch module equal to this stack (built layers), e.g.
    `torch.nn.LSTM(**convert.module_kwargs(layers))`, plus "module": "RNN" | "LSTM" | "GRU"."""
    stack = _stack(layers)
    first = stack[0].forward_layer if isinstance(stack[0], Bidirectional) else stack[0]
    if not first.built:
        raise ValueError(f"convert: {first.name} is not built yet; call it once or build the model first")
    kwargs = {"module": type(first).__name__.replace("SimpleRNN", "RNN"),
              "input_size": first.kernel.shape[0], "hidden_size": first.units, "num_layers": len(stack),
              "bias": first.use_bias, "batch_first": True, "bidirectional": isinstance(stack[0], Bidirectional)}
    if isinstance(first, SimpleRNN):
        kwargs["nonlinearity"] = first.activation
    return kwargs


def to_torch(layers: Layers) -> Dict[str, np.ndarray]:
    """The PyTorch state dict (float32 arrays) of the stack's weights; see the module docstring."""
    out: Dict[str, np.ndarray] = {}
    for k, layer in enumerate(_stack(layers)):
        for suffix, cell in _directions(layer):
            if not cell.built:
                raise ValueError(f"convert: {cell.name} is not built yet; call it once or build the model first")
            key = f"_l{k}{suffix}"
            out[f"weight_ih{key}"] = _gate_blocks(cell, devices.to_host(cell.kernel)).T.copy()
            out[f"weight_hh{key}"] = _gate_blocks(cell, devices.to_host(cell.recurrent_kernel)).T.copy()
            if cell.use_bias:
                bias = _gate_blocks(cell, devices.to_host(cell.bias))
                if bias.ndim == 2:  # GRU reset_after: its two biases are PyTorch's two
                    out[f"bias_ih{key}"], out[f"bias_hh{key}"] = bias[0].copy(), bias[1].copy()
                else:
                    out[f"bias_ih{key}"], out[f"bias_hh{key}"] = bias.copy(), np.zeros_like(bias)
    return out


def _array(state_dict: Mapping[str, Any], key: str, shape: Tuple[int, ...]) -> np.ndarray:
    if key not in state_dict:
        raise ValueError(f"convert: the state dict has no {key!r} (keys: {', '.join(sorted(state_dict))})")
    value = state_dict[key]
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=np.float32)
    if array.shape != shape:
        raise ValueError(f"convert: {key} has shape {array.shape}, the layer needs {shape}")
    return array


def from_torch(layers: Layers, state_dict: Mapping[str, Any]) -> None:
    """Sets the stack's weights from a PyTorch nn.RNN/LSTM/GRU state dict (arrays or tensors). Unbuilt
    layers are built for the input size the state dict implies. Every key the stack needs must be
    there with the matching shape; keys the stack does not use are an error too (a deeper or
    bidirectional module does not silently half-load). Nothing is set unless everything fits."""
    stack = _stack(layers)
    used = set()
    loads: List[Tuple[Any, List[np.ndarray]]] = []
    input_size = None
    for k, layer in enumerate(stack):
        for suffix, cell in _directions(layer):
            key = f"_l{k}{suffix}"
            if not cell.built:
                size = input_size if input_size is not None else _array_shape(state_dict, f"weight_ih{key}")[1]
                cell.build_for((None, None, size))
            width, units = cell.kernel.shape[1], cell.units
            kernel = _array(state_dict, f"weight_ih{key}", (width, cell.kernel.shape[0]))
            recurrent = _array(state_dict, f"weight_hh{key}", (width, units))
            weights = [_gate_blocks(cell, kernel.T), _gate_blocks(cell, recurrent.T)]
            used.update({f"weight_ih{key}", f"weight_hh{key}"})
            if cell.use_bias:
                b_ih = _gate_blocks(cell, _array(state_dict, f"bias_ih{key}", (width,)))
                b_hh = _gate_blocks(cell, _array(state_dict, f"bias_hh{key}", (width,)))
                weights.append(np.stack([b_ih, b_hh]) if cell.bias.ndim == 2 else b_ih + b_hh)
                used.update({f"bias_ih{key}", f"bias_hh{key}"})
            loads.append((cell, weights))
        if isinstance(layer, Bidirectional) and not layer.built:
            layer.build_for((None, None, layer.forward_layer.kernel.shape[0]))
        input_size = (2 if isinstance(layer, Bidirectional) else 1) * _directions(layer)[0][1].units
    extra = sorted(set(state_dict) - used)
    if extra:
        raise ValueError(f"convert: the state dict has weights the {len(stack)}-layer stack does not use: {extra}; "
                         f"pass one layer per num_layers and Bidirectional layers for a bidirectional module")
    for cell, weights in loads:
        cell.set_weights(weights)


def _array_shape(state_dict: Mapping[str, Any], key: str) -> Tuple[int, ...]:
    if key not in state_dict:
        raise ValueError(f"convert: the state dict has no {key!r} (keys: {', '.join(sorted(state_dict))})")
    return tuple(state_dict[key].shape)
