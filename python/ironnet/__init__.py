"""ironnet: deep learning on hand-written C++ (OpenMP + SIMD) and CUDA kernels."""
from . import _C
from . import activations, autograd, baselines, callbacks, cuda, datasets, initializers, layers, losses, metrics, models, ops, optimizers, plot
from . import convert, devices
from .random import set_random_seed
from .autograd import no_grad
from .config import (
    config,
    get_cpu_isa,
    get_num_threads,
    measure_fma_peak,
    set_cpu_isa,
    set_num_threads,
    show_config,
    supported_cpu_isas,
)
from .creation import empty, from_dlpack, from_numpy, tensor, zeros
from .tensor import Tensor, float32, int32, int64

__version__ = _C.build_info()["version"]

__all__ = [
    "Tensor",
    "tensor",
    "from_numpy",
    "from_dlpack",
    "empty",
    "zeros",
    "float32",
    "int32",
    "int64",
    "ops",
    "optimizers",
    "layers",
    "convert",
    "models",
    "callbacks",
    "activations",
    "initializers",
    "set_random_seed",
    "losses",
    "datasets",
    "baselines",
    "metrics",
    "plot",
    "autograd",
    "no_grad",
    "cuda",
    "config",
    "show_config",
    "get_num_threads",
    "set_num_threads",
    "get_cpu_isa",
    "set_cpu_isa",
    "supported_cpu_isas",
    "measure_fma_peak",
]
