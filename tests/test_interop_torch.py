"""DLPack interop with PyTorch (a test oracle only; the package never imports it). CI installs torch,
so it is imported directly: a missing torch is an error, not a silent skip."""
import gc
import weakref

import numpy as np
import pytest
import torch

import ironnet
from reference.gemm_ref import assert_gemm_close, gemm_atol

DTYPES = [(torch.float32, ironnet.float32), (torch.int32, ironnet.int32), (torch.int64, ironnet.int64)]


@pytest.mark.parametrize("torch_dtype,dtype", DTYPES)
def test_ironnet_to_torch_zero_copy(torch_dtype, dtype):
    t = ironnet.tensor(np.arange(12).reshape(3, 4), dtype=dtype)
    x = torch.from_dlpack(t)
    assert x.dtype == torch_dtype and tuple(x.shape) == (3, 4) and x.stride() == (4, 1)
    assert x.device.type == "cpu"
    assert x.data_ptr() == t.numpy().ctypes.data
    x[1, 2] = 100
    assert t.numpy()[1, 2] == 100
    t.numpy()[0, 0] = -7
    assert x[0, 0].item() == -7


@pytest.mark.parametrize("torch_dtype,dtype", DTYPES)
def test_torch_to_ironnet_zero_copy(torch_dtype, dtype):
    x = torch.arange(20, dtype=torch_dtype).reshape(4, 5)
    t = ironnet.from_dlpack(x)
    assert t.dtype == dtype and t.shape == (4, 5) and t.strides == (5, 1)
    assert t.numpy().ctypes.data == x.data_ptr()
    t.numpy()[3, 4] = 55
    assert x[3, 4].item() == 55
    x[0, 1] = -3
    assert t.numpy()[0, 1] == -3


def test_strided_and_transposed_views_both_ways():
    x = torch.arange(48, dtype=torch.float32).reshape(6, 8)
    t = ironnet.from_dlpack(x.T)
    assert t.shape == (8, 6) and t.strides == (1, 8)
    np.testing.assert_array_equal(t.numpy(), x.T.numpy())
    s = ironnet.from_dlpack(x[1::2, ::3])
    assert s.strides == (16, 3)
    np.testing.assert_array_equal(s.numpy(), x[1::2, ::3].numpy())

    u = ironnet.tensor(np.arange(35, dtype=np.float32).reshape(5, 7))
    y = torch.from_dlpack(u.T)
    assert tuple(y.shape) == (7, 5) and y.stride() == (1, 7)
    np.testing.assert_array_equal(y.numpy(), u.numpy().T)


def test_scalars_and_empty():
    assert ironnet.from_dlpack(torch.tensor(2.5)).shape == ()
    assert ironnet.from_dlpack(torch.zeros(0, 3)).shape == (0, 3)
    assert tuple(torch.from_dlpack(ironnet.tensor(4.0)).shape) == ()
    assert tuple(torch.from_dlpack(ironnet.zeros((2, 0))).shape) == (2, 0)


def test_round_trip_keeps_memory():
    x = torch.randn(9, 11)
    back = torch.from_dlpack(ironnet.from_dlpack(x))
    assert back.data_ptr() == x.data_ptr()
    assert torch.equal(back, x)


@pytest.mark.parametrize("max_version", [None, (1, 0)])
def test_ironnet_capsules_into_torch(max_version):
    t = ironnet.tensor(np.arange(6, dtype=np.float32))
    x = torch.from_dlpack(t.__dlpack__(max_version=max_version))
    assert x.data_ptr() == t.numpy().ctypes.data


def test_torch_legacy_capsule_into_ironnet():
    x = torch.arange(6, dtype=torch.int64)
    capsule = torch.utils.dlpack.to_dlpack(x)
    t = ironnet.from_dlpack(capsule)
    assert t.numpy().ctypes.data == x.data_ptr()
    with pytest.raises(ValueError, match="from_dlpack: the capsule is not an unconsumed DLPack tensor"):
        ironnet.from_dlpack(capsule)


@pytest.mark.parametrize("torch_dtype", [torch.float64, torch.bool, torch.float16, torch.bfloat16, torch.uint8,
                                         torch.int16, torch.complex64], ids=str)
def test_unsupported_torch_dtype(torch_dtype):
    with pytest.raises(TypeError, match="from_dlpack: unsupported dtype .*float32, int32 or int64"):
        ironnet.from_dlpack(torch.zeros(3, dtype=torch_dtype))


