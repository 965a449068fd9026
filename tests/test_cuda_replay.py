"""The CUDA convolution and pooling kernels' indexing checked without a GPU: tests/cuda_replay/conv_pool_replay.cu
replays the kernels' own __host__ __device__ code on the CPU (GEMM blocks thread by thread and phase by phase,
pooling element bodies) against naive float64 references. Needs nvcc (compiles PTX only, a few seconds);
skipped where it is missing."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "tests", "cuda_replay", "conv_pool_replay.cu")


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not found")
@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "cuda", "conv2d.cu")), reason="needs the source tree")
def test_conv_and_pooling_kernels_replayed_on_the_host(tmp_path):
    program = str(tmp_path / "replay")
    build = subprocess.run(["nvcc", "-std=c++17", "-arch=compute_80", "-code=compute_80",
                            "-I" + os.path.join(ROOT, "cpp", "include"), "-o", program, SOURCE],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-4000:]
    run = subprocess.run([program], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.rstrip().endswith("ok: 0 failure(s)"), run.stdout[-4000:]
