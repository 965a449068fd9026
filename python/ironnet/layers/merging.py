"""Merge layers (keras.layers names): Add, Subtract, Multiply, Concatenate. Each takes a list of
inputs; the arithmetic and the gradients are the native elementwise and concatenate ops."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .. import ops
from ..tensor import Tensor
from .base import Layer, Shape


def _fmt(shapes: Sequence[Shape]) -> str:
    return ", ".join("(" + ", ".join("None" if d is None else str(d) for d in s) + ")" for s in shapes)


class _Merge(Layer):
    """Base of the merge layers: checks the list of input shapes, folds the inputs with `_combine`."""

    _takes_list = True
    _min_inputs = 2
    _max_inputs = None
    supports_masking = True

    def compute_mask(self, inputs: List[Tensor], mask: Optional[List[Any]] = None) -> Optional[np.ndarray]:
        """A step is kept where every input that has a mask keeps it (Keras's rule)."""
        if mask is None or all(m is None for m in mask):
            return None
        return np.logical_and.reduce([np.asarray(m, dtype=bool) for m in mask if m is not None])

    def _check_count(self, n: int) -> None:
        if n < self._min_inputs or (self._max_inputs is not None and n > self._max_inputs):
            want = (f"exactly {self._min_inputs}" if self._max_inputs == self._min_inputs
                    else f"at least {self._min_inputs}")
            raise ValueError(f"{self.name} ({type(self).__name__}): needs {want} inputs, got {n}")

    def _check_shapes(self, shapes: Sequence[Shape]) -> None:
        if not isinstance(shapes, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"{self.name} ({type(self).__name__}): expects a list of inputs, got shape {shapes}")
        self._check_count(len(shapes))
        first = shapes[0]
        for s in shapes[1:]:
            same = len(s) == len(first) and all(a is None or b is None or a == b for a, b in zip(s, first))
            if not same:
                raise ValueError(
                    f"{self.name} ({type(self).__name__}): inputs must all have the same shape, got {_fmt(shapes)}"
                )

    def build(self, input_shape: List[Shape]) -> None:
        self._check_shapes(input_shape)

    def compute_output_shape(self, input_shape: List[Shape]) -> Shape:
        self._check_shapes(input_shape)
        out = list(input_shape[0])
        for s in input_shape[1:]:
            out = [a if a is not None else b for a, b in zip(out, s)]
        return tuple(out)

    def call(self, inputs: List[Tensor], training: bool = False) -> Tensor:
        self._check_shapes([t.shape for t in inputs])
        out = inputs[0]
        for t in inputs[1:]:
            out = self._combine(out, t)
        return out

    def _combine(self, a: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError


class Add(_Merge):
    """The elementwise sum of a list of inputs of one shape."""

    def _combine(self, a: Tensor, b: Tensor) -> Tensor:
        return ops.add(a, b)


class Subtract(_Merge):
    """inputs[0] - inputs[1] for exactly two inputs of one shape."""

    _max_inputs = 2

    def _combine(self, a: Tensor, b: Tensor) -> Tensor:
        return ops.sub(a, b)


class Multiply(_Merge):
    """The elementwise product of a list of inputs of one shape."""

    def _combine(self, a: Tensor, b: Tensor) -> Tensor:
        return ops.mul(a, b)


class Concatenate(_Merge):
    """Joins a list of inputs along `axis` (default the last); other dimensions must agree."""

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = axis

    def _check_shapes(self, shapes: Sequence[Shape]) -> None:
        if not isinstance(shapes, (list, tuple)) or not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"{self.name} (Concatenate): expects a list of inputs, got shape {shapes}")
        self._check_count(len(shapes))
        rank = len(shapes[0])
        if not -rank <= self.axis < rank:
            raise ValueError(f"{self.name} (Concatenate): axis {self.axis} is out of range for inputs {_fmt(shapes)}")
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"{self.name} (Concatenate): cannot concatenate along the batch axis")
        for s in shapes[1:]:
            same = len(s) == rank and all(
                i == axis or a is None or b is None or a == b for i, (a, b) in enumerate(zip(s, shapes[0]))
            )
            if not same:
                raise ValueError(
                    f"{self.name} (Concatenate): inputs must match except along axis {self.axis}, got {_fmt(shapes)}"
                )

    def compute_output_shape(self, input_shape: List[Shape]) -> Shape:
        self._check_shapes(input_shape)
        axis = self.axis % len(input_shape[0])
        out = list(input_shape[0])
        for s in input_shape[1:]:
            out = [a if a is not None else b for a, b in zip(out, s)]
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def call(self, inputs: List[Tensor], training: bool = False) -> Tensor:
        self._check_shapes([t.shape for t in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs: List[Tensor], mask: Optional[List[Any]] = None) -> Optional[np.ndarray]:
        """Masks (batch, time) of inputs (batch, time, features), joined as the inputs are (Keras's rule):
        along time, the masks are concatenated (all-True for an input without one); along the
        features, a step is kept where every input keeps it."""
        if mask is None or all(m is None for m in mask):
            return None
        columns = [np.ones((*t.shape[:-1], 1), bool) if m is None else np.asarray(m, dtype=bool)[..., None]
                   for t, m in zip(inputs, mask)]
        return np.concatenate(columns, axis=self.axis).all(axis=-1)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
