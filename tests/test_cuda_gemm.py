"""CUDA GEMM family: gemm, batched matmul and linear (forward and backward) on the GPU against the CPU
implementation and the float64 reference, with TF32 off (float32 SIMT kernels) and on (tensor
cores). Every test is marked `cuda` and skipped where no device is present.

Sizes are chosen around the kernels' tiles (64 x 64 and 128 x 128 blocks, K slices of 8 and 16,
float4 reads): 1, primes, 127/128/129, shapes that take the 128 x 128 path (at least one tile per
SM), tall and skinny products, K = 0, strided and misaligned views (scalar reads) and batches over
the 65535 one launch holds.
"""
import itertools

import numpy as np
import pytest

import ironnet
from cuda_parity import on_device, to_host
from ironnet import _C
from ironnet.ops import gemm, linear, matmul, pack_b
from ironnet.tensor import Tensor
from reference.gemm_ref import assert_gemm_close, gemm_atol, gemm_ref, matmul_ref

pytestmark = pytest.mark.cuda

DEVICE = "cuda"
TRANSPOSES = list(itertools.product([False, True], repeat=2))


@pytest.fixture(autouse=True)
def tf32_off():
    """Every test starts with TF32 off (the default) and leaves it so, whatever it does."""
    with ironnet.cuda.tf32(False):
        yield


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def small_ints(rng, shape):
    """Integers in [-4, 4]: exact in float32 and TF32, and so are their products and sums here."""
    return rng.integers(-4, 5, size=shape).astype(np.float32)


def gpu(array):
    return on_device(array, DEVICE)


def assert_on_gpu(t):
    assert t.device.startswith(DEVICE), t.device


def operands(rng, m, n, k, trans_a, trans_b, make=rand):
    """A and B stored as gemm's trans flags expect: (K, M) when trans_a, (N, K) when trans_b."""
    return make(rng, (k, m) if trans_a else (m, k)), make(rng, (n, k) if trans_b else (k, n))


