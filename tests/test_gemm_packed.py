"""gemm with a prepacked B (ops.pack_b) against the float64 reference, on every ISA and thread count."""
import numpy as np
import pytest

import ironnet
from ironnet.ops import gemm, pack_b
from reference.gemm_ref import assert_gemm_close, gemm_atol, gemm_ref

# K past one and two K blocks (320 / 256), N past one panel and the N blocks, M with edge rows.
SHAPES = [(1, 1, 1), (13, 17, 31), (64, 70, 288), (97, 257, 641), (15, 4111, 33), (700, 45, 330)]


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


@pytest.mark.parametrize("m,n,k", SHAPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_packed_matches_reference(rng, cpu_isa, num_threads, m, n, k, trans_a, trans_b):
    a = rand(rng, (k, m) if trans_a else (m, k))
    b = rand(rng, (n, k) if trans_b else (k, n))
    c = rand(rng, (m, n))
    expected = gemm_ref(a, b, c, trans_a=trans_a, trans_b=trans_b, alpha=0.5, beta=-2.0)
    packed = pack_b(b, trans_b=trans_b)
    assert packed.shape == (k, n) and packed.isa == cpu_isa
    out = gemm(a, packed, ironnet.from_numpy(c), trans_a=trans_a, alpha=0.5, beta=-2.0)
    assert_gemm_close(out, expected, gemm_atol(a, b, k, alpha=0.5, beta=-2.0, c=c))


def test_packed_equals_unpacked_bitwise(rng):
    """Same kernel, same blocking: packing ahead of time must not change a single bit."""
    a, b = rand(rng, (97, 641)), rand(rng, (641, 130))
    np.testing.assert_array_equal(np.asarray(gemm(a, pack_b(b))), np.asarray(gemm(a, b)))


def test_packed_is_reusable_and_a_copy(rng):
    a1, a2, b = rand(rng, (5, 40)), rand(rng, (9, 40)), rand(rng, (40, 33))
    packed = pack_b(b)
    expected1, expected2 = gemm_ref(a1, b), gemm_ref(a2, b)
    b[:] = 0.0  # the packed copy does not follow the source
    assert_gemm_close(gemm(a1, packed), expected1, gemm_atol(a1, expected1, 40))
    assert_gemm_close(gemm(a2, packed), expected2, gemm_atol(a2, expected2, 40))


def test_packed_keeps_its_isa_when_the_active_one_changes(rng):
    a, b = rand(rng, (20, 50)), rand(rng, (50, 30))
    packed = pack_b(b)
    try:
        ironnet.set_cpu_isa("portable")
        out = gemm(a, packed)
    finally:
        ironnet.set_cpu_isa(None)
    assert_gemm_close(out, gemm_ref(a, b), gemm_atol(a, b, 50))


def test_packed_empty_shapes(rng):
    a = rand(rng, (3, 0))
    np.testing.assert_array_equal(np.asarray(gemm(a, pack_b(rand(rng, (0, 4))))), np.zeros((3, 4), np.float32))
    assert np.asarray(gemm(rand(rng, (0, 5)), pack_b(rand(rng, (5, 4))))).shape == (0, 4)


def test_packed_errors(rng):
    packed = pack_b(rand(rng, (6, 7)))
    with pytest.raises(ValueError, match=r"gemm: inner dimensions differ: a \(4, 5\).*packed 6x7"):
        gemm(rand(rng, (4, 5)), packed)
    with pytest.raises(ValueError, match=r"gemm: c has shape \(4, 6\) but a \(4, 6\) and b \(packed 6x7\)"):
        gemm(rand(rng, (4, 6)), packed, ironnet.from_numpy(rand(rng, (4, 6))))
    with pytest.raises(ValueError, match="pass trans_b to pack_b"):
        gemm(rand(rng, (4, 6)), packed, trans_b=True)
    with pytest.raises(ValueError, match=r"gemm: beta=1 needs an output tensor c"):
        gemm(rand(rng, (4, 6)), packed, beta=1.0)
    with pytest.raises(TypeError, match=r"gemm: expected float32 tensors, got a \(4, 6\) int32"):
        gemm(ironnet.zeros((4, 6), dtype="int32"), packed)
    with pytest.raises(ValueError, match=r"pack_b: expected a 2-D tensor, got b \(6,\)"):
        pack_b(rand(rng, (6,)))
    with pytest.raises(TypeError, match=r"pack_b: expected a float32 tensor, got b \(2, 2\) int64"):
        pack_b(ironnet.zeros((2, 2), dtype="int64"))
    with pytest.raises(TypeError, match=r"pack_b: b must be an ironnet Tensor or a numpy array"):
        pack_b([[1.0]])
