"""Functional ops. Each family lives in its own module; the training-stack issue adds autograd."""
from .linalg import gemm, linear, matmul, pack_b
from .shape import transpose

__all__ = ["gemm", "linear", "matmul", "pack_b", "transpose"]
