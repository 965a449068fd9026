"""Smoke tests for the bench branch: the package imports, GEMM agrees with NumPy, the demo's CLI runs.

The full suite (a reference per op, awkward shapes, error messages) comes from the tests branch.
"""
import numpy as np

import ironnet
from ironnet.demo_gemm import main as demo_main


def test_gemm_matches_numpy_exactly_on_small_integers():
    # Small integers: every product and partial sum is exact in float32, so the answer is too.
    rng = np.random.default_rng(0)
    a = rng.integers(-4, 5, size=(37, 53)).astype(np.float32)
    b = rng.integers(-4, 5, size=(53, 29)).astype(np.float32)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_array_equal(ironnet.ops.gemm(a, b).numpy(), expected)
    np.testing.assert_array_equal((ironnet.from_numpy(a) @ ironnet.from_numpy(b)).numpy(), expected)


def test_demo_runs_without_the_benchmark(capsys):
    assert demo_main(["--no-bench"]) == 0
    out = capsys.readouterr().out
    assert "CPU ISA" in out and "np.from_dlpack(y)" in out
