"""ironnet.ops.gemm against the NumPy float64 reference, on every CPU ISA path and thread count.

Shapes are chosen against the kernels' blocking: microtiles 14x32 (AVX-512), 6x16 (AVX2) and 4x16
(portable); K cut into equal blocks of at most 320 (AVX-512) or 256; M blocks of 336/192/128; N
blocks of 4096/2048. Random inputs use a
K-scaled tolerance; small-integer inputs (benchdnn style) make every sum exact, so those tests
demand bitwise equality.
"""
import itertools
import threading

import numpy as np
import pytest

import ironnet
from ironnet.ops import gemm
from reference.gemm_ref import assert_gemm_close, gemm_atol, gemm_ref

TRANSPOSES = list(itertools.product([False, True], repeat=2))

# (M, N, K): ones, primes, exact tiles and tiles +- 1, K past one and two K blocks, M past every
# M block, N past the portable N block; the bigger ones are large enough to use two threads.
AWKWARD_SHAPES = [
    (1, 1, 1),
    (1, 17, 13),
    (13, 1, 17),
    (2, 3, 1),
    (13, 17, 31),
    (14, 32, 256),
    (15, 33, 257),
    (6, 16, 7),
    (7, 17, 300),
    (4, 16, 4),
    (5, 15, 3),
    (28, 64, 64),
    (31, 97, 13),
    (97, 31, 529),
    (257, 13, 97),
    (97, 257, 300),
    (700, 45, 37),
    (337, 65, 300),
    (193, 129, 513),
    (3, 2100, 5),
    (9, 4111, 260),
]


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def small_ints(rng, shape, bound=4):
    """Integers in [-bound, bound] as float32: products and sums of them are exact in float32."""
    return rng.integers(-bound, bound + 1, size=shape).astype(np.float32)


def operands(rng, m, n, k, trans_a=False, trans_b=False, fill=rand):
    a = fill(rng, (k, m) if trans_a else (m, k))
    b = fill(rng, (n, k) if trans_b else (k, n))
    return a, b


def check(a, b, c=None, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0):
    """Runs ironnet's gemm (c, when given, is updated in place) and compares with the reference."""
    c_before = None if c is None else np.array(c, copy=True)
    out = gemm(a, b, c, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta)
    expected = gemm_ref(a, b, c_before, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta)
    k = a.shape[0] if trans_a else a.shape[1]
    assert_gemm_close(out, expected, gemm_atol(a, b, k, alpha, beta, c_before))
    if c is not None:
        assert np.shares_memory(np.asarray(out), np.asarray(c))
    return out


# --- shapes x ISA x threads -----------------------------------------------------------------------


@pytest.mark.parametrize("m,n,k", AWKWARD_SHAPES, ids=lambda v: str(v))
def test_awkward_shapes(rng, cpu_isa, num_threads, m, n, k):
    assert ironnet.get_cpu_isa() == cpu_isa
    a, b = operands(rng, m, n, k)
    out = check(a, b)
    assert isinstance(out, ironnet.Tensor)
    assert out.shape == (m, n) and out.dtype == ironnet.float32 and out.is_contiguous()


@pytest.mark.parametrize("m,n,k", [(700, 45, 529), (97, 257, 300), (14, 32, 256), (15, 4111, 33), (1, 1, 1000)],
                         ids=lambda v: str(v))
def test_small_integers_exact(rng, cpu_isa, num_threads, m, n, k):
    a, b = operands(rng, m, n, k, fill=small_ints)
    c = small_ints(rng, (m, n))
    expected = gemm_ref(a, b, c, alpha=0.5, beta=-2.0)
    out = gemm(a, b, c, alpha=0.5, beta=-2.0)
    np.testing.assert_array_equal(np.asarray(out), expected.astype(np.float32))


def test_large(rng, cpu_isa):
    a, b = operands(rng, 512, 384, 1000)
    check(a, b)


