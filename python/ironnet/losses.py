"""Keras-style losses over fused native kernels (cpp/kernels/cpu/losses_kernels.h).

Each loss is one native forward (the scalar loss, summed in double) and one native backward
(d(loss)/d(y_pred) written in one pass), recorded as a single autograd node; y_true gets no gradient.

Reduction is Keras's default, "sum_over_batch_size": MSE, MAE, Huber and binary crossentropy average
over the last axis and then over the batch (so over every element); the categorical crossentropies sum
over the class axis (the last) and average over the batch. Probabilities are clipped to
[1e-7, 1 - 1e-7] in float32 as Keras does (categorical rows are first normalized to sum to 1).

Shapes: y_true, y_pred: (..., d) float32, equal shapes; sparse labels: (...) or (..., 1) int32/int64
class indices for y_pred (..., classes). NumPy targets and labels are copied to y_pred's device; the
loss is a 0-d tensor on that device (CPU or CUDA).

Unlike Keras, the functions (`mean_squared_error`, `mse`, ...) return the reduced scalar, not the
per-sample losses, and `get('mse')` returns a loss object rather than that function.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Type, Union

import numpy as np

from . import _C
from .autograd import Context, Function
from .tensor import Tensor

__all__ = [
    "Loss",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Huber",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "get",
]


# --- conversions at the boundary ----------------------------------------------------------------
def _as_tensor(x: Any, op: str, name: str, device: str = "cpu") -> Tensor:
    """Tensors pass through; array-likes are viewed on the CPU (no copy) or copied once to `device`."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind == "f" and array.dtype != np.float32:
        array = array.astype(np.float32)
    try:
        return Tensor(_C.TensorImpl.from_numpy(np.ascontiguousarray(array), copy=False)).to(device)
    except TypeError as err:
        raise TypeError(f"{op}: {name} {array.shape} has dtype {array.dtype}; expected float32") from err


def _as_target(y_true: Any, op: str, device: str) -> Tensor:
    """Dense targets: NumPy data of any real dtype is cast to float32 (as Keras casts y_true to y_pred's
    dtype) and meets y_pred on its device; an ironnet Tensor must already be float32."""
    if isinstance(y_true, Tensor):
        return y_true
    array = np.asarray(y_true)
    if array.dtype.kind in "biuf":
        array = array.astype(np.float32)
    return _as_tensor(array, op, "y_true", device)


def _as_labels(labels: Any, op: str, device: str) -> Tensor:
    """Sparse labels: integer NumPy data becomes int64 (int32 is kept) on y_pred's device; floats stay
    float32 and are refused by the native op with a TypeError."""
    if isinstance(labels, Tensor):
        return labels
    array = np.asarray(labels)
    if array.dtype.kind in "biu" and array.dtype != np.int32:
        array = array.astype(np.int64)
    return _as_tensor(array, op, "labels", device)


# --- one autograd Function per native loss ----------------------------------------------------------
class _FusedLoss(Function):
    """apply(y_true, y_pred, *options) -> 0-d loss. Subclasses name the native forward and backward;
    the options (delta, from_logits) follow y_true and y_pred in both native signatures."""

    native_forward: Callable[..., Any]
    native_backward: Callable[..., Any]

    @classmethod
    def forward(cls, ctx: Context, y_true: Tensor, y_pred: Tensor, *options: Any) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(y_true, y_pred)
        ctx.options = options
        return Tensor(cls.native_forward(y_true._impl, y_pred._impl, *options))

    @classmethod
    def backward(cls, ctx: Context, grad: Tensor):  # type: ignore[override]
        y_true, y_pred = ctx.saved_tensors
        grad_pred = None
        if ctx.needs_input_grad[1] and grad.device == "cpu":
            scale = float(grad.numpy())
            grad_pred = Tensor(cls.native_backward(y_true._impl, y_pred._impl, *ctx.options, scale))
        elif ctx.needs_input_grad[1]:
            # Reading the upstream scalar would stall the GPU mid-step: scale on the device instead
            # (exact for the usual upstream 1.0, within a rounding of the fused scale otherwise).
            unscaled = cls.native_backward(y_true._impl, y_pred._impl, *ctx.options, 1.0)
            grad_pred = Tensor(_C.mul(unscaled, grad._impl))
        return (None, grad_pred) + (None,) * len(ctx.options)


class MeanSquaredErrorFunction(_FusedLoss):
    native_forward = staticmethod(_C.mean_squared_error)
    native_backward = staticmethod(_C.mean_squared_error_backward)


class MeanAbsoluteErrorFunction(_FusedLoss):
    native_forward = staticmethod(_C.mean_absolute_error)
    native_backward = staticmethod(_C.mean_absolute_error_backward)


class HuberFunction(_FusedLoss):
    native_forward = staticmethod(_C.huber)
    native_backward = staticmethod(_C.huber_backward)


class BinaryCrossentropyFunction(_FusedLoss):
    native_forward = staticmethod(_C.binary_crossentropy)
    native_backward = staticmethod(_C.binary_crossentropy_backward)


class CategoricalCrossentropyFunction(_FusedLoss):
    native_forward = staticmethod(_C.categorical_crossentropy)
    native_backward = staticmethod(_C.categorical_crossentropy_backward)


