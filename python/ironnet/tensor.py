"""The user-facing tensor: a thin Python object around the native TensorImpl.

The native side owns the memory (64-byte aligned on the CPU, device memory on CUDA) and every
kernel; this class adds the Python protocols (NumPy, DLPack, operators) and, from the training-stack
issue on, the autograd fields.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _C

float32 = _C.DType.float32
int32 = _C.DType.int32
int64 = _C.DType.int64

_DTYPES = {"float32": float32, "int32": int32, "int64": int64}


def as_dtype(dtype: Any) -> "_C.DType":
    """Accepts an ironnet dtype, its name, or a NumPy dtype/type; raises TypeError otherwise."""
    if isinstance(dtype, _C.DType):
        return dtype
    try:
        name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    except TypeError:
        name = None
    if name in _DTYPES:
        return _DTYPES[name]
    raise TypeError(f"unsupported dtype {dtype!r}: ironnet tensors are float32, int32 or int64")


class Tensor:
    """An n-dimensional array of float32 (compute) or int32/int64 (labels, indices), on 'cpu' or 'cuda'.

    Create one with `ironnet.tensor(data)`, `ironnet.from_numpy(array)` (no copy) or
    `ironnet.from_dlpack(x)` (no copy). `np.asarray(t)` and `t.numpy()` view a CPU tensor without copying.
    """

    __slots__ = ("_impl", "_requires_grad", "grad", "_grad_fn", "_grad_index", "__weakref__")

    def __init__(self, impl: "_C.TensorImpl", requires_grad: bool = False):
        if not isinstance(impl, _C.TensorImpl):
            raise TypeError(
                f"Tensor() wraps a native tensor; to make one from data use ironnet.tensor(...), got {type(impl).__name__}"
            )
        self._impl = impl
        self._grad_fn = None  # the autograd Node that made this tensor; None for a leaf
        self._grad_index = 0  # which of that node's outputs this is
        self.grad: Optional["Tensor"] = None
        if requires_grad:
            self.requires_grad = True  # the setter checks the dtype
        else:
            self._requires_grad = False

    # --- autograd --------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self._impl.dtype != float32:
            raise TypeError(f"requires_grad: only float32 tensors can require grad, this one is {self.dtype.name}")
        if not flag and self._grad_fn is not None:
            raise RuntimeError("requires_grad: a non-leaf tensor's flag is set by its graph; use .detach()")
        self._requires_grad = bool(flag)

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        self.requires_grad = flag
        return self

    @property
    def is_leaf(self) -> bool:
        """True unless an op recorded in the autograd graph made this tensor."""
        return self._grad_fn is None

    @property
    def grad_fn(self) -> Any:
        """The graph node that made this tensor (its `.name` is the op), or None for a leaf."""
        return self._grad_fn

    def backward(self, grad: Optional["Tensor"] = None, retain_graph: bool = False) -> None:
        """Adds d(self)/d(leaf) to `.grad` of every leaf in self's graph that requires grad.

        grad: d(loss)/d(self), same shape; implied as 1 when self has one element.
        """
        from .autograd import backward

        backward(self, grad, retain_graph)

    def detach(self) -> "Tensor":
        """The same memory, outside any graph."""
        return Tensor(self._impl)

    def clone(self) -> "Tensor":
        """A contiguous copy on the same device (not recorded in the graph)."""
        return Tensor(self._impl.clone())

    # --- description ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._impl.shape

    @property
    def dtype(self) -> "_C.DType":
        return self._impl.dtype

    @property
    def device(self) -> str:
        return self._impl.device

    @property
    def ndim(self) -> int:
        return self._impl.ndim

    @property
    def strides(self) -> tuple:
        """Strides in elements (not bytes, unlike NumPy)."""
        return self._impl.strides

    def numel(self) -> int:
        return self._impl.numel()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def is_contiguous(self) -> bool:
        return self._impl.is_contiguous()

    def __repr__(self) -> str:
        suffix = f", device='{self.device}'" if self.device != "cpu" else ""
        if self._grad_fn is not None:
            suffix += f", grad_fn=<{self._grad_fn.name}>"
        elif self.requires_grad:
            suffix += ", requires_grad=True"
        values = np.array2string(self.cpu().numpy(), separator=", ", prefix="tensor(")
        return f"tensor({values}, dtype={self.dtype.name}{suffix})"

    # --- moving and copying ----------------------------------------------------------------------
    def to(self, device: str, non_blocking: bool = False) -> "Tensor":
        """This tensor on `device` ('cpu', 'cuda', 'cuda:N'); itself when already there.

        non_blocking: from pinned memory (see pin_memory()) to a GPU, return before the copy ends; it runs
        on the device's stream, in order with the kernels that will read it, and the pinned block is not
        reused until it is done. Change the source only after `ironnet.cuda.synchronize()`. Ignored for
        other copies, which are complete (or, from pageable memory, staged) on return.
        """
        impl = self._impl.to(device, non_blocking)
        return self if impl.shares_memory_with(self._impl) else Tensor(impl)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def cuda(self, index: int = 0, non_blocking: bool = False) -> "Tensor":
        return self.to(f"cuda:{index}" if index else "cuda", non_blocking)

    def pin_memory(self) -> "Tensor":
        """A contiguous copy of this CPU tensor in page-locked ("pinned") host memory, from which
        `.to('cuda', non_blocking=True)` copies asynchronously; itself when already pinned.

        ValueError for a CUDA tensor; RuntimeError when ironnet was built without CUDA or there is no GPU.
        """
        impl = self._impl.pin_memory()
        return self if impl.shares_memory_with(self._impl) else Tensor(impl)

    def is_pinned(self) -> bool:
        """True when this tensor lives in page-locked host memory (made by pin_memory())."""
        return self._impl.is_pinned()

    def contiguous(self) -> "Tensor":
        return self if self.is_contiguous() else Tensor(self._impl.contiguous())

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        """A view with two dimensions swapped (no copy); differentiable."""
        from .ops.shape import transpose

        return transpose(self, dim0, dim1)

    def reshape(self, *shape: Any) -> "Tensor":
        """The same elements with another shape (`t.reshape(2, -1)` or `t.reshape((2, -1))`): a view when
        contiguous, else a copy; differentiable."""
        from .ops.shape import reshape

        return reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """Sum over axis (None: all), accumulated in double; differentiable."""
        return _elementwise().sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """Mean over axis (None: all); differentiable."""
        return _elementwise().mean(self, axis, keepdims)

    @property
    def T(self) -> "Tensor":
        """The transpose of a 2-D tensor (a view)."""
        if self.ndim != 2:
            raise ValueError(f"Tensor.T: expected a 2-D tensor, got shape {self.shape}")
        return self.transpose(0, 1)

    # --- NumPy and DLPack ------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """A NumPy view of this CPU tensor's memory (no copy). A GPU tensor is a TypeError, as in
        PyTorch: copy it to the host explicitly with `t.cpu().numpy()`."""
        # Checked here: the native buffer export's own TypeError reaches Python as a BufferError.
        if self.device != "cpu":
            raise TypeError(f"Tensor on {self.device} cannot be viewed as a NumPy array; call .cpu() first "
                            f"(t.cpu().numpy() copies its {self.shape} {self.dtype.name} values to the host)")
        return np.asarray(memoryview(self._impl))

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> np.ndarray:
        if copy is False and dtype is not None and np.dtype(dtype) != np.dtype(self.dtype.name):
            raise ValueError("Tensor.__array__: a dtype change needs a copy")
        array = self.numpy()
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None, dl_device: Any = None, copy: Any = None):
        return self._impl.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple:
        return self._impl.__dlpack_device__()

    # --- operators -------------------------------------------------------------------------------
    def __matmul__(self, other: Any) -> "Tensor":
        return _linalg().matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _linalg().matmul(other, self)

    # Arithmetic broadcasts like NumPy; a Python number becomes a 0-d tensor. With a NumPy array on
    # the left, NumPy's own operator runs first and returns an array.
    def __add__(self, other: Any) -> "Tensor":
        return _elementwise().add(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _elementwise().add(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return _elementwise().sub(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _elementwise().sub(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _elementwise().mul(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _elementwise().mul(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _elementwise().div(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _elementwise().div(other, self)

    def __neg__(self) -> "Tensor":
        return _elementwise().neg(self)


def _linalg() -> Any:
    """ironnet.ops.linalg, imported on first use (it imports this module) and then kept."""
    global _LINALG
    if _LINALG is None:
        from .ops import linalg

        _LINALG = linalg
    return _LINALG


_LINALG: Any = None


def _elementwise() -> Any:
    """ironnet.ops.elementwise, imported on first use (it imports this module) and then kept."""
    global _ELEMENTWISE
    if _ELEMENTWISE is None:
        from .ops import elementwise

        _ELEMENTWISE = elementwise
    return _ELEMENTWISE


_ELEMENTWISE: Any = None
