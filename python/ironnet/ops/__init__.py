"""Functional ops, one module per family; each differentiable through ironnet.autograd."""
from .elementwise import add, div, mean, mul, neg, sub, sum
from .linalg import gemm, matmul, pack_b
from .shape import concatenate, reshape, transpose

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "sum",
    "mean",
    "gemm",
    "matmul",
    "pack_b",
    "transpose",
    "reshape",
    "concatenate",
]
