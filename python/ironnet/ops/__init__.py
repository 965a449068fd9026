"""Functional ops. Each family lives in its own module; the training-stack issue adds autograd."""
from .dropout import dropout
from .linalg import gemm, linear, matmul, pack_b
from .shape import transpose

__all__ = ["dropout", "gemm", "linear", "matmul", "pack_b", "transpose"]
