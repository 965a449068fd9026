"""Reverse-mode automatic differentiation over coarse native ops.

The unit of differentiation is a whole native kernel (a GEMM, later a convolution or an LSTM
sequence), never a scalar: a `Function` pairs a forward that calls one native op with a backward
that calls its hand-written backward kernels, and keeps what backward needs in a `Context`. Calling
`Function.apply` on tensors that require grad records one graph node; `Tensor.backward()` walks the
nodes in reverse topological order.

Gradient policy: gradients reaching the same tensor from several uses are summed; a leaf's `.grad`
accumulates across backward calls (`+=`) until the user clears it.
"""
from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from . import _C
from .tensor import Tensor

_state = threading.local()  # per thread, like every other framework's grad mode


def is_grad_enabled() -> bool:
    """False inside `no_grad()` on this thread."""
    return getattr(_state, "grad_enabled", True)


class no_grad:
    """Context manager (and decorator) in which ops record no graph: for inference and updates."""

    def __enter__(self) -> "no_grad":
        self._previous = is_grad_enabled()
        _state.grad_enabled = False
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.grad_enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        return wrapped


class Context:
    """What a Function's forward leaves for its backward."""

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: Tuple[Any, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors

    if TYPE_CHECKING:  # ops keep their own values on the context (ctx.dims = ...): an open namespace,
        # typed as one; only for the type checker, since a Python-level __setattr__ slows every store.
        def __setattr__(self, name: str, value: Any) -> None: ...

    def __getattr__(self, name: str) -> Any:  # only reached for names never set
        raise AttributeError(f"the autograd context holds no {name!r}: forward did not save it")


class Node:
    """One recorded op: its Function, its context, its inputs, and its outputs' shapes and device."""

    __slots__ = ("function", "ctx", "inputs", "output_shapes", "device", "freed")

    def __init__(self, function: Type["Function"], ctx: Context, inputs: Tuple[Any, ...], outputs: Sequence[Any]):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs
        self.output_shapes = [out.shape for out in outputs]
        self.device = outputs[0].device
        self.freed = False

    @property
    def name(self) -> str:
        return self.function.__name__


class Function:
    """A differentiable op: subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`.

    backward receives one gradient per output (zeros for outputs that got none) and returns one per
    forward argument, None where an argument needs none (ctx.needs_input_grad says which do).
    """

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = is_grad_enabled() and any(needs)
        ctx = Context(needs)
        outputs = cls.forward(ctx, *args)
        if record:
            outs = outputs if isinstance(outputs, tuple) else (outputs,)
            node = Node(cls, ctx, args, outs)
            for index, out in enumerate(outs):
                out.requires_grad = True
                out._grad_fn = node
                out._grad_index = index
        return outputs


def _ones_like(t: Any) -> Any:
    import numpy as np

    return Tensor(_C.TensorImpl.from_numpy(np.ones(t.shape, np.float32), True)).to(t.device)


def _topological_order(root: Node) -> List[Node]:
    """Nodes reachable from root, each before every node it feeds from (reverse DFS postorder).

    A node is marked when it is expanded, not when it is pushed: reached again through a longer path
    before its expansion, it must still end up after every consumer on that path.
    """
    order: List[Node] = []
    expanded = set()
    stack: List[Tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in expanded:
            continue
        expanded.add(id(node))
        stack.append((node, True))
        for inp in node.inputs:
            parent = getattr(inp, "_grad_fn", None)
            if parent is not None and id(parent) not in expanded:
                stack.append((parent, False))
    order.reverse()
    return order


class _Sum:
    """Sums gradient contributions without writing into a tensor someone else may hold: the first
    contribution is kept as given; a second one goes into a fresh copy that this sum owns."""

    __slots__ = ("value", "owned")

    def __init__(self) -> None:
        self.value: Optional[Any] = None
        self.owned = False

    def add(self, grad: Any) -> None:
        if self.value is None:
            self.value = grad
            return
        if not self.owned:
            self.value = self.value.clone()
            self.owned = True
        _C.axpy_(self.value._impl, grad._impl, 1.0)


def _check_grad(what: str, grad: Any, shape: tuple) -> None:
    if grad.shape != shape:
        raise ValueError(f"{what}: gradient of shape {grad.shape} for a tensor of shape {shape}")


def _accumulate_leaf(leaf: Any, grad: Any) -> None:
    _check_grad("backward", grad, leaf.shape)
    if leaf.grad is None:
        leaf.grad = grad.clone()  # private: later backward calls add into it in place
    else:
        _C.axpy_(leaf.grad._impl, grad._impl, 1.0)


def _seed(what: str, tensor: Any, grad: Optional[Any]) -> Any:
    """The gradient a walk starts from: grad checked against tensor, or 1 for a one-element tensor."""
    if not tensor.requires_grad:
        raise RuntimeError(f"{what}: the tensor does not require grad and has no graph to walk")
    if grad is None:
        if tensor.numel() != 1:
            raise ValueError(
                f"{what}: grad can be implied only for a one-element tensor, got shape {tensor.shape}; "
                "pass grad="
            )
        grad = _ones_like(tensor)
    _check_grad(what, grad, tensor.shape)
    return grad


def _walk(what: str, tensor: Any, grad: Any, retain_graph: bool, to_leaf: Callable[[Any, Any], None]) -> None:
    """Walks tensor's graph from d(.)/d(tensor) = grad, nodes in reverse topological order, and hands
    each gradient contribution that reaches a leaf to to_leaf(leaf, contribution)."""
    if tensor._grad_fn is None:
        to_leaf(tensor, grad)
        return
    sums = {}  # (id(node), output index) -> _Sum
    sums[(id(tensor._grad_fn), tensor._grad_index)] = _Sum()
    sums[(id(tensor._grad_fn), tensor._grad_index)].add(grad)
    with no_grad():  # backward functions record nothing; entered once per walk, not once per node
        for node in _topological_order(tensor._grad_fn):
            if node.freed:
                raise RuntimeError(
                    f"{what}: the graph through {node.name} was already walked and its saved tensors freed; "
                    "pass retain_graph=True to the first walk to walk it again"
                )
            grads_out = []
            for index, shape in enumerate(node.output_shapes):
                acc = sums.pop((id(node), index), None)
                grads_out.append(acc.value if acc is not None and acc.value is not None else _zeros(shape, node.device))
            grads_in = node.function.backward(node.ctx, *grads_out)
            if not isinstance(grads_in, tuple):
                grads_in = (grads_in,)
            if len(grads_in) != len(node.inputs):
                raise RuntimeError(
                    f"{node.name}.backward returned {len(grads_in)} gradients for {len(node.inputs)} inputs"
                )
            if not retain_graph:
                node.ctx.saved_tensors = ()
                node.freed = True
            for inp, g in zip(node.inputs, grads_in):
                if g is None or not getattr(inp, "requires_grad", False):
                    continue
                if inp._grad_fn is None:
                    to_leaf(inp, g)
                else:
                    _check_grad(f"{node.name}.backward", g, inp.shape)
                    sums.setdefault((id(inp._grad_fn), inp._grad_index), _Sum()).add(g)


def backward(tensor: Any, grad: Optional[Any] = None, retain_graph: bool = False) -> None:
    """Computes d(tensor)/d(leaf) for every leaf that requires grad and adds it to `leaf.grad`.

    grad: d(loss)/d(tensor), same shape; implied as 1 for a one-element tensor. retain_graph keeps
    the saved tensors so the graph can be walked again.
    """
    _walk("backward", tensor, _seed("backward", tensor, grad), retain_graph, _accumulate_leaf)


def grad(tensor: Any, inputs: Sequence[Any], grad_output: Optional[Any] = None,
         retain_graph: bool = False) -> List[Optional[Any]]:
    """d(tensor)/d(x) for each leaf x of `inputs` (shaped like x), None where the graph does not reach x;
    unlike backward, no `.grad` is written and nothing is copied to be accumulated into later.

    What fit needs each step: the gradients are read once by the optimizer. They may share memory with
    each other or with tensors of the graph, so read them, never write into them.
    grad_output: d(loss)/d(tensor), implied as 1 for a one-element tensor. retain_graph: as in backward.
    """
    for index, x in enumerate(inputs):
        if not isinstance(x, Tensor) or x._grad_fn is not None:
            made_by = f"made by {x._grad_fn.name}" if isinstance(x, Tensor) else f"a {type(x).__name__}"
            raise ValueError(f"grad: inputs must be leaf tensors (weights), input {index} is {made_by}")
    sums: Dict[int, _Sum] = {id(x): _Sum() for x in inputs}

    def to_leaf(leaf: Any, contribution: Any) -> None:
        acc = sums.get(id(leaf))
        if acc is not None:
            _check_grad("grad", contribution, leaf.shape)
            acc.add(contribution)

    _walk("grad", tensor, _seed("grad", tensor, grad_output), retain_graph, to_leaf)
    return [sums[id(x)].value for x in inputs]


def _zeros(shape: tuple, device: str) -> Any:
    return Tensor(_C.TensorImpl.zeros(shape, _C.DType.float32, device))
