"""CUDA backend: device queries, host <-> device copies, and gemm/matmul parity with the CPU and the
float64 reference. Every test is marked `cuda` and skipped where no device is present."""
import itertools

import numpy as np
import pytest

import ironnet
from ironnet.ops import gemm, matmul
from reference.gemm_ref import assert_gemm_close, gemm_atol, gemm_ref, matmul_ref

pytestmark = pytest.mark.cuda

TRANSPOSES = list(itertools.product([False, True], repeat=2))


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def small_ints(rng, shape):
    return rng.integers(-4, 5, size=shape).astype(np.float32)


def on_gpu(array):
    return ironnet.tensor(array, device="cuda")


def to_host(t):
    return t.cpu().numpy()


# --- device queries and copies --------------------------------------------------------------------


def test_device_queries():
    assert ironnet.cuda.is_compiled()
    assert ironnet.cuda.device_count() >= 1
    name = ironnet.cuda.get_device_name()
    assert isinstance(name, str) and name
    assert ironnet.cuda.get_device_name(0) == name
    assert name in ironnet.config()["cuda_devices"]
    ironnet.cuda.synchronize()


def test_device_name_out_of_range():
    count = ironnet.cuda.device_count()
    with pytest.raises(ValueError, match=f"cuda.device_name: device {count} does not exist \\({count} CUDA devices\\)"):
        ironnet.cuda.get_device_name(count)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (13, 17), (3, 0, 5), (2, 3, 257)], ids=str)
def test_round_trip(rng, dtype, shape):
    host = rng.integers(-1000, 1000, size=shape).astype(dtype)
    t = ironnet.from_numpy(host)
    for device in ("cuda", "cuda:0"):
        g = t.to(device)
        assert g.device == "cuda" and g.shape == shape and g.dtype == t.dtype and g.is_contiguous()
        back = g.cpu()
        assert back.device == "cpu"
        np.testing.assert_array_equal(back.numpy(), host)
        assert not np.shares_memory(back.numpy(), host)
    assert t.cuda().device == "cuda"


def test_to_same_device_is_identity():
    g = ironnet.zeros((2, 3), device="cuda")
    assert g.to("cuda") is g
    assert g.cuda() is g


def test_creation_on_device():
    z = ironnet.zeros((7, 9), device="cuda")
    assert z.device == "cuda"
    np.testing.assert_array_equal(to_host(z), np.zeros((7, 9), np.float32))
    e = ironnet.empty((4, 4), dtype=ironnet.int64, device="cuda")
    assert e.device == "cuda" and e.dtype == ironnet.int64
    t = ironnet.tensor([[1, 2], [3, 4]], device="cuda")
    np.testing.assert_array_equal(to_host(t), [[1, 2], [3, 4]])
    assert ironnet.tensor(t).device == "cpu"  # tensor() copies to the requested device


def test_strided_views_across_devices(rng):
    host = rand(rng, (6, 10))
    view = ironnet.from_numpy(host[1::2, 3:9])
    np.testing.assert_array_equal(to_host(view.cuda()), host[1::2, 3:9])
    g = ironnet.from_numpy(host).cuda().T
    assert g.device == "cuda" and not g.is_contiguous()
    np.testing.assert_array_equal(to_host(g), host.T)
    dense = g.contiguous()
    assert dense.device == "cuda" and dense.is_contiguous()
    np.testing.assert_array_equal(to_host(dense), host.T)


def test_numpy_of_cuda_tensor_is_refused():
    g = ironnet.zeros(3, device="cuda")
    with pytest.raises(TypeError, match="Tensor on cuda cannot be viewed as a NumPy array; call .cpu\\(\\) first"):
        g.numpy()
    with pytest.raises(TypeError, match="call .cpu\\(\\) first"):
        np.asarray(g)


def test_repr_names_the_device():
    assert repr(ironnet.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], dtype=float32, device='cuda')"


def test_dlpack_device():
    assert ironnet.zeros(3, device="cuda").__dlpack_device__() == (2, 0)


@pytest.mark.skipif(ironnet.cuda.device_count() > 1, reason="needs a missing device index")
def test_missing_device_index():
    with pytest.raises(RuntimeError, match="cuda:1 is not available"):
        ironnet.zeros(3).to("cuda:1")