@pytest.mark.parametrize("m,n,k", [(1, 300, 600), (600, 1, 300), (300, 600, 1)], ids=lambda v: str(v))
def test_thin(rng, cpu_isa, num_threads, m, n, k):
    a, b = operands(rng, m, n, k)
    check(a, b)


def test_isa_paths_agree(rng):
    """Every path gives (nearly) the same answer on one input; small integers make it exact."""
    a, b = operands(rng, 45, 77, 300, fill=small_ints)
    results = {}
    try:
        for isa in ironnet.supported_cpu_isas():
            ironnet.set_cpu_isa(isa)
            results[isa] = np.asarray(gemm(a, b)).copy()
    finally:
        ironnet.set_cpu_isa(None)
    first = next(iter(results.values()))
    for isa, result in results.items():
        np.testing.assert_array_equal(result, first, err_msg=isa)


# --- transposes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", [(13, 17, 31), (97, 33, 300), (2, 65, 257)], ids=lambda v: str(v))
def test_transpose_flags(rng, cpu_isa, num_threads, trans_a, trans_b, m, n, k):
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    check(a, b, trans_a=trans_a, trans_b=trans_b)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_transposed_views(rng, cpu_isa, trans_a, trans_b):
    """Operands that are transposed NumPy views (column-major memory), with and without the flags."""
    m, n, k = 37, 50, 270
    a_store, b_store = operands(rng, m, n, k, not trans_a, not trans_b)
    a, b = a_store.T, b_store.T  # non-contiguous views with the logical shape the flags expect
    assert not a.flags.c_contiguous and not b.flags.c_contiguous
    check(a, b, trans_a=trans_a, trans_b=trans_b)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_transposed_tensor_views(rng, trans_a, trans_b):
    a_np, b_np = operands(rng, 19, 23, 29, not trans_a, not trans_b)
    a, b = ironnet.tensor(a_np).T, ironnet.tensor(b_np).T
    assert not a.is_contiguous() and not b.is_contiguous()
    out = gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    expected = gemm_ref(a_np.T, b_np.T, trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(out, expected, gemm_atol(a_np, b_np, 29))


# --- alpha and beta -------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (2.5, 0.0), (-0.75, 0.0), (1.0, 1.0), (0.5, -1.5),
                                        (-1.0, 0.25), (0.0, 0.0), (0.0, 2.0), (0.0, 1.0)])
@pytest.mark.parametrize("m,n,k", [(13, 17, 31), (45, 70, 300)], ids=lambda v: str(v))
def test_alpha_beta(rng, cpu_isa, num_threads, alpha, beta, m, n, k):
    a, b = operands(rng, m, n, k)
    c = rand(rng, (m, n))
    check(a, b, c, alpha=alpha, beta=beta)


@pytest.mark.parametrize("m,n,k", [(31, 45, 300), (14, 32, 8), (3, 5, 7), (700, 33, 20)], ids=lambda v: str(v))
def test_beta_zero_never_reads_c(rng, cpu_isa, num_threads, m, n, k):
    """beta == 0 writes C without reading it: NaN (or Inf) already in C must not leak into the result."""
    a, b = operands(rng, m, n, k)
    c = np.full((m, n), np.nan, dtype=np.float32)
    c[::2] = np.inf
    out = gemm(a, b, c, beta=0.0, alpha=1.5)
    assert np.isfinite(np.asarray(out)).all()
    assert_gemm_close(out, gemm_ref(a, b, alpha=1.5), gemm_atol(a, b, k, alpha=1.5))


def test_beta_one_accumulates(rng, cpu_isa, num_threads):
    m, n, k = 37, 41, 300
    c = np.zeros((m, n), np.float32)
    total = np.zeros((m, n))
    for _ in range(3):
        a, b = operands(rng, m, n, k, fill=small_ints)
        gemm(a, b, c, beta=1.0)
        total += gemm_ref(a, b)
    np.testing.assert_array_equal(c, total.astype(np.float32))


