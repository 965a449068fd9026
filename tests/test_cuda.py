"""CUDA backend: device queries and host <-> device copies (the GEMM family's parity tests are in
test_cuda_gemm.py). Every test is marked `cuda` and skipped where no device is present."""
import numpy as np
import pytest

import ironnet

pytestmark = pytest.mark.cuda


def rand(rng, shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


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