# --- gemm and matmul parity -----------------------------------------------------------------------

SHAPES = [(1, 1, 1), (13, 17, 31), (64, 64, 16), (65, 63, 17), (97, 257, 300), (700, 45, 529), (3, 2100, 5),
          (512, 384, 1000)]


@pytest.mark.parametrize("m,n,k", SHAPES, ids=str)
def test_gemm_matches_reference_and_cpu(rng, m, n, k):
    a, b = rand(rng, (m, k)), rand(rng, (k, n))
    out = gemm(on_gpu(a), on_gpu(b))
    assert out.device == "cuda" and out.shape == (m, n)
    atol = gemm_atol(a, b, k)
    assert_gemm_close(to_host(out), gemm_ref(a, b), atol)
    assert_gemm_close(to_host(out), np.asarray(gemm(a, b)).astype(np.float64), 2 * atol)


@pytest.mark.parametrize("m,n,k", [(65, 63, 17), (700, 45, 529)], ids=str)
def test_gemm_small_integers_exact(rng, m, n, k):
    a, b, c = small_ints(rng, (m, k)), small_ints(rng, (k, n)), small_ints(rng, (m, n))
    gc = on_gpu(c)
    gemm(on_gpu(a), on_gpu(b), gc, alpha=0.5, beta=-2.0)
    np.testing.assert_array_equal(to_host(gc), gemm_ref(a, b, c, alpha=0.5, beta=-2.0).astype(np.float32))


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", [(13, 17, 31), (97, 65, 300)], ids=str)
def test_gemm_transposes(rng, trans_a, trans_b, m, n, k):
    a = rand(rng, (k, m) if trans_a else (m, k))
    b = rand(rng, (n, k) if trans_b else (k, n))
    out = gemm(on_gpu(a), on_gpu(b), trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(to_host(out), gemm_ref(a, b, trans_a=trans_a, trans_b=trans_b), gemm_atol(a, b, k))


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_gemm_transposed_device_views(rng, trans_a, trans_b):
    m, n, k = 37, 70, 45
    a_store = rand(rng, (m, k) if trans_a else (k, m))
    b_store = rand(rng, (k, n) if trans_b else (n, k))
    out = gemm(on_gpu(a_store).T, on_gpu(b_store).T, trans_a=trans_a, trans_b=trans_b)
    expected = gemm_ref(a_store.T, b_store.T, trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(to_host(out), expected, gemm_atol(a_store, b_store, k))


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (2.5, 0.0), (1.0, 1.0), (0.5, -1.5), (0.0, 2.0), (0.0, 0.0)])
def test_gemm_alpha_beta(rng, alpha, beta):
    m, n, k = 45, 70, 300
    a, b, c = rand(rng, (m, k)), rand(rng, (k, n)), rand(rng, (m, n))
    gc = on_gpu(c)
    out = gemm(on_gpu(a), on_gpu(b), gc, alpha=alpha, beta=beta)
    assert out is gc
    expected = gemm_ref(a, b, c, alpha=alpha, beta=beta)
    assert_gemm_close(to_host(gc), expected, gemm_atol(a, b, k, alpha, beta, c))


def test_gemm_beta_zero_ignores_nan_c(rng):
    a, b = rand(rng, (33, 40)), rand(rng, (40, 65))
    gc = on_gpu(np.full((33, 65), np.nan, np.float32))
    gemm(on_gpu(a), on_gpu(b), gc)
    result = to_host(gc)
    assert np.isfinite(result).all()
    assert_gemm_close(result, gemm_ref(a, b), gemm_atol(a, b, 40))


def test_gemm_alpha_zero_reads_neither_a_nor_b(rng):
    a = on_gpu(np.full((9, 30), np.nan, np.float32))
    b = on_gpu(np.full((30, 21), np.nan, np.float32))
    c = small_ints(rng, (9, 21))
    gc = on_gpu(c)
    gemm(a, b, gc, alpha=0.0, beta=2.0)
    np.testing.assert_array_equal(to_host(gc), 2 * c)