def test_alpha_zero_reads_neither_a_nor_b(rng, cpu_isa):
    """As in BLAS, alpha == 0 gives beta * C without touching A or B (NaN there cannot leak)."""
    a = np.full((9, 300), np.nan, dtype=np.float32)
    b = np.full((300, 21), np.nan, dtype=np.float32)
    c = small_ints(rng, (9, 21))
    expected = 2.0 * c
    gemm(a, b, c, alpha=0.0, beta=2.0)
    np.testing.assert_array_equal(c, expected)
    out = gemm(a, b, alpha=0.0)
    np.testing.assert_array_equal(np.asarray(out), np.zeros((9, 21), np.float32))


# --- empty dimensions -----------------------------------------------------------------------------


@pytest.mark.parametrize("beta", [0.0, 1.0, -3.0])
def test_k_zero_gives_beta_c(rng, cpu_isa, beta):
    m, n = 13, 33
    a, b = np.zeros((m, 0), np.float32), np.zeros((0, n), np.float32)
    c = small_ints(rng, (m, n))
    expected = beta * c
    gemm(a, b, c, beta=beta, alpha=2.0)
    np.testing.assert_array_equal(c, expected)


def test_k_zero_without_c_is_zeros(cpu_isa):
    out = gemm(np.zeros((5, 0), np.float32), np.zeros((0, 7), np.float32))
    assert out.shape == (5, 7)
    np.testing.assert_array_equal(np.asarray(out), np.zeros((5, 7), np.float32))


def test_k_zero_beta_zero_overwrites_nan(cpu_isa):
    c = np.full((6, 17), np.nan, dtype=np.float32)
    gemm(np.zeros((6, 0), np.float32), np.zeros((0, 17), np.float32), c)
    np.testing.assert_array_equal(c, np.zeros((6, 17), np.float32))


@pytest.mark.parametrize("m,n,k", [(0, 5, 3), (4, 0, 3), (0, 0, 0), (0, 7, 0)])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_empty_output(rng, m, n, k, trans_a, trans_b):
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    out = gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    assert out.shape == (m, n) and out.numel() == 0
    c = np.zeros((m, n), np.float32)
    assert gemm(a, b, c, beta=1.0, trans_a=trans_a, trans_b=trans_b).shape == (m, n)


# --- strided operands and outputs -----------------------------------------------------------------


def test_row_strided_slices(rng, cpu_isa, num_threads):
    """Slices of bigger arrays: row strides that are not the width, and offsets into the buffer."""
    m, n, k = 61, 45, 300
    big_a, big_b = rand(rng, (2 * m + 5, k + 9)), rand(rng, (k + 3, n + 11))
    a = big_a[3:3 + 2 * m:2, 4:4 + k]
    b = big_b[2:2 + k, 5:5 + n]
    assert a.shape == (m, k) and b.shape == (k, n)
    check(a, b)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_both_strides_non_unit(rng, cpu_isa, trans_a, trans_b):
    """Neither rows nor columns contiguous (every third column of every second row)."""
    m, n, k = 23, 35, 270
    a_full = rand(rng, (2 * k, 3 * m) if trans_a else (2 * m, 3 * k))
    b_full = rand(rng, (2 * n, 3 * k) if trans_b else (2 * k, 3 * n))
    a, b = a_full[::2, ::3], b_full[::2, ::3]
    check(a, b, trans_a=trans_a, trans_b=trans_b)


def test_stride_zero_broadcast_operands(rng, cpu_isa):
    """Writable stride-0 views (one row repeated, one column repeated) are read through their strides."""
    m, n, k = 29, 37, 300
    row = rand(rng, (k,))
    a = np.lib.stride_tricks.as_strided(row, shape=(m, k), strides=(0, 4))
    col = rand(rng, (k,))
    b = np.lib.stride_tricks.as_strided(col, shape=(k, n), strides=(4, 0))
    assert a.flags.writeable and b.flags.writeable
    assert ironnet.from_numpy(a).strides == (0, 1) and ironnet.from_numpy(b).strides == (1, 0)
    check(a, b)
    check(b, a, trans_a=True, trans_b=True)


