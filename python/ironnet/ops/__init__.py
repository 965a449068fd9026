"""Functional ops, one module per family; each differentiable through ironnet.autograd."""
from .activations import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .augment import affine_warp, flip, rotation_transforms, translation_transforms
from .conv import conv1d, conv2d, conv_output_length
from .conv_pool import conv2d_relu_max_pool2d
from .dropout import dropout
from .elementwise import add, div, mean, mul, neg, sub, sum
from .embedding import embedding
from .linalg import gemm, linear, matmul, pack_b
from .normalization import batch_norm
from .pooling import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool1d,
    global_avg_pool2d,
    global_max_pool1d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
    pool_output_length,
)
from .recurrent import gru, lstm, simple_rnn
from .shape import concatenate, reshape, transpose

__all__ = [
    "add", "sub", "mul", "div", "neg", "sum", "mean",
    "gemm", "matmul", "linear", "pack_b",
    "transpose", "reshape", "concatenate",
    "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
    "dropout",
    "embedding",
    "affine_warp", "flip", "rotation_transforms", "translation_transforms",
    "batch_norm",
    "max_pool2d", "avg_pool2d", "global_max_pool2d", "global_avg_pool2d",
    "max_pool1d", "avg_pool1d", "global_max_pool1d", "global_avg_pool1d", "pool_output_length",
    "conv2d", "conv1d", "conv_output_length", "conv2d_relu_max_pool2d",
    "lstm", "gru", "simple_rnn",
]
