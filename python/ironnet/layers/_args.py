"""Argument checks shared by the convolution and pooling layers (Keras accepts an int or a tuple)."""
from __future__ import annotations

from typing import Any, Optional, Tuple


def int_tuple(value: Any, rank: int, layer: str, what: str) -> Tuple[int, ...]:
    """`value` as a tuple of `rank` positive ints: an int is repeated, a tuple must have `rank` entries."""
    items = (value,) * rank if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if items is None or len(items) != rank or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise ValueError(f"{layer}: {what} must be an int or a tuple of {rank} ints, got {value!r}")
    if any(v < 1 for v in items):
        raise ValueError(f"{layer}: {what} must be positive, got {value!r}")
    return items


def check_padding(padding: Any, layer: str, allowed: Tuple[str, ...] = ("valid", "same")) -> str:
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(f"{layer}: padding must be one of {', '.join(map(repr, allowed))}, got {padding!r}")
    return mode


def check_data_format(data_format: Optional[str], layer: str) -> str:
    """Only channels_last (Keras's default): the native kernels are NHWC."""
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{layer}: data_format must be 'channels_last' (the kernels are NHWC), got {data_format!r}; "
            "transpose the data to (batch, height, width, channels)"
        )
    return "channels_last"


def check_input_rank(layer: str, shape: Any, rank: int, layout: str) -> None:
    """Inputs of a spatial layer: batch + `rank` spatial axes + channels, with known channels."""
    if len(shape) != rank + 2:
        raise ValueError(f"{layer}: expects inputs of rank {rank + 2} {layout}, got shape {tuple(shape)}")
