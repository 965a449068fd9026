"""Functional ops, one module per family; each differentiable through ironnet.autograd."""
from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .dropout import dropout
from .linalg import gemm, linear, matmul, pack_b
from .shape import transpose

__all__ = [
    "dropout",
    "elu",
    "gelu",
    "gemm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "matmul",
    "pack_b",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "transpose",
]
