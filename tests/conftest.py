"""Shared fixtures: a seeded generator, every CPU ISA path, thread counts, and CUDA auto-skip."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import ironnet

# tests/reference/ is importable as `reference` from every test module.
sys.path.insert(0, os.path.dirname(__file__))


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` run only where a CUDA device is present."""
    if ironnet.cuda.is_available():
        return
    why = "no CUDA device" if ironnet.cuda.is_compiled() else "ironnet built without CUDA"
    skip = pytest.mark.skip(reason=why)
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded per test (stable across runs, different between tests)."""
    seed = sum(request.node.nodeid.encode()) + 12345
    return np.random.default_rng(seed)


@pytest.fixture(params=ironnet.supported_cpu_isas())
def cpu_isa(request):
    """Runs the test once on every SIMD path this CPU supports; restores the best path after."""
    ironnet.set_cpu_isa(request.param)
    try:
        yield request.param
    finally:
        ironnet.set_cpu_isa(None)


@pytest.fixture(params=[1, 2], ids=lambda n: f"threads{n}")
def num_threads(request):
    """Runs the test with 1 and with 2 CPU threads; restores the previous count after."""
    previous = ironnet.get_num_threads()
    ironnet.set_num_threads(request.param)
    try:
        yield request.param
    finally:
        ironnet.set_num_threads(previous)