def test_read_only_broadcast_operand(rng):
    """np.broadcast_to is read-only, so it is copied on the way in; the result is still right."""
    a = np.broadcast_to(rand(rng, (1, 40)), (17, 40))
    b = rand(rng, (40, 9))
    check(a, b)


@pytest.mark.parametrize("m,n,k", [(13, 17, 31), (70, 100, 300), (1, 40, 5)], ids=lambda v: str(v))
@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy_c", "tensor_c"])
def test_c_is_a_view_into_a_bigger_buffer(rng, cpu_isa, num_threads, m, n, k, as_tensor):
    """C with a row stride wider than N: only the view changes; sentinels around it stay intact."""
    sentinel = np.float32(-12345.5)
    buf = np.full((m + 4, n + 9), sentinel, dtype=np.float32)
    view = buf[2:2 + m, 3:3 + n]
    view[...] = small_ints(rng, (m, n))
    c_before = view.copy()
    a, b = operands(rng, m, n, k, fill=small_ints)
    c = ironnet.from_numpy(view) if as_tensor else view
    out = gemm(a, b, c, alpha=2.0, beta=-1.0)
    if as_tensor:
        assert out is c
    assert np.shares_memory(np.asarray(out), buf)
    np.testing.assert_array_equal(view, gemm_ref(a, b, c_before, alpha=2.0, beta=-1.0).astype(np.float32))
    outside = np.ones(buf.shape, bool)
    outside[2:2 + m, 3:3 + n] = False
    assert (buf[outside] == sentinel).all()


def test_new_output_is_fresh_aligned_memory(rng):
    a, b = operands(rng, 7, 9, 11)
    out = gemm(a, b)
    assert out.strides == (9, 1)
    assert out.numpy().ctypes.data % 64 == 0
    assert not np.shares_memory(out.numpy(), a) and not np.shares_memory(out.numpy(), b)


def test_tensor_and_numpy_operands_mix(rng):
    a, b = operands(rng, 12, 14, 16)
    expected = gemm_ref(a, b)
    for x, y in [(ironnet.from_numpy(a), b), (a, ironnet.tensor(b)), (ironnet.tensor(a), ironnet.tensor(b))]:
        assert_gemm_close(gemm(x, y), expected, gemm_atol(a, b, 16))


def test_concurrent_calls_from_python_threads(rng):
    """The GIL is released in the kernel and packing space is per thread: concurrent calls stay right."""
    cases = [operands(rng, 45 + i, 70, 300) for i in range(4)]
    results = [None] * len(cases)

    def work(i):
        for _ in range(5):
            results[i] = np.asarray(gemm(*cases[i])).copy()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (a, b), out in zip(cases, results):
        assert_gemm_close(out, gemm_ref(a, b), gemm_atol(a, b, 300))


@pytest.mark.parametrize("m,n,k", [(37, 1, 300), (1, 45, 300)], ids=str)
def test_c_is_a_single_column_or_row_of_a_buffer(rng, cpu_isa, m, n, k):
    """A (M, 1) column or (1, N) row cut from a wider buffer: only the one stride that matters is used."""
    sentinel = np.float32(3.25)
    buf = np.full((m + 2, n + 4), sentinel, dtype=np.float32)
    view = buf[1:1 + m, 2:2 + n]
    a, b = operands(rng, m, n, k, fill=small_ints)
    gemm(a, b, view)
    np.testing.assert_array_equal(view, gemm_ref(a, b).astype(np.float32))
    outside = np.ones(buf.shape, bool)
    outside[1:1 + m, 2:2 + n] = False
    assert (buf[outside] == sentinel).all()