class SparseCategoricalCrossentropyFunction(_FusedLoss):
    native_forward = staticmethod(_C.sparse_categorical_crossentropy)
    native_backward = staticmethod(_C.sparse_categorical_crossentropy_backward)


# --- Keras-style loss objects -----------------------------------------------------------------------
class Loss:
    """Base class: `loss(y_true, y_pred)` -> 0-d differentiable Tensor."""

    function: Type[_FusedLoss]
    default_name = "loss"

    def __init__(self, name: Optional[str] = None, reduction: str = "sum_over_batch_size"):
        if reduction != "sum_over_batch_size":
            raise ValueError(
                f"{type(self).__name__}: reduction {reduction!r} is not supported yet; "
                "only 'sum_over_batch_size' (the Keras default: the mean over the batch) is"
            )
        self.name = name or self.default_name
        self.reduction = reduction

    def _options(self) -> tuple:
        return ()

    def _target(self, y_true: Any, device: str) -> Tensor:
        return _as_target(y_true, self.name, device)

    def __call__(self, y_true: Any, y_pred: Any) -> Tensor:
        y_pred = _as_tensor(y_pred, self.name, "y_pred")
        return self.function.apply(self._target(y_true, y_pred.device), y_pred, *self._options())

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({options})"


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)^2). y_true, y_pred: (..., d) float32."""

    function = MeanSquaredErrorFunction
    default_name = "mean_squared_error"


class MeanAbsoluteError(Loss):
    """mean(|y_pred - y_true|); its gradient is 0 where y_pred == y_true (like tf.sign)."""

    function = MeanAbsoluteErrorFunction
    default_name = "mean_absolute_error"


class Huber(Loss):
    """Mean of 0.5 e^2 where |e| <= delta, else delta (|e| - 0.5 delta), e = y_pred - y_true."""

    function = HuberFunction
    default_name = "huber_loss"

    def __init__(self, delta: float = 1.0, name: Optional[str] = None, reduction: str = "sum_over_batch_size"):
        super().__init__(name, reduction)
        self.delta = float(delta)

    def _options(self) -> tuple:
        return (self.delta,)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "delta": self.delta}


class _FromLogits(Loss):
    def __init__(self, from_logits: bool = False, name: Optional[str] = None, reduction: str = "sum_over_batch_size"):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)

    def _options(self) -> tuple:
        return (self.from_logits,)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "from_logits": self.from_logits}


class BinaryCrossentropy(_FromLogits):
    """Mean binary crossentropy. y_pred: probabilities (clipped to [1e-7, 1 - 1e-7]) or, with
    from_logits=True, logits (computed stably as max(x, 0) - x y + log1p(exp(-|x|)))."""

    function = BinaryCrossentropyFunction
    default_name = "binary_crossentropy"


class CategoricalCrossentropy(_FromLogits):
    """-sum(y_true * log(p)) over the class axis (last), mean over the rest. y_pred: (..., classes)
    probabilities (each row normalized, then clipped) or, with from_logits=True, logits (log-softmax)."""

    function = CategoricalCrossentropyFunction
    default_name = "categorical_crossentropy"


class SparseCategoricalCrossentropy(_FromLogits):
    """Categorical crossentropy against class indices. labels: (...) or (..., 1) int32/int64 in
    [0, classes); y_pred: (..., classes)."""

    function = SparseCategoricalCrossentropyFunction
    default_name = "sparse_categorical_crossentropy"

    def _target(self, y_true: Any, device: str) -> Tensor:
        return _as_labels(y_true, self.name, device)


# --- functions and lookup ---------------------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """The mean squared error as a 0-d Tensor (see MeanSquaredError)."""
    return MeanSquaredError()(y_true, y_pred)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """The mean absolute error as a 0-d Tensor (see MeanAbsoluteError)."""
    return MeanAbsoluteError()(y_true, y_pred)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """The mean Huber loss as a 0-d Tensor (see Huber)."""
    return Huber(delta)(y_true, y_pred)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """The mean binary crossentropy as a 0-d Tensor (see BinaryCrossentropy)."""
    return BinaryCrossentropy(from_logits)(y_true, y_pred)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """The categorical crossentropy, mean over rows, as a 0-d Tensor (see CategoricalCrossentropy)."""
    return CategoricalCrossentropy(from_logits)(y_true, y_pred)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False) -> Tensor:
    """The sparse categorical crossentropy, mean over rows, as a 0-d Tensor."""
    return SparseCategoricalCrossentropy(from_logits)(y_true, y_pred)


mse = mean_squared_error
mae = mean_absolute_error

_BY_NAME: Dict[str, Type[Loss]] = {
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "MeanSquaredError": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "MeanAbsoluteError": MeanAbsoluteError,
    "huber": Huber,
    "huber_loss": Huber,
    "Huber": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "BinaryCrossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "CategoricalCrossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
}


def get(identifier: Union[str, Loss, Callable, None]) -> Optional[Union[Loss, Callable]]:
    """A loss from its Keras name ('mse', 'categorical_crossentropy', ...) as a fresh loss object with
    default settings; a Loss instance or any callable is returned as is, None as None."""
    if identifier is None or isinstance(identifier, Loss) or (callable(identifier) and not isinstance(identifier, str)):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}; valid names: {', '.join(sorted(_BY_NAME))}")
        return cls()
    raise ValueError(f"cannot interpret {identifier!r} as a loss: pass a name, a Loss or a callable")