def test_torch_tensor_kept_alive_by_ironnet():
    x = torch.arange(1000, dtype=torch.float32)
    ref = weakref.ref(x)
    t = ironnet.from_dlpack(x)
    del x
    gc.collect()
    _ = [torch.full((1000,), -1.0) for _ in range(10)]  # would reuse freed memory
    np.testing.assert_array_equal(t.numpy(), np.arange(1000, dtype=np.float32))
    del t
    gc.collect()
    assert ref() is None


def test_ironnet_tensor_kept_alive_by_torch():
    t = ironnet.tensor(np.arange(300, dtype=np.int64))
    x = torch.from_dlpack(t)
    del t
    gc.collect()
    _ = [ironnet.zeros(300, dtype=ironnet.int64) for _ in range(10)]
    assert torch.equal(x, torch.arange(300))


def test_gemm_on_torch_memory_matches_torch():
    """Torch tensors (viewed through DLPack) as gemm operands and output; torch.matmul as a peer."""
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(37, 300, generator=gen) * 2 - 1
    b = torch.rand(53, 300, generator=gen) * 2 - 1  # used transposed
    c = torch.zeros(37, 53)
    ironnet.ops.gemm(ironnet.from_dlpack(a), ironnet.from_dlpack(b.T), ironnet.from_dlpack(c))
    expected = (a.double() @ b.double().T).numpy()
    assert_gemm_close(c.numpy(), expected, gemm_atol(a.numpy(), b.numpy(), 300))
    assert_gemm_close(c.numpy(), torch.matmul(a, b.T).double().numpy(), gemm_atol(a.numpy(), b.numpy(), 300))



# --- CUDA tensors (need an ironnet CUDA device and a CUDA build of torch) --------------------------

torch_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="this torch build has no CUDA device")


@pytest.mark.cuda
@torch_cuda
@pytest.mark.parametrize("torch_dtype,dtype", DTYPES)
def test_cuda_ironnet_to_torch_zero_copy(torch_dtype, dtype):
    t = ironnet.tensor(np.arange(12).reshape(3, 4), dtype=dtype, device="cuda")
    x = torch.from_dlpack(t)
    assert x.device.type == "cuda" and x.dtype == torch_dtype and x.stride() == (4, 1)
    assert x.data_ptr() == t._impl.data_ptr
    x[1, 2] = 100
    assert t.cpu().numpy()[1, 2] == 100


@pytest.mark.cuda
@torch_cuda
@pytest.mark.parametrize("torch_dtype,dtype", DTYPES)
def test_cuda_torch_to_ironnet_zero_copy(torch_dtype, dtype):
    x = torch.arange(20, dtype=torch_dtype, device="cuda").reshape(4, 5)
    t = ironnet.from_dlpack(x)
    assert t.device == "cuda" and t.dtype == dtype and t.shape == (4, 5)
    assert t._impl.data_ptr == x.data_ptr()
    x[3, 4] = 55
    np.testing.assert_array_equal(t.cpu().numpy(), x.cpu().numpy())


@pytest.mark.cuda
@torch_cuda
def test_cuda_gemm_on_torch_memory():
    """Torch CUDA tensors (a transposed view, and a row-strided view as C) through DLPack."""
    gen = torch.Generator(device="cuda").manual_seed(0)
    a = torch.rand(37, 300, device="cuda", generator=gen) * 2 - 1
    b = torch.rand(53, 300, device="cuda", generator=gen) * 2 - 1
    buf = torch.full((40, 60), -7.0, device="cuda")
    c = buf[2:39, 3:56]  # (37, 53), row stride 60
    ironnet.ops.gemm(ironnet.from_dlpack(a), ironnet.from_dlpack(b.T), ironnet.from_dlpack(c))
    a_np, b_np = a.cpu().numpy(), b.cpu().numpy()
    expected = a_np.astype(np.float64) @ b_np.astype(np.float64).T
    assert_gemm_close(c.cpu().numpy(), expected, gemm_atol(a_np, b_np, 300))
    outside = torch.ones_like(buf, dtype=torch.bool)
    outside[2:39, 3:56] = False
    assert bool((buf[outside] == -7.0).all())


@pytest.mark.cuda
@torch_cuda
def test_cuda_torch_tensor_kept_alive():
    x = torch.arange(1000, dtype=torch.float32, device="cuda")
    t = ironnet.from_dlpack(x)
    del x
    gc.collect()
    torch.cuda.empty_cache()
    np.testing.assert_array_equal(t.cpu().numpy(), np.arange(1000, dtype=np.float32))