def test_gemm_empty_dimensions(rng):
    c = small_ints(rng, (5, 7))
    gc = on_gpu(c)
    gemm(on_gpu(np.zeros((5, 0), np.float32)), on_gpu(np.zeros((0, 7), np.float32)), gc, beta=-1.0)
    np.testing.assert_array_equal(to_host(gc), -c)
    out = gemm(on_gpu(np.zeros((5, 0), np.float32)), on_gpu(np.zeros((0, 7), np.float32)))
    np.testing.assert_array_equal(to_host(out), np.zeros((5, 7), np.float32))
    assert gemm(on_gpu(np.zeros((0, 3), np.float32)), on_gpu(np.zeros((3, 4), np.float32))).shape == (0, 4)


@pytest.mark.parametrize("a_shape,b_shape", [((3, 13, 17), (3, 17, 31)), ((1, 13, 17), (4, 17, 9)),
                                             ((4, 65, 70), (70, 33)), ((13, 17), (6, 17, 9)),
                                             ((0, 3, 4), (1, 4, 5))], ids=str)
def test_matmul_batched(rng, a_shape, b_shape):
    a, b = rand(rng, a_shape), rand(rng, b_shape)
    out = matmul(on_gpu(a), on_gpu(b))
    assert out.device == "cuda"
    expected = matmul_ref(a, b)
    assert out.shape == expected.shape
    assert_gemm_close(to_host(out), expected, gemm_atol(a, b, a_shape[-1]))
    assert_gemm_close(to_host(on_gpu(a) @ on_gpu(b)), expected, gemm_atol(a, b, a_shape[-1]))


# --- mixing devices -------------------------------------------------------------------------------


def test_gemm_mixed_devices_raise():
    a_cpu, b_cpu = ironnet.zeros((3, 4)), ironnet.zeros((4, 5))
    a_gpu, b_gpu = a_cpu.cuda(), b_cpu.cuda()
    with pytest.raises(ValueError, match=r"^gemm: tensors are on different devices: a \(3, 4\) float32 on cpu "
                                         r"and b \(4, 5\) float32 on cuda"):
        gemm(a_cpu, b_gpu)
    with pytest.raises(ValueError, match=r"^gemm: tensors are on different devices: a \(3, 4\) float32 on cuda"):
        gemm(a_gpu, np.zeros((4, 5), np.float32))
    with pytest.raises(ValueError, match=r"^gemm: c is on cpu but a and b are on cuda"):
        gemm(a_gpu, b_gpu, ironnet.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"^gemm: c is on cuda but a and b are on cpu"):
        gemm(a_cpu, b_cpu, ironnet.zeros((3, 5), device="cuda"))


def test_matmul_mixed_devices_raise():
    with pytest.raises(ValueError, match=r"^matmul: tensors are on different devices: a \(2, 3, 4\) float32 on cuda "
                                         r"and b \(4, 5\) float32 on cpu"):
        matmul(ironnet.zeros((2, 3, 4), device="cuda"), ironnet.zeros((4, 5)))
    with pytest.raises(ValueError, match="^matmul: tensors are on different devices"):
        ironnet.zeros((3, 4)) @ ironnet.zeros((4, 5), device="cuda")


@pytest.mark.cuda
@pytest.mark.parametrize("a_shape,b_shape", [((13, 7), (7, 31)), ((3, 5, 7), (3, 7, 2)), ((4, 6, 9), (9, 5))])
def test_matmul_backward_on_cuda_matches_cpu(rng, a_shape, b_shape):
    """Autograd on the GPU: matmul's backward GEMMs and gradient accumulation (axpy) run there."""
    a_np = rng.uniform(-1, 1, a_shape).astype(np.float32)
    b_np = rng.uniform(-1, 1, b_shape).astype(np.float32)
    grads = {}
    for device in ("cpu", "cuda"):
        a = ironnet.tensor(a_np, device=device, requires_grad=True)
        b = ironnet.tensor(b_np, device=device, requires_grad=True)
        out = a @ b
        g = ironnet.tensor(np.ones(out.shape, np.float32), device=device)
        (a @ b).backward(g)  # a second graph: leaf gradients accumulate on the device (axpy)
        out.backward(g)
        grads[device] = (a.grad.cpu().numpy(), b.grad.cpu().numpy())
    for cpu_grad, cuda_grad in zip(grads["cpu"], grads["cuda"]):
        np.testing.assert_allclose(cuda_grad, cpu_grad, rtol=1e-4, atol=1e-5)
