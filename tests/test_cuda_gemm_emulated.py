"""The CUDA GEMM kernels' indexing, checked on the CPU: tests/cuda_emulation/emulate_gemm.cpp builds
cuda/gemm_*.cuh with a host stand-in for the CUDA built-ins (one block at a time on 256 threads) and
compares every element of C, and the memory around it, with an exact reference. This runs where no
GPU is present; the GPU tests (test_cuda_gemm.py) remain the authority, notably for the tensor-core
fragment layout, which the emulation takes from the same reading of the PTX manual as the kernel."""
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CXX = shutil.which("g++") or shutil.which("clang++")


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
def test_gemm_kernels_on_the_host(tmp_path):
    binary = tmp_path / "emulate_gemm"
    build = subprocess.run(
        [CXX, "-std=c++20", "-O1", "-pthread", "-Wall", "-Wextra", "-Wno-unknown-pragmas",
         f"-I{ROOT / 'tests' / 'cuda_emulation'}", f"-I{ROOT / 'cuda'}", f"-I{ROOT / 'cpp' / 'include'}",
         str(ROOT / "tests" / "cuda_emulation" / "emulate_gemm.cpp"), "-o", str(binary)],
        capture_output=True, text=True)
    if build.returncode != 0 and "barrier" in build.stderr:
        pytest.skip("the C++ compiler lacks C++20 <barrier>")
    assert build.returncode == 0, build.stderr
    assert build.stderr == "", build.stderr  # no warnings either
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.rstrip().endswith("0 failures"), run.stdout[-3000:]
