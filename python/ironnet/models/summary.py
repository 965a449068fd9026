"""model.summary(): each layer's type, output shape and parameter count, then the totals, in
Keras's columns and with Keras's numbers for the same model."""
from __future__ import annotations

from typing import Any, List


def _shape(shape: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _bytes(n_params: int) -> str:
    size = n_params * 4.0
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def format_summary(model: Any) -> str:
    """Keras's table; functional models that are not a plain chain get a "Connected to" column
    listing each layer's inputs as name[call][tensor]."""
    connected = hasattr(model, "_connections") and not model._is_chain()
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    rows: List[List[str]] = [header]
    for layer in model.layers:
        out = _shape(layer.output_shape) if layer.output_shape is not None else "?"
        row = [f"{layer.name} ({type(layer).__name__})", out, f"{layer.count_params():,}"]
        if connected:
            row.append(", ".join(model._connections(layer)) or "-")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) + 2 for i in range(len(header))]
    line = "─" * sum(widths)
    text = [f'Model: "{model.name}"', line]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2])]
        if connected:
            cells.append("  " + row[3].ljust(widths[3] - 2))
        text.append("".join(cells).rstrip())
        text.append("═" * sum(widths) if i == 0 else line)
    total = model.count_params()
    trainable = int(sum(w.numel() for w in model.trainable_weights))
    text.append(f" Total params: {total:,} ({_bytes(total)})")
    text.append(f" Trainable params: {trainable:,} ({_bytes(trainable)})")
    text.append(f" Non-trainable params: {total - trainable:,} ({_bytes(total - trainable)})")
    return "\n".join(text)
