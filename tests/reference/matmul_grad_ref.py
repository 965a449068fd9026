"""float64 reference for the gradients of matmul, broadcasting included."""
import numpy as np


def matmul_grads_ref(a: np.ndarray, b: np.ndarray, grad: np.ndarray):
    """d(sum(grad * (a @ b)))/da and /db, with a broadcast operand's gradient summed over the batch."""
    a64, b64, g64 = (x.astype(np.float64) for x in (a, b, grad))
    da = g64 @ np.swapaxes(b64, -1, -2)
    db = np.swapaxes(a64, -1, -2) @ g64
    return _reduce_to(da, a.shape), _reduce_to(db, b.shape)


def _reduce_to(x: np.ndarray, shape: tuple) -> np.ndarray:
    """Sums the broadcast batch away so x has `shape` again."""
    if x.shape == shape:
        return x
    summed = x.sum(axis=0)
    return summed.reshape(shape)


def finite_difference(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f at x (float64), one element at a time."""
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + eps
        up = f(x)
        x[idx] = orig - eps
        down = f(x)
        x[idx] = orig
        out[idx] = (up - down) / (2 * eps)
    return out
