"""model.summary(): each layer's type, output shape, parameter count and activation memory, then the
totals, in Keras's columns and with Keras's numbers for the same model.

Activation memory is what a layer's output occupies per sample (float32): training keeps each one for
the backward pass, so a batch needs about the total times the batch size on top of the weights."""
from __future__ import annotations

import math
from typing import Any, List


def _shape(shape: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _bytes(n_floats: int) -> str:
    size = n_floats * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def _per_sample(shape: Any) -> Any:
    """Floats in one sample of a layer's output; None when unknown (unbuilt, or several outputs)."""
    if shape is None or not shape or isinstance(shape[0], (tuple, list)) or any(d is None for d in shape[1:]):
        return None
    return math.prod(shape[1:])


def format_summary(model: Any) -> str:
    """Keras's table; functional models that are not a plain chain get a "Connected to" column
    listing each layer's inputs as name[call][tensor]."""
    connected = hasattr(model, "_connections") and not model._is_chain()
    header = ["Layer (type)", "Output Shape", "Param #", "Activations"] + (["Connected to"] if connected else [])
    rows: List[List[str]] = [header]
    activations = 0
    for layer in model.layers:
        out = _shape(layer.output_shape) if layer.output_shape is not None else "?"
        per_sample = _per_sample(layer.output_shape)
        activations += per_sample or 0
        row = [f"{layer.name} ({type(layer).__name__})", out, f"{layer.count_params():,}",
               "?" if per_sample is None else _bytes(per_sample)]
        if connected:
            row.append(", ".join(model._connections(layer)) or "-")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) + 2 for i in range(len(header))]
    line = "─" * sum(widths)
    text = [f'Model: "{model.name}"', line]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3].rjust(widths[3])]
        if connected:
            cells.append("  " + row[4].ljust(widths[4] - 2))
        text.append("".join(cells).rstrip())
        text.append("═" * sum(widths) if i == 0 else line)
    total = model.count_params()
    trainable = int(sum(w.numel() for w in model.trainable_weights))
    text.append(f" Total params: {total:,} ({_bytes(total)})")
    text.append(f" Trainable params: {trainable:,} ({_bytes(trainable)})")
    text.append(f" Non-trainable params: {total - trainable:,} ({_bytes(total - trainable)})")
    text.append(f" Activation memory: {_bytes(activations)} per sample (layer outputs, float32)")
    return "\n".join(text)
