"""CUDA dropout against the CPU: both devices hash (seed, index) with the same function
(cpp/kernels/shared/dropout_mask.h), so a seed gives the identical mask and the outputs and
gradients agree bit for bit. Marked `cuda`: skipped where no device is present."""
import numpy as np
import pytest

from cuda_parity import assert_cuda_matches_cpu, assert_grads_match, on_device, to_host
from ironnet.ops import dropout

pytestmark = pytest.mark.cuda


def rand(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 17, 2**64 - 1])
@pytest.mark.parametrize("rate", [0.0, 0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (13, 17), ((1 << 20) + 9,)])
def test_mask_and_values_are_identical_to_the_cpu(rng, seed, rate, shape):
    assert_cuda_matches_cpu(lambda x: dropout(x, rate, seed), [rand(rng, shape)], rtol=0, atol=0)


@pytest.mark.parametrize("seed", [3, 2**40 + 1])
def test_gradient_is_identical_to_the_cpu(rng, seed):
    assert_grads_match(lambda x: dropout(x, 0.3, seed), [rand(rng, (64, 33))], rtol=0, atol=0)


def test_strided_input(rng):
    assert_cuda_matches_cpu(lambda x: dropout(x.transpose(0, 1), 0.5, 99), [rand(rng, (31, 45))], rtol=0, atol=0)


def test_drop_fraction_on_the_gpu():
    n, rate = 1 << 22, 0.3
    y = to_host(dropout(on_device(np.ones(n, np.float32), "cuda"), rate, seed=7))
    assert abs(np.mean(y == 0) - rate) < 6 * np.sqrt(rate * (1 - rate) / n)


def test_different_seeds_give_different_masks(rng):
    x = on_device(rand(rng, (4096,)), "cuda")
    assert not np.array_equal(to_host(dropout(x, 0.5, 1)), to_host(dropout(x, 0.5, 2)))
