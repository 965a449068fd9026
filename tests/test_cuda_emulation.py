"""The host emulation of CUDA (cuda/emulation, IRONNET_CUDA=EMULATE builds) checked on its own:
tests/cuda_emulation/emulator_checks.cpp runs small kernels on it and expects CUDA's semantics and
the faults a GPU would report. Needs only a C++ compiler, so it runs in every build; the emulated
CUDA test suite itself runs against an IRONNET_CUDA=EMULATE build (.ci/run)."""
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CXX = shutil.which("g++") or shutil.which("clang++")


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
def test_emulator_semantics_and_faults(tmp_path):
    binary = tmp_path / "emulator_checks"
    emulation = ROOT / "cuda" / "emulation"
    build = subprocess.run(
        [CXX, "-std=c++17", "-O1", "-Wall", "-Wextra", "-Wno-unknown-pragmas", "-DIRONNET_CUDA_EMULATION=1",
         f"-I{emulation}", f"-I{ROOT / 'cuda'}", f"-I{ROOT / 'cpp' / 'include'}", "-x", "c++",
         str(ROOT / "tests" / "cuda_emulation" / "emulator_checks.cpp"), str(emulation / "runtime.cpp"),
         str(emulation / "scheduler.cpp"), "-o", str(binary)],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert build.stderr == "", build.stderr  # no warnings either
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.rstrip().endswith("0 failures"), run.stdout[-3000:] + run.stderr[-2000:]
