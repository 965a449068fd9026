"""Functional ops. Each family lives in its own module; the training-stack issue adds autograd."""
from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .linalg import gemm, matmul, pack_b
from .shape import transpose

__all__ = [
    "elu",
    "gelu",
    "gemm",
    "leaky_relu",
    "log_softmax",
    "matmul",
    "pack_b",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "transpose",
]
