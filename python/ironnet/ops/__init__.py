"""Functional ops. Each family lives in its own module; the training-stack issue adds autograd."""
from .linalg import gemm, matmul

__all__ = ["gemm", "matmul"]
