"""float64 references for the broadcasting elementwise ops, the reductions and concatenate, with
their gradients (each checked against finite differences in test_elementwise_ops.py)."""
import numpy as np

BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


def unbroadcast(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Sums x over the leading dimensions and the stretched size-1 dimensions of `shape`."""
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead))) if lead else x
    stretched = tuple(d for d, n in enumerate(shape) if n == 1 and x.shape[d] != 1)
    return x.sum(axis=stretched, keepdims=True).reshape(shape) if stretched else x.reshape(shape)


def binary_ref(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return BINARY[op](a.astype(np.float64), b.astype(np.float64))


def binary_grads_ref(op: str, a: np.ndarray, b: np.ndarray, g: np.ndarray):
    """d(sum(g * op(a, b)))/da and /db, each summed back to its operand's shape."""
    a64, b64, g64 = (x.astype(np.float64) for x in (a, b, g))
    if op == "add":
        da, db = g64, g64
    elif op == "sub":
        da, db = g64, -g64
    elif op == "mul":
        da, db = g64 * b64, g64 * a64
    else:
        da, db = g64 / b64, -g64 * a64 / (b64 * b64)
    return unbroadcast(np.broadcast_to(da, g.shape), a.shape), unbroadcast(np.broadcast_to(db, g.shape), b.shape)


def _axes(ndim: int, axis):
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def reduce_ref(kind: str, x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    axes = _axes(x.ndim, axis)
    x64 = x.astype(np.float64)
    total = x64.sum(axis=axes, keepdims=keepdims)
    if kind == "sum":
        return total
    count = int(np.prod([x.shape[d] for d in axes]))
    return total / count if count else np.full(total.shape, np.nan)


def reduce_grad_ref(kind: str, x: np.ndarray, axis, keepdims: bool, g: np.ndarray) -> np.ndarray:
    """d(sum(g * reduce(x)))/dx: g spread back over the reduced axes (divided by the count for mean)."""
    axes = _axes(x.ndim, axis)
    kept = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    dx = np.broadcast_to(g.astype(np.float64).reshape(kept), x.shape).copy()
    if kind == "mean":
        count = int(np.prod([x.shape[d] for d in axes]))
        dx = dx / count if count else dx
    return dx


def concatenate_grads_ref(shapes, axis: int, g: np.ndarray):
    """The slices of g that belong to each input of concatenate."""
    bounds = np.cumsum([s[axis] for s in shapes])[:-1]
    return [part.astype(np.float64) for part in np.split(g, bounds, axis=axis)]
