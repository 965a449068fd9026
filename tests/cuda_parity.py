"""CUDA-versus-CPU parity checks shared by the tests of every CUDA op family.

The CPU implementation is the oracle (it is itself checked against the float64 references in
tests/reference/): the same function runs on CPU tensors and on CUDA tensors built from the same
arrays, and the outputs (and, for `assert_grads_match`, the input gradients) must agree. Tests using
these helpers are marked `cuda` and skipped where no device is present.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import ironnet


def on_device(array: Any, device: str, requires_grad: bool = False) -> ironnet.Tensor:
    """A tensor holding `array` on `device` (a copy), optionally a leaf of the autograd graph."""
    array = np.asarray(array)
    t = ironnet.tensor(array, device=device)
    t.requires_grad = requires_grad
    return t


def to_host(t: Any) -> np.ndarray:
    """A NumPy copy of a tensor on any device (for a CPU tensor, .cpu() is the tensor itself and
    .numpy() a view of its memory, which a later in-place op would change)."""
    return np.array(t.cpu().numpy(), copy=True)


def _as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _assert_outputs_close(cpu_out: Any, cuda_out: Any, rtol: float, atol: float, what: str) -> None:
    cpu_outs, cuda_outs = _as_tuple(cpu_out), _as_tuple(cuda_out)
    assert len(cpu_outs) == len(cuda_outs), f"{what}: {len(cpu_outs)} CPU outputs, {len(cuda_outs)} CUDA outputs"
    for i, (c, g) in enumerate(zip(cpu_outs, cuda_outs)):
        if c is None or g is None:
            assert c is None and g is None, f"{what} output {i}: None on one device only"
            continue
        assert g.device.startswith("cuda"), f"{what} output {i} is on {g.device}, not on the GPU"
        assert g.shape == c.shape and g.dtype == c.dtype, (
            f"{what} output {i}: CUDA {g.shape} {g.dtype} vs CPU {c.shape} {c.dtype}")
        np.testing.assert_allclose(to_host(g), to_host(c), rtol=rtol, atol=atol, err_msg=f"{what} output {i}")


def assert_cuda_matches_cpu(fn: Callable[..., Any], arrays: Sequence[Any], rtol: float = 1e-5,
                            atol: float = 1e-6) -> None:
    """fn(*tensors) gives the same outputs (a tensor or a tuple of them) on the GPU as on the CPU."""
    cpu_out = fn(*[on_device(a, "cpu") for a in arrays])
    cuda_out = fn(*[on_device(a, "cuda") for a in arrays])
    _assert_outputs_close(cpu_out, cuda_out, rtol, atol, getattr(fn, "__name__", "fn"))


def assert_grads_match(fn: Callable[..., Any], arrays: Sequence[Any], rtol: float = 1e-4, atol: float = 1e-5,
                       upstream_seed: int = 0) -> None:
    """Forward outputs and the gradients of every float input agree between the GPU and the CPU.

    The upstream gradient is a fixed random tensor per output (not ones), so a backward that mixes
    up positions cannot pass by symmetry.
    """
    results = {}
    for device in ("cpu", "cuda"):
        inputs = [on_device(a, device, requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
        outputs = _as_tuple(fn(*inputs))
        rng = np.random.default_rng(upstream_seed)
        total = None
        for out in outputs:
            if out is None or not out.requires_grad:
                continue
            weights = on_device(rng.uniform(-1.0, 1.0, size=out.shape).astype(np.float32), device)
            term = ironnet.ops.sum(ironnet.ops.mul(out, weights))
            total = term if total is None else ironnet.ops.add(total, term)
        assert total is not None, "fn has no output that requires grad"
        total.backward()
        results[device] = (outputs, [t.grad if t.requires_grad else None for t in inputs])
    (cpu_outs, cpu_grads), (cuda_outs, cuda_grads) = results["cpu"], results["cuda"]
    name = getattr(fn, "__name__", "fn")
    _assert_outputs_close(cpu_outs, cuda_outs, rtol, atol, name)
    for i, (c, g) in enumerate(zip(cpu_grads, cuda_grads)):
        if c is None and g is None:
            continue
        _assert_outputs_close(c, g, rtol, atol, f"{name} grad of input {i}")