def tf32_round(x):
    """x rounded to TF32 as the tensor-core kernel does (cvt.rna: nearest, ties away from zero):
    keep 10 of float32's 23 mantissa bits."""
    bits = np.asarray(x, np.float32).view(np.uint32)
    return ((bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32)


def narrow(t, dim, start, length):
    """A view of t (no copy), as Tensor.narrow would be."""
    return Tensor(t._impl.narrow(dim, start, length))


def every_other_column(t):
    """(M, 2K) contiguous -> its even columns, an (M, K) view with column stride 2."""
    m, k2 = t.shape
    return Tensor(t._impl.reshape([m, k2 // 2, 2]).select(2, 0))


# --- gemm: float32 (TF32 off) ---------------------------------------------------------------------

SHAPES = [(1, 1, 1), (1, 7, 5), (7, 1, 5), (5, 7, 1), (13, 17, 31), (64, 64, 16), (65, 63, 17),
          (127, 128, 129), (128, 128, 128), (129, 127, 128), (300, 517, 1023), (4099, 3, 20), (3, 4099, 20),
          (200, 300, 2), (2048, 1100, 64), (1536, 1535, 33)]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", SHAPES, ids=str)
def test_gemm_matches_reference_and_cpu(rng, m, n, k, trans_a, trans_b):
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    out = gemm(gpu(a), gpu(b), trans_a=trans_a, trans_b=trans_b)
    assert_on_gpu(out)
    assert out.shape == (m, n)
    atol = gemm_atol(a, b, k)
    assert_gemm_close(to_host(out), gemm_ref(a, b, trans_a=trans_a, trans_b=trans_b), atol)
    cpu = gemm(on_device(a, "cpu"), on_device(b, "cpu"), trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(to_host(out), to_host(cpu), rtol=1e-4, atol=2 * atol)


@pytest.mark.parametrize("tf32", [False, True], ids=["float32", "tf32"])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", [(65, 63, 17), (129, 127, 128), (300, 517, 1023), (2048, 1100, 64),
                                   (1536, 1100, 1023)], ids=str)
def test_gemm_small_integers_exact(rng, m, n, k, trans_a, trans_b, tf32):
    """Exact sums (benchdnn's trick): any misplaced element, lost tile or wrong fragment shows. The
    inputs are exact in TF32 too, so the tensor-core path must be exact as well."""
    a, b = operands(rng, m, n, k, trans_a, trans_b, small_ints)
    c = small_ints(rng, (m, n))
    gc = gpu(c)
    with ironnet.cuda.tf32(tf32):
        gemm(gpu(a), gpu(b), gc, trans_a=trans_a, trans_b=trans_b, alpha=0.5, beta=-2.0)
    expected = gemm_ref(a, b, c, trans_a=trans_a, trans_b=trans_b, alpha=0.5, beta=-2.0)
    np.testing.assert_array_equal(to_host(gc), expected.astype(np.float32))


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_gemm_strided_and_misaligned_views(rng, trans_a, trans_b):
    """Operands with a row stride over their width, a start off the 16-byte grid and a column stride
    of 2: every read goes through the element-by-element path."""
    m, n, k = 37, 70, 45
    a_rows, a_cols = (k, m) if trans_a else (m, k)
    b_rows, b_cols = (n, k) if trans_b else (k, n)
    a_store = rand(rng, (a_rows, a_cols + 3))
    b_store = rand(rng, (b_rows, 2 * b_cols))
    a_view = narrow(gpu(a_store), 1, 1, a_cols)  # starts at element 1, row stride a_cols + 3
    b_view = every_other_column(gpu(b_store))  # column stride 2
    a, b = a_store[:, 1:1 + a_cols], b_store[:, ::2]
    out = gemm(a_view, b_view, trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(to_host(out), gemm_ref(a, b, trans_a=trans_a, trans_b=trans_b), gemm_atol(a, b, k))


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_gemm_transposed_device_views(rng, trans_a, trans_b):
    m, n, k = 37, 70, 45
    a_store = rand(rng, (m, k) if trans_a else (k, m))
    b_store = rand(rng, (k, n) if trans_b else (n, k))
    out = gemm(gpu(a_store).T, gpu(b_store).T, trans_a=trans_a, trans_b=trans_b)
    expected = gemm_ref(a_store.T, b_store.T, trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(to_host(out), expected, gemm_atol(a_store, b_store, k))


@pytest.mark.parametrize("m,n,k", [(45, 70, 300), (129, 131, 64)], ids=str)
@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (2.5, 0.0), (1.0, 1.0), (0.5, -1.5), (0.0, 2.0), (0.0, 0.0)])
def test_gemm_alpha_beta(rng, m, n, k, alpha, beta):
    a, b, c = rand(rng, (m, k)), rand(rng, (k, n)), rand(rng, (m, n))
    gc = gpu(c)
    out = gemm(gpu(a), gpu(b), gc, alpha=alpha, beta=beta)
    assert out is gc
    expected = gemm_ref(a, b, c, alpha=alpha, beta=beta)
    assert_gemm_close(to_host(gc), expected, gemm_atol(a, b, k, alpha, beta, c))


@pytest.mark.parametrize("tf32", [False, True], ids=["float32", "tf32"])
@pytest.mark.parametrize("m,n,k", [(37, 61, 29), (131, 260, 48)], ids=str)
def test_gemm_writes_only_c(rng, m, n, k, tf32):
    """C is a window of a larger buffer (row stride n + 7, start off the float4 grid): the cells
    around it keep their sentinel, so no edge tile writes outside m x n."""
    a, b, c = small_ints(rng, (m, k)), small_ints(rng, (k, n)), small_ints(rng, (m, n))
    sentinel = np.float32(-12345.0)
    store = np.full((m + 4, n + 7), sentinel, np.float32)
    store[2:2 + m, 3:3 + n] = c
    g_store = gpu(store)
    window = narrow(narrow(g_store, 0, 2, m), 1, 3, n)
    with ironnet.cuda.tf32(tf32):
        gemm(gpu(a), gpu(b), window, alpha=1.0, beta=1.0)
    result = to_host(g_store)
    np.testing.assert_array_equal(result[2:2 + m, 3:3 + n], (gemm_ref(a, b) + c).astype(np.float32))
    outside = np.ones(store.shape, bool)
    outside[2:2 + m, 3:3 + n] = False
    assert (result[outside] == sentinel).all()


def test_gemm_beta_zero_ignores_nan_c(rng):
    a, b = rand(rng, (33, 40)), rand(rng, (40, 65))
    gc = gpu(np.full((33, 65), np.nan, np.float32))
    gemm(gpu(a), gpu(b), gc)
    result = to_host(gc)
    assert np.isfinite(result).all()
    assert_gemm_close(result, gemm_ref(a, b), gemm_atol(a, b, 40))


def test_gemm_alpha_zero_reads_neither_a_nor_b(rng):
    a = gpu(np.full((9, 30), np.nan, np.float32))
    b = gpu(np.full((30, 21), np.nan, np.float32))
    c = small_ints(rng, (9, 21))
    gc = gpu(c)
    gemm(a, b, gc, alpha=0.0, beta=2.0)
    np.testing.assert_array_equal(to_host(gc), 2 * c)


def test_gemm_empty_dimensions(rng):
    c = small_ints(rng, (5, 7))
    gc = gpu(c)
    gemm(gpu(np.zeros((5, 0), np.float32)), gpu(np.zeros((0, 7), np.float32)), gc, beta=-1.0)
    np.testing.assert_array_equal(to_host(gc), -c)
    out = gemm(gpu(np.zeros((5, 0), np.float32)), gpu(np.zeros((0, 7), np.float32)))
    np.testing.assert_array_equal(to_host(out), np.zeros((5, 7), np.float32))
    assert gemm(gpu(np.zeros((0, 3), np.float32)), gpu(np.zeros((3, 4), np.float32))).shape == (0, 4)
    assert gemm(gpu(np.zeros((3, 4), np.float32)), gpu(np.zeros((4, 0), np.float32))).shape == (3, 0)


# --- gemm: TF32 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (13, 17, 31), (127, 129, 128), (300, 517, 1023), (4099, 3, 20)],
                         ids=str)
def test_tf32_matches_the_tf32_rounded_reference(rng, m, n, k, trans_a, trans_b):
    """With TF32 on, the product is that of the TF32-rounded inputs (float32 accumulation only adds
    float32 rounding), and within TF32 accuracy of the float32 product."""
    a, b = operands(rng, m, n, k, trans_a, trans_b)
    with ironnet.cuda.tf32():
        out = to_host(gemm(gpu(a), gpu(b), trans_a=trans_a, trans_b=trans_b))
    rounded = gemm_ref(tf32_round(a), tf32_round(b), trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(out, rounded, gemm_atol(a, b, k))
    exact = gemm_ref(a, b, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_allclose(out, exact, rtol=1e-2, atol=2e-3 * max(k, 1) ** 0.5)


@pytest.mark.parametrize("a_value,b_value,tf32_sum", [
    (1 + 2.0 ** -11, 1.0, 64 * (1 + 2.0 ** -10)),  # A's tie rounds away from zero (cvt.rna)
    (1.0, -(1 + 2.0 ** -11), -64 * (1 + 2.0 ** -10)),  # so does B's, negative too
    (1 + 2.0 ** -12, 1.0, 64.0),  # below half a TF32 unit: rounds down
])
def test_tf32_rounds_inputs_only_when_allowed(a_value, b_value, tf32_sum):
    """Values that TF32 cannot hold: float32 keeps them (the default), TF32 rounds them. All sums
    here are exact in float32, so the comparisons are exact."""
    a = np.full((16, 64), a_value, np.float32)
    b = np.full((64, 24), b_value, np.float32)
    exact = np.float32(64 * a_value * b_value)
    assert not ironnet.cuda.allow_tf32()
    np.testing.assert_array_equal(to_host(gemm(gpu(a), gpu(b))), np.full((16, 24), exact))
    with ironnet.cuda.tf32():
        np.testing.assert_array_equal(to_host(gemm(gpu(a), gpu(b))), np.full((16, 24), np.float32(tf32_sum)))
        np.testing.assert_array_equal(to_host(matmul(gpu(a), gpu(b))), np.full((16, 24), np.float32(tf32_sum)))
    np.testing.assert_array_equal(to_host(gemm(gpu(a), gpu(b))), np.full((16, 24), exact))


def test_tf32_alpha_beta_and_nan_c(rng):
    a, b, c = small_ints(rng, (70, 33)), small_ints(rng, (33, 45)), small_ints(rng, (70, 45))
    with ironnet.cuda.tf32():
        gc = gpu(c)
        gemm(gpu(a), gpu(b), gc, alpha=-1.5, beta=0.5)
        np.testing.assert_array_equal(to_host(gc), gemm_ref(a, b, c, alpha=-1.5, beta=0.5).astype(np.float32))
        nan_c = gpu(np.full((70, 45), np.nan, np.float32))
        gemm(gpu(a), gpu(b), nan_c)
        np.testing.assert_array_equal(to_host(nan_c), gemm_ref(a, b).astype(np.float32))


# --- batched matmul -------------------------------------------------------------------------------

BATCHED = [((3, 13, 17), (3, 17, 31)), ((1, 13, 17), (4, 17, 9)), ((4, 17, 9), (1, 9, 13)),
           ((4, 65, 70), (70, 33)), ((13, 17), (6, 17, 9)), ((0, 3, 4), (1, 4, 5)), ((2, 1, 7), (2, 7, 1)),
           ((5, 128, 64), (5, 64, 128)), ((3, 129, 200), (3, 200, 260))]


@pytest.mark.parametrize("tf32", [False, True], ids=["float32", "tf32"])
@pytest.mark.parametrize("a_shape,b_shape", BATCHED, ids=str)
def test_matmul_batched_exact(rng, a_shape, b_shape, tf32):
    a, b = small_ints(rng, a_shape), small_ints(rng, b_shape)
    with ironnet.cuda.tf32(tf32):
        out = matmul(gpu(a), gpu(b))
        via_operator = gpu(a) @ gpu(b)
    assert_on_gpu(out)
    expected = matmul_ref(a, b).astype(np.float32)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(to_host(out), expected)
    np.testing.assert_array_equal(to_host(via_operator), expected)


@pytest.mark.parametrize("a_shape,b_shape", BATCHED, ids=str)
def test_matmul_batched_matches_cpu(rng, a_shape, b_shape):
    a, b = rand(rng, a_shape), rand(rng, b_shape)
    out = to_host(matmul(gpu(a), gpu(b)))
    cpu = to_host(matmul(on_device(a, "cpu"), on_device(b, "cpu")))
    np.testing.assert_allclose(out, cpu, rtol=1e-4, atol=gemm_atol(a, b, a_shape[-1]))
    assert_gemm_close(out, matmul_ref(a, b), gemm_atol(a, b, a_shape[-1]))


def test_matmul_batched_transposed_views(rng):
    """Batched operands whose matrices are transposed views (unit row stride): float4 reads along
    the rows instead of along K."""
    a_store, b_store = small_ints(rng, (3, 20, 36)), small_ints(rng, (3, 44, 20))  # (B, K, M), (B, N, K)
    a_t, b_t = gpu(a_store).transpose(1, 2), gpu(b_store).transpose(1, 2)
    expected = matmul_ref(a_store.transpose(0, 2, 1), b_store.transpose(0, 2, 1)).astype(np.float32)
    np.testing.assert_array_equal(to_host(matmul(a_t, b_t)), expected)


def test_matmul_batch_over_one_launch(rng):
    """70000 matrices: more than gridDim.z holds, so the batch is split over two launches."""
    a, b = small_ints(rng, (70000, 2, 3)), small_ints(rng, (70000, 3, 2))
    np.testing.assert_array_equal(to_host(matmul(gpu(a), gpu(b))), matmul_ref(a, b).astype(np.float32))


def backward_on(device, fn, arrays, upstream_seed=0):
    """Runs fn on `device` with every array a leaf that requires grad, back-propagates a fixed
    random upstream gradient (not ones: a backward that mixes up positions cannot pass by symmetry)
    and returns the output and the inputs' gradients as NumPy arrays."""
    inputs = [on_device(a, device, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    upstream = np.random.default_rng(upstream_seed).uniform(-1, 1, out.shape).astype(np.float32)
    out.backward(on_device(upstream, device))
    return [to_host(out)] + [to_host(t.grad) for t in inputs]


def assert_backward_matches_cpu(fn, arrays, rtol=1e-4, atol=1e-5):
    cpu, cuda = backward_on("cpu", fn, arrays), backward_on(DEVICE, fn, arrays)
    for i, (c, g) in enumerate(zip(cpu, cuda)):
        np.testing.assert_allclose(g, c, rtol=rtol, atol=atol, err_msg="output" if i == 0 else f"grad of input {i - 1}")


@pytest.mark.parametrize("a_shape,b_shape", [((13, 7), (7, 31)), ((3, 5, 7), (3, 7, 2)), ((4, 6, 9), (9, 5)),
                                             ((1, 6, 9), (4, 9, 5)), ((130, 129), (129, 131))], ids=str)
def test_matmul_backward_matches_cpu(rng, a_shape, b_shape):
    """Autograd on the GPU: matmul's backward GEMMs (transposed operands, accumulation over a
    broadcast batch) run there."""
    assert_backward_matches_cpu(matmul, [rand(rng, a_shape), rand(rng, b_shape)])


# --- linear ---------------------------------------------------------------------------------------

LINEAR_SHAPES = [(1, 1, 1), (7, 13, 5), (64, 128, 10), (300, 517, 129), (1500, 64, 3), (0, 5, 3), (4, 0, 3)]


@pytest.mark.parametrize("tf32", [False, True], ids=["float32", "tf32"])
@pytest.mark.parametrize("bias,activation", [(False, None), (True, None), (False, "relu"), (True, "relu")])
@pytest.mark.parametrize("n,d_in,d_out", LINEAR_SHAPES, ids=str)
def test_linear_forward_exact(rng, n, d_in, d_out, bias, activation, tf32):
    """The bias and relu epilogue of the GEMM, on sums that are exact in float32 and TF32."""
    x, w = small_ints(rng, (n, d_in)), small_ints(rng, (d_in, d_out))
    b = small_ints(rng, (d_out,)) if bias else None
    with ironnet.cuda.tf32(tf32):
        out = linear(gpu(x), gpu(w), None if b is None else gpu(b), activation=activation)
    assert_on_gpu(out)
    expected = x.astype(np.float64) @ w + (0 if b is None else b)
    if activation == "relu":
        expected = np.maximum(expected, 0)
    np.testing.assert_array_equal(to_host(out), expected.astype(np.float32))


def test_linear_strided_input(rng):
    """x a transposed view and the kernel a misaligned window: any strides are read as they are."""
    x_store, w_store = rand(rng, (45, 33)), rand(rng, (45, 30))
    x_view = gpu(x_store).T  # (33, 45)
    w_view = narrow(gpu(w_store), 1, 1, 29)  # (45, 29)
    b = rand(rng, (29,))
    out = to_host(linear(x_view, w_view, gpu(b), activation="relu"))
    cpu = to_host(linear(on_device(x_store, "cpu").T, narrow(on_device(w_store, "cpu"), 1, 1, 29),
                         on_device(b, "cpu"), activation="relu"))
    np.testing.assert_allclose(out, cpu, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bias,activation", [(False, None), (True, None), (False, "relu"), (True, "relu")])
@pytest.mark.parametrize("n,d_in,d_out", [(1, 1, 1), (7, 13, 5), (300, 517, 129), (1500, 64, 3)], ids=str)
def test_linear_backward_matches_cpu(rng, n, d_in, d_out, bias, activation):
    arrays = [rand(rng, (n, d_in)), rand(rng, (d_in, d_out))] + ([rand(rng, (d_out,))] if bias else [])

    def dense(x, w, b=None):
        return linear(x, w, b, activation=activation)

    assert_backward_matches_cpu(dense, arrays)


def linear_backward_on(device, dy, x, w, need=(True, True, True), relu_output=None):
    grads = _C.linear_backward(on_device(dy, device)._impl, on_device(x, device)._impl, on_device(w, device)._impl,
                               *need, None if relu_output is None else on_device(relu_output, device)._impl)
    return [None if g is None else to_host(Tensor(g)) for g in grads]


@pytest.mark.parametrize("need", [(True, False, False), (False, True, False), (False, False, True)], ids=str)
def test_linear_backward_computes_only_what_is_asked(rng, need):
    dy, x, w = rand(rng, (9, 4)), rand(rng, (9, 6)), rand(rng, (6, 4))
    cuda, cpu = linear_backward_on(DEVICE, dy, x, w, need), linear_backward_on("cpu", dy, x, w, need)
    for wanted, g, c in zip(need, cuda, cpu):
        assert (g is not None) == wanted and (c is not None) == wanted
        if wanted:
            np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("rows,cols", [(0, 3), (1, 1), (255, 7), (257, 33), (70001, 3), (1000, 1031)], ids=str)
def test_bias_gradient_column_sums(rng, rows, cols):
    """The two-pass column sum: chunks of 256 rows, columns in blocks of 32, both edges partial;
    the result is deterministic (bit-identical across runs) and matches the float64 sums."""
    dy = rand(rng, (rows, cols))
    x, w = np.zeros((rows, 1), np.float32), np.zeros((1, cols), np.float32)
    first = linear_backward_on(DEVICE, dy, x, w, (False, False, True))[2]
    second = linear_backward_on(DEVICE, dy, x, w, (False, False, True))[2]
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, dy.astype(np.float64).sum(axis=0), rtol=1e-5, atol=1e-5)


def test_relu_mask_of_linear_backward(rng):
    dy = rand(rng, (50, 21))
    y = np.maximum(rand(rng, (50, 21)), 0)  # a relu output: zeros where the gradient stops
    x, w = rand(rng, (50, 8)), rand(rng, (8, 21))
    cuda, cpu = linear_backward_on(DEVICE, dy, x, w, relu_output=y), linear_backward_on("cpu", dy, x, w, relu_output=y)
    for g, c in zip(cuda, cpu):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


# --- bad input ------------------------------------------------------------------------------------

MIXED = r"tensors are on different devices: "


def test_gemm_mixed_devices_raise():
    a_cpu, b_cpu = ironnet.zeros((3, 4)), ironnet.zeros((4, 5))
    a_gpu, b_gpu = a_cpu.to(DEVICE), b_cpu.to(DEVICE)
    with pytest.raises(ValueError, match=rf"^gemm: {MIXED}a \(3, 4\) on cpu, b \(4, 5\) on cuda"):
        gemm(a_cpu, b_gpu)
    with pytest.raises(ValueError, match=rf"^gemm: {MIXED}a \(3, 4\) on cuda(:0)?, b \(4, 5\) on cpu"):
        gemm(a_gpu, np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match=rf"^gemm: {MIXED}.*c \(3, 5\) on cpu; move them to one device"):
        gemm(a_gpu, b_gpu, ironnet.zeros((3, 5)))
    with pytest.raises(ValueError, match=rf"^gemm: {MIXED}.*c \(3, 5\) on cuda"):
        gemm(a_cpu, b_cpu, ironnet.zeros((3, 5), device=DEVICE))


def test_matmul_mixed_devices_raise():
    with pytest.raises(ValueError, match=rf"^matmul: {MIXED}a \(2, 3, 4\) on cuda(:0)?, b \(4, 5\) on cpu"):
        matmul(ironnet.zeros((2, 3, 4), device=DEVICE), ironnet.zeros((4, 5)))
    with pytest.raises(ValueError, match=rf"^matmul: {MIXED}"):
        ironnet.zeros((3, 4)) @ ironnet.zeros((4, 5), device=DEVICE)


def test_linear_mixed_devices_raise():
    x, w, b = ironnet.zeros((2, 3), device=DEVICE), ironnet.zeros((3, 4)), ironnet.zeros(4)
    with pytest.raises(ValueError, match=rf"^linear: {MIXED}x \(2, 3\) on cuda(:0)?, kernel \(3, 4\) on cpu"):
        linear(x, w)
    with pytest.raises(ValueError, match=rf"^linear: {MIXED}.*bias \(4,\) on cpu"):
        linear(x, w.to(DEVICE), b)
    with pytest.raises(ValueError, match=rf"^linear_backward: {MIXED}dy \(2, 4\) on cpu, x \(2, 3\) on cuda"):
        _C.linear_backward(ironnet.zeros((2, 4))._impl, x._impl, w.to(DEVICE)._impl, True, True, True, None)


def test_packed_b_is_cpu_only():
    with pytest.raises(ValueError, match=r"^pack_b: prepacked B is a CPU layout; got b \(4, 5\) float32 on cuda"):
        pack_b(ironnet.zeros((4, 5), device=DEVICE))
    packed = pack_b(np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match=r"^gemm: b is prepacked on the CPU but a \(3, 4\) float32 on cuda"):
        gemm(ironnet.zeros((3, 4), device=DEVICE), packed)
