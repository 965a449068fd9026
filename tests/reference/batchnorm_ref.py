"""float64 references for batch normalization (Keras 3 semantics): forward in training (batch
statistics) and inference (moving statistics), the moving-statistics update, and vector-Jacobian
products. Checked by finite differences in test_batchnorm.py.

x has C entries along `axis`; statistics are over every other axis; the variance is biased.
"""
import numpy as np


def _reduced_axes(x, axis):
    axis %= x.ndim
    return tuple(i for i in range(x.ndim) if i != axis)


def _per_channel(v, x, axis):
    """A (C,) vector shaped to broadcast against x along `axis`."""
    shape = [1] * x.ndim
    shape[axis % x.ndim] = -1
    return np.asarray(v, np.float64).reshape(shape)


def batch_statistics(x, axis=-1):
    """(mean, biased variance), each (C,)."""
    axes = _reduced_axes(x, axis)
    return x.mean(axis=axes), x.var(axis=axes)


def normalize(x, mean, var, gamma, beta, epsilon=1e-3, axis=-1):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta; gamma/beta None means 1/0."""
    y = (x - _per_channel(mean, x, axis)) / np.sqrt(_per_channel(var, x, axis) + epsilon)
    if gamma is not None:
        y = y * _per_channel(gamma, x, axis)
    if beta is not None:
        y = y + _per_channel(beta, x, axis)
    return y


def train_forward(x, gamma, beta, epsilon=1e-3, axis=-1):
    """(y, mean, var) with the batch's statistics."""
    mean, var = batch_statistics(x, axis)
    return normalize(x, mean, var, gamma, beta, epsilon, axis), mean, var


def moving_update(moving, statistic, momentum):
    """Keras: moving * momentum + statistic * (1 - momentum)."""
    return moving * momentum + statistic * (1.0 - momentum)


def train_vjp(x, gamma, g, epsilon=1e-3, axis=-1):
    """(dx, dgamma, dbeta) of sum(g * train_forward(x)[0]), through the batch mean and variance."""
    axes = _reduced_axes(x, axis)
    n = x.size // x.shape[axis]
    mean, var = batch_statistics(x, axis)
    inv_std = 1.0 / np.sqrt(var + epsilon)
    xhat = (x - _per_channel(mean, x, axis)) * _per_channel(inv_std, x, axis)
    dbeta = g.sum(axis=axes)
    dgamma = (g * xhat).sum(axis=axes)
    scale = inv_std * (1.0 if gamma is None else np.asarray(gamma, np.float64))
    dx = _per_channel(scale, x, axis) * (
        g - _per_channel(dbeta / n, x, axis) - xhat * _per_channel(dgamma / n, x, axis))
    return dx, dgamma, dbeta


def inference_vjp(x, gamma, moving_mean, moving_variance, g, epsilon=1e-3, axis=-1):
    """(dx, dgamma, dbeta) of sum(g * normalize(x, moving statistics)): an affine map of x."""
    axes = _reduced_axes(x, axis)
    inv_std = 1.0 / np.sqrt(np.asarray(moving_variance, np.float64) + epsilon)
    xhat = (x - _per_channel(moving_mean, x, axis)) * _per_channel(inv_std, x, axis)
    scale = inv_std * (1.0 if gamma is None else np.asarray(gamma, np.float64))
    return g * _per_channel(scale, x, axis), (g * xhat).sum(axis=axes), g.sum(axis=axes)
