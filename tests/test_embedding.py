"""The embedding op (native gather forward, scatter-add backward) against the float64 reference in
tests/reference/embedding_ref.py (itself checked by finite differences), and its errors."""
import numpy as np
import pytest

import ironnet
from ironnet import ops
from reference import embedding_ref as ref
from reference.matmul_grad_ref import finite_difference

# (ids shape, vocab, dim): batch 1, T=1, primes, a rank-1 and a rank-3 ids array, dims below and
# above a SIMD width.
CASES = [((1, 1), 1, 1), ((3, 7), 11, 5), ((1, 13), 2, 17), ((29,), 97, 3), ((2, 3, 5), 7, 33),
         ((64, 31), 257, 64)]


def table_and_ids(rng, shape, vocab, dim, dtype=np.int64):
    table = rng.standard_normal((vocab, dim)).astype(np.float32)
    ids = rng.integers(0, vocab, size=shape).astype(dtype)
    return table, ids


def test_reference_backward_matches_finite_differences(rng):
    table, ids = table_and_ids(rng, (3, 5), 4, 3)  # 15 ids in 4 rows: every row repeats
    table = table.astype(np.float64)
    g = rng.standard_normal((3, 5, 3))
    numeric = finite_difference(lambda t: np.sum(g * ref.embedding(ids, t)), table.copy())
    np.testing.assert_allclose(ref.embedding_vjp(ids, g, 4), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,vocab,dim", CASES)
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_forward_and_backward_match_reference(rng, num_threads, shape, vocab, dim, dtype):
    table, ids = table_and_ids(rng, shape, vocab, dim, dtype)
    weights = ironnet.tensor(table, requires_grad=True)
    out = ops.embedding(ids, weights)
    assert out.shape == (*shape, dim)
    # A gather copies rows: bit-exact.
    np.testing.assert_array_equal(out.numpy(), ref.embedding(ids, table.astype(np.float64)).astype(np.float32))
    g = rng.standard_normal((*shape, dim)).astype(np.float32)
    (out * ironnet.tensor(g)).sum().backward()
    np.testing.assert_allclose(weights.grad.numpy(), ref.embedding_vjp(ids, g.astype(np.float64), vocab),
                               rtol=1e-5, atol=1e-5)


def test_repeated_ids_accumulate_and_unused_rows_get_zero():
    table = ironnet.tensor(np.zeros((5, 2), np.float32), requires_grad=True)
    ids = np.array([[3, 1, 3], [3, 0, 1]])
    ops.embedding(ids, table).sum().backward()
    # Small integers: exact sums.
    np.testing.assert_array_equal(table.grad.numpy(), [[1, 1], [2, 2], [0, 0], [3, 3], [0, 0]])


def test_backward_is_the_same_for_any_thread_count(rng):
    # Many collisions on few rows: any change in summation order would show in the last bits.
    table, ids = table_and_ids(rng, (512, 64), 3, 96)
    dy = ironnet.tensor(rng.standard_normal((512, 64, 96)).astype(np.float32))
    previous = ironnet.get_num_threads()
    try:
        grads = []
        for threads in (1, 2, 3):
            ironnet.set_num_threads(threads)
            grads.append(ironnet._C.embedding_backward(ironnet.tensor(ids)._impl, dy._impl, 3))
    finally:
        ironnet.set_num_threads(previous)
    for grad in grads[1:]:
        np.testing.assert_array_equal(np.asarray(grad), np.asarray(grads[0]))


def test_ids_as_tensors_and_narrow_integer_types(rng):
    table, ids = table_and_ids(rng, (4, 6), 9, 5)
    expected = ref.embedding(ids, table.astype(np.float64)).astype(np.float32)
    for given in (ironnet.tensor(ids), ironnet.tensor(ids.astype(np.int32)), ids.astype(np.uint8),
                  ids.astype(np.int16)):
        np.testing.assert_array_equal(ops.embedding(given, ironnet.tensor(table)).numpy(), expected)


def test_non_contiguous_ids_and_table(rng):
    table, ids = table_and_ids(rng, (6, 8), 10, 4)
    expected = ref.embedding(ids.T, table.astype(np.float64)).astype(np.float32)
    strided_ids = ironnet.tensor(ids).transpose(0, 1)  # (8, 6), not contiguous
    transposed_table = ironnet.tensor(np.ascontiguousarray(table.T)).transpose(0, 1)  # (10, 4), not contiguous
    assert not strided_ids.is_contiguous() and not transposed_table.is_contiguous()
    np.testing.assert_array_equal(ops.embedding(strided_ids, transposed_table).numpy(), expected)


def test_no_graph_without_requires_grad(rng):
    table, ids = table_and_ids(rng, (2, 3), 4, 2)
    assert not ops.embedding(ids, ironnet.tensor(table)).requires_grad


@pytest.mark.parametrize("bad", [7, -1, 100])
def test_out_of_range_id_names_op_id_and_table(bad):
    table = ironnet.tensor(np.zeros((7, 3), np.float32))
    ids = np.array([[0, 1], [2, bad]])
    with pytest.raises(ValueError, match=rf"embedding: id {bad} at flat position 3 .*table of shape \(7, 3\)"):
        ops.embedding(ids, table)


def test_type_and_shape_errors():
    table = ironnet.tensor(np.zeros((4, 3), np.float32))
    with pytest.raises(TypeError, match="embedding: ids must be integers, got a float32 array of shape"):
        ops.embedding(np.zeros((2, 2), np.float32), table)
    with pytest.raises(TypeError, match="embedding: ids must be an int32 or int64 tensor, got float32"):
        ops.embedding(ironnet.tensor(np.zeros(3, np.float32)), table)
    with pytest.raises(TypeError, match="embedding: table must be an ironnet Tensor"):
        ops.embedding(np.zeros(3, np.int64), np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"embedding: table must be 2-D \(vocab, dim\), got \(12,\)"):
        ops.embedding(np.zeros(3, np.int64), ironnet.tensor(np.zeros(12, np.float32)))
    with pytest.raises(TypeError, match="embedding: table must be float32, got int64"):
        ops.embedding(np.zeros(3, np.int64), ironnet.tensor(np.zeros((4, 3), np.int64)))
    ids = ironnet.tensor(np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match=r"embedding_backward: dy \(2, 4, 5\) must be ids \(2, 3\) plus"):
        ironnet._C.embedding_backward(ids._impl, ironnet.tensor(np.zeros((2, 4, 5), np.float32))._impl, 4)
    with pytest.raises(ValueError, match="embedding_backward: vocab must be positive"):
        ironnet._C.embedding_backward(ids._impl, ironnet.tensor(np.zeros((2, 3, 5), np.float32))._impl, 0)


def test_empty_ids_give_an_empty_output_and_zero_gradient():
    table = ironnet.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    out = ops.embedding(np.zeros((0, 5), np.int64), table)
    assert out.shape == (0, 5, 3)
    out.sum().backward()
    np.testing.assert_array_equal(table.grad.numpy(), np.zeros((4, 3)))


def test_against_torch(rng):
    torch = pytest.importorskip("torch")
    table, ids = table_and_ids(rng, (5, 9), 13, 8)
    g = rng.standard_normal((5, 9, 8)).astype(np.float32)
    weights = ironnet.tensor(table, requires_grad=True)
    (ops.embedding(ids, weights) * ironnet.tensor(g)).sum().backward()
    peer = torch.tensor(table, requires_grad=True)
    out = torch.nn.functional.embedding(torch.tensor(ids), peer)
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(ops.embedding(ids, ironnet.tensor(table)).numpy(), out.detach().numpy())
    np.testing.assert_allclose(weights.grad.numpy(), peer.grad.numpy(), rtol=1e-6, atol=1e-6)
