"""CUDA embedding against the CPU kernels: the gather, and the scatter-add backward, which sums each
row in the CPU's order and so must match it bit for bit (repeated ids, a big vocabulary, widths that
are not multiples of the 128-column block, no ids at all), int32/int64 ids, the CPU's out-of-range
error, mixed devices, and the layer's autograd path."""
import numpy as np
import pytest

import ironnet
from ironnet import _C
from cuda_parity import assert_grads_match, on_device, to_host

pytestmark = pytest.mark.cuda

# (ids shape, vocab, dim)
CASES = [((1,), 1, 1), ((7,), 5, 3), ((4, 9), 11, 129), ((3000,), 50021, 8), ((2, 3, 5), 4, 300), ((0,), 6, 4),
         ((70000,), 3, 2)]


def ids_for(rng, shape, vocab, dtype):
    ids = rng.integers(0, vocab, size=shape)
    if ids.size > 2:
        ids.flat[-1] = ids.flat[0]  # at least one repeat
    return ids.astype(dtype)


def run(name, arrays, device, *extra):
    return to_host(ironnet.Tensor(getattr(_C, name)(*[on_device(a, device)._impl for a in arrays], *extra)))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape,vocab,dim", CASES)
def test_forward_matches_cpu_exactly(shape, vocab, dim, dtype):
    rng = np.random.default_rng(1)
    ids = ids_for(rng, shape, vocab, dtype)
    table = rng.normal(size=(vocab, dim)).astype(np.float32)
    np.testing.assert_array_equal(run("embedding", [ids, table], "cuda"), run("embedding", [ids, table], "cpu"))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("shape,vocab,dim", CASES)
def test_backward_matches_cpu_exactly(shape, vocab, dim, dtype):
    rng = np.random.default_rng(2)
    ids = ids_for(rng, shape, vocab, dtype)
    dy = rng.normal(size=shape + (dim,)).astype(np.float32)
    cpu = run("embedding_backward", [ids, dy], "cpu", vocab)
    cuda = run("embedding_backward", [ids, dy], "cuda", vocab)
    assert cuda.shape == (vocab, dim)
    np.testing.assert_array_equal(cuda, cpu)  # same additions in the same order


def test_one_id_repeated_everywhere():
    rng = np.random.default_rng(3)
    ids = np.full(5000, 2, np.int64)
    dy = rng.normal(size=(5000, 33)).astype(np.float32)
    np.testing.assert_array_equal(run("embedding_backward", [ids, dy], "cuda", 4),
                                  run("embedding_backward", [ids, dy], "cpu", 4))


@pytest.mark.parametrize("bad", [-3, 10])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_out_of_range_id_raises_the_cpu_error(bad, dtype):
    ids = np.array([[1, 2, 3], [4, bad, bad]], dtype)
    table = np.zeros((10, 4), np.float32)
    dy = np.zeros((2, 3, 4), np.float32)
    for name, arrays, extra in (("embedding", [ids, table], ()), ("embedding_backward", [ids, dy], (10,))):
        messages = []
        for device in ("cpu", "cuda"):
            with pytest.raises(ValueError) as error:
                run(name, arrays, device, *extra)
            messages.append(str(error.value))
        assert messages[0] == messages[1]
        assert f"{name}: id {bad} at flat position 4 of ids (2, 3)" in messages[1]


def test_mixed_devices_are_refused():
    ids = np.array([0, 1], np.int64)
    with pytest.raises(ValueError, match=r"^embedding: tensors are on different devices"):
        _C.embedding(on_device(ids, "cpu")._impl, on_device(np.zeros((3, 2), np.float32), "cuda")._impl)
    with pytest.raises(ValueError, match=r"^embedding_backward: tensors are on different devices"):
        _C.embedding_backward(on_device(ids, "cuda")._impl, on_device(np.zeros((2, 2), np.float32), "cpu")._impl, 3)


def test_functional_op_backpropagates_on_cuda():
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 20, size=(5, 7))
    table = rng.normal(size=(20, 6)).astype(np.float32)

    def lookup(table):
        return ironnet.ops.embedding(ids, table)  # NumPy ids follow the table to its device

    assert_grads_match(lookup, [table], rtol=1e-6, atol=1e-7)
