"""Functional ops, one module per family; each differentiable through ironnet.autograd."""
from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .conv import conv1d, conv2d, conv_output_length
from .dropout import dropout
from .elementwise import add, div, mean, mul, neg, sub, sum
from .linalg import gemm, linear, matmul, pack_b
from .shape import concatenate, reshape, transpose

__all__ = [
    "add", "sub", "mul", "div", "neg", "sum", "mean",
    "gemm", "matmul", "linear", "pack_b",
    "transpose", "reshape", "concatenate",
    "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
    "dropout",
    "conv2d", "conv1d", "conv_output_length",
]
