"""CUDA runtime: the caching device allocator (reuse, statistics, empty_cache, running out), pinned host
memory and asynchronous copies from it, and strided copies on the GPU (gather, scatter, across devices),
checked against NumPy. Every test is marked `cuda` and skipped where no device is present; the
allocator's bookkeeping and the no-GPU errors are checked on the CPU in tests/test_block_cache.py."""
import numpy as np
import pytest

import ironnet
from ironnet import Tensor
from ironnet.ops import gemm

pytestmark = pytest.mark.cuda

MiB = 1 << 20


def view(t, method, *args):
    """A view of `t` made by a native view method (narrow, select, expand, transpose)."""
    return Tensor(getattr(t._impl, method)(*args))


def address(t):
    return t._impl.data_ptr


def busy_stream(gemms=16):
    """Queues large GEMMs on the device's stream, so that a copy queued next is still waiting (or
    running) when the host acts: a missing wait then shows as wrong data instead of passing by luck."""
    a = ironnet.zeros((4096, 4096), device="cuda")  # the values do not matter, only the time
    return [gemm(a, a) for _ in range(gemms)]


@pytest.fixture
def quiet_allocator():
    """Nothing queued and no cached blocks before the test, so its memory figures are its own."""
    ironnet.cuda.synchronize()
    ironnet.cuda.empty_cache()
    yield


# --- caching allocator --------------------------------------------------------------------------


def test_a_freed_block_is_reused_without_growing_the_reserve(quiet_allocator):
    base = ironnet.cuda.memory_allocated()
    t = ironnet.empty((MiB,), device="cuda")  # 4 MiB
    first = address(t)
    reserved = ironnet.cuda.memory_reserved()
    assert ironnet.cuda.memory_allocated() == base + 4 * MiB
    del t
    assert ironnet.cuda.memory_allocated() == base
    assert ironnet.cuda.memory_reserved() == reserved  # cached, not given back
    for _ in range(20):
        t = ironnet.empty((MiB,), device="cuda")
        assert address(t) == first
        del t
    assert ironnet.cuda.memory_reserved() == reserved


def test_small_tensors_share_segments(quiet_allocator):
    base_reserved = ironnet.cuda.memory_reserved()
    base = ironnet.cuda.memory_allocated()
    small = [ironnet.empty((100,), device="cuda") for _ in range(64)]  # 400 bytes each, 512 rounded
    assert ironnet.cuda.memory_allocated() == base + 64 * 512
    assert ironnet.cuda.memory_reserved() - base_reserved <= 2 * MiB  # one 2 MiB segment at most
    assert len({address(t) for t in small}) == 64
    del small
    assert ironnet.cuda.memory_allocated() == base


def test_statistics_follow_tensors(quiet_allocator):
    base = ironnet.cuda.memory_allocated()
    big = ironnet.empty((16 * MiB,), device="cuda")  # 64 MiB
    assert ironnet.cuda.memory_allocated() == base + 64 * MiB
    assert ironnet.cuda.memory_reserved() >= ironnet.cuda.memory_allocated()
    assert ironnet.cuda.max_memory_allocated() >= base + 64 * MiB
    del big
    assert ironnet.cuda.memory_allocated() == base
    assert ironnet.cuda.max_memory_allocated() >= base + 64 * MiB  # the peak stays
    assert ironnet.cuda.memory_allocated("cuda") == ironnet.cuda.memory_allocated(0)
    assert ironnet.cuda.memory_reserved("cuda:0") == ironnet.cuda.memory_reserved(0)


def test_empty_cache_gives_free_blocks_back(quiet_allocator):
    big = ironnet.zeros((32 * MiB,), device="cuda")  # 128 MiB
    del big
    before = ironnet.cuda.memory_reserved()
    ironnet.cuda.empty_cache()
    assert before - ironnet.cuda.memory_reserved() >= 128 * MiB
    again = ironnet.tensor(np.arange(10, dtype=np.float32), device="cuda")  # allocation still works
    np.testing.assert_array_equal(again.cpu().numpy(), np.arange(10, dtype=np.float32))


def test_out_of_memory_names_the_request_and_the_device(quiet_allocator):
    with pytest.raises(RuntimeError, match=r"cuda allocation: out of memory allocating 1125899906842624 bytes on "
                                           r"cuda:0 \(\d+\.\d MiB allocated, \d+\.\d MiB reserved\)"):
        ironnet.empty((1 << 48,), device="cuda")  # 1 PiB of float32
    # The failed request left the device usable.
    t = ironnet.tensor(np.arange(1000, dtype=np.float32), device="cuda")
    np.testing.assert_array_equal(t.cpu().numpy(), np.arange(1000, dtype=np.float32))


def test_statistics_of_a_missing_device():
    count = ironnet.cuda.device_count()
    with pytest.raises(ValueError, match=f"device cuda:{count} does not exist \\({count} CUDA devices\\)"):
        ironnet.cuda.memory_allocated(count)
    with pytest.raises(ValueError, match="expected a CUDA device index"):
        ironnet.cuda.memory_reserved("cpu")


# --- pinned host memory and asynchronous copies -------------------------------------------------------


def test_pinned_round_trip(rng):
    host = rng.standard_normal((37, 129)).astype(np.float32)
    pinned = ironnet.from_numpy(host).pin_memory()
    assert pinned.is_pinned() and pinned.device == "cpu" and pinned.is_contiguous()
    assert not ironnet.from_numpy(host).is_pinned()
    assert not np.shares_memory(pinned.numpy(), host)
    np.testing.assert_array_equal(pinned.numpy(), host)
    assert pinned.pin_memory() is pinned
    assert pinned.T.is_pinned()  # a view of pinned memory is pinned
    for non_blocking in (False, True):
        g = pinned.to("cuda", non_blocking=non_blocking)
        back = g.cpu()
        np.testing.assert_array_equal(back.numpy(), host)
        assert not back.is_pinned()


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_pin_memory_of_strided_views(rng, dtype):
    host = rng.integers(-1000, 1000, size=(6, 11, 5)).astype(dtype)
    pinned = ironnet.from_numpy(host[:, 2:9].transpose(2, 1, 0)).pin_memory()
    assert pinned.is_pinned() and pinned.is_contiguous()
    np.testing.assert_array_equal(pinned.numpy(), host[:, 2:9].transpose(2, 1, 0))
    np.testing.assert_array_equal(pinned.cuda(non_blocking=True).cpu().numpy(), host[:, 2:9].transpose(2, 1, 0))
    strided_pinned = pinned.transpose(0, 2)  # pinned but not contiguous: packed through pageable memory
    assert strided_pinned.is_pinned() and not strided_pinned.is_contiguous()
    np.testing.assert_array_equal(strided_pinned.to("cuda", non_blocking=True).cpu().numpy(), host[:, 2:9])


def test_pin_memory_of_a_cuda_tensor_is_refused():
    with pytest.raises(ValueError, match="Tensor.pin_memory: only CPU tensors can be pinned, this one is on cuda"):
        ironnet.zeros(3, device="cuda").pin_memory()


@pytest.mark.big
def test_non_blocking_copy_survives_the_reuse_of_its_pinned_block():
    n = 64 * MiB  # 256 MiB of float32: the copy takes milliseconds
    expected = (np.arange(n, dtype=np.int64) % 4099).astype(np.float32)
    source = ironnet.from_numpy(expected).pin_memory()
    busy = busy_stream()  # the copy below waits behind these
    device_copy = source.to("cuda", non_blocking=True)
    del source  # its block must not be handed out before the copy has read it
    other = ironnet.from_numpy(np.full(n, -1.0, np.float32)).pin_memory()
    other.numpy()[:] = -2.0
    np.testing.assert_array_equal(device_copy.cpu().numpy(), expected)
    del busy, other


def test_freed_pinned_blocks_are_reused_once_their_copies_are_done(rng):
    host = rng.standard_normal(MiB).astype(np.float32)
    addresses = set()
    for _ in range(20):
        pinned = ironnet.from_numpy(host).pin_memory()
        addresses.add(address(pinned))
        pinned.to("cuda", non_blocking=True)
        del pinned
        ironnet.cuda.synchronize()
    assert len(addresses) <= 2


@pytest.mark.big
def test_blocking_copy_from_pinned_memory_is_complete_on_return(rng):
    host = rng.standard_normal(16 * MiB).astype(np.float32)
    pinned = ironnet.from_numpy(host).pin_memory()
    busy = busy_stream()
    g = pinned.to("cuda")  # non_blocking=False: the copy has finished when this returns
    pinned.numpy()[:] = 0.0
    np.testing.assert_array_equal(g.cpu().numpy(), host)
    del busy


@pytest.mark.big
def test_non_blocking_copy_from_pageable_memory_is_staged_on_return(rng):
    host = rng.standard_normal(16 * MiB).astype(np.float32)
    expected = host.copy()
    busy = busy_stream()
    g = ironnet.from_numpy(host).to("cuda", non_blocking=True)  # pageable: non_blocking is ignored
    host[:] = 0.0
    np.testing.assert_array_equal(g.cpu().numpy(), expected)
    del busy


def test_non_blocking_to_the_host_is_complete_on_return(rng):
    host = rng.standard_normal((300, 7)).astype(np.float32)
    g = ironnet.from_numpy(host).cuda()
    np.testing.assert_array_equal(g.to("cpu", non_blocking=True).numpy(), host)


# --- strided copies on the GPU ---------------------------------------------------------------------

# (name, host shape, a function making the same view of a NumPy array and of an ironnet tensor)
VIEWS = [
    ("transpose2d", (13, 17), lambda a: a.T, lambda t: t.T),
    ("transpose_outer", (5, 7, 3), lambda a: a.transpose(2, 1, 0), lambda t: t.transpose(0, 2)),
    ("transpose_batched", (4, 33, 65), lambda a: a.transpose(0, 2, 1), lambda t: t.transpose(1, 2)),
    ("narrow_rows", (29, 31), lambda a: a[3:20], lambda t: view(t, "narrow", 0, 3, 17)),
    ("narrow_cols", (29, 31), lambda a: a[:, 5:6], lambda t: view(t, "narrow", 1, 5, 1)),
    ("narrow_both", (3, 41, 43), lambda a: a[1:3, 2:39, 7:40], lambda t: view(view(view(t, "narrow", 0, 1, 2), "narrow", 1, 2, 37), "narrow", 2, 7, 33)),
    ("select", (7, 9, 11), lambda a: a[:, 4], lambda t: view(t, "select", 1, 4)),
    ("expand_rows", (1, 257), lambda a: np.broadcast_to(a, (19, 257)), lambda t: view(t, "expand", [19, 257])),
    ("expand_middle", (3, 1, 7), lambda a: np.broadcast_to(a, (3, 6, 7)), lambda t: view(t, "expand", [3, 6, 7])),
    ("expand_new_dims", (5,), lambda a: np.broadcast_to(a, (2, 3, 5)), lambda t: view(t, "expand", [2, 3, 5])),
    ("expand_scalar", (1,), lambda a: np.broadcast_to(a, (4, 4)), lambda t: view(t, "expand", [4, 4])),
    ("transpose_of_narrow", (40, 50), lambda a: a[10:37, 3:48].T, lambda t: view(view(t, "narrow", 0, 10, 27), "narrow", 1, 3, 45).T),
    ("empty", (0, 5), lambda a: a.T, lambda t: t.T),
    ("size_one", (1, 1), lambda a: a.T, lambda t: t.T),
    # 135M elements: more than one grid-stride step (65535 * 8 blocks of 256 threads)
    pytest.param("beyond_one_grid_step", (1031, 131071), lambda a: a.T, lambda t: t.T, marks=pytest.mark.big),
]


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("name,shape,np_view,view_of", VIEWS, ids=[getattr(v, "values", v)[0] for v in VIEWS])
def test_contiguous_of_a_cuda_view_matches_numpy(rng, dtype, name, shape, np_view, view_of):
    if name == "beyond_one_grid_step" and dtype != np.float32:
        pytest.skip("one dtype is enough for the big case")
    host = rng.integers(-(2**30), 2**30, size=shape).astype(dtype)
    g = view_of(ironnet.from_numpy(host).cuda())
    expected = np_view(host)
    assert g.device == "cuda" and g.shape == expected.shape
    dense = g.contiguous()
    assert dense.device == "cuda" and dense.is_contiguous()
    np.testing.assert_array_equal(dense.cpu().numpy(), expected)
    np.testing.assert_array_equal(g.cpu().numpy(), expected)  # device -> host of the view itself


def test_many_dimensions(rng):
    host = rng.standard_normal((2,) * 8 + (3,)).astype(np.float32)
    reversed_host = host.transpose(*range(8, -1, -1))
    g = ironnet.from_numpy(host).cuda()
    for d in range(4):  # reverse all 9 dimensions: no two neighbours merge
        g = g.transpose(d, 8 - d)
    with pytest.raises(ValueError, match="strided copy on cuda: the views have 9 dimensions that cannot be merged"):
        g.contiguous()
    eight = Tensor(g._impl.select(0, 1))  # 8 dimensions: the most a copy handles unmerged
    np.testing.assert_array_equal(eight.contiguous().cpu().numpy(), reversed_host[1])
    # 9 dimensions of which two merge (the contiguous last two of a 9-D tensor) are fine.
    partly = ironnet.from_numpy(host).cuda().transpose(0, 6)
    np.testing.assert_array_equal(partly.contiguous().cpu().numpy(), host.swapaxes(0, 6))


@pytest.mark.parametrize("source_on", ["cpu", "cuda"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_copy_into_a_strided_cuda_view(rng, source_on, dtype):
    base = rng.integers(-100, 100, size=(12, 10)).astype(dtype)
    values = rng.integers(-100, 100, size=(8, 4)).astype(dtype)
    expected = base.copy()
    expected[1:9, 3:7] = values
    target = ironnet.from_numpy(base).cuda()
    window = view(view(target, "narrow", 0, 1, 8), "narrow", 1, 3, 4)  # rows 1..8, columns 3..6
    assert not window.is_contiguous()
    window._impl.copy_from(ironnet.from_numpy(values).to(source_on)._impl)
    np.testing.assert_array_equal(target.cpu().numpy(), expected)
    # A transposed destination: its elements land in column order.
    square = ironnet.zeros((6, 6), dtype=dtype, device="cuda")
    block = rng.integers(-100, 100, size=(6, 6)).astype(dtype)
    square.T._impl.copy_from(ironnet.from_numpy(block).to(source_on)._impl)
    np.testing.assert_array_equal(square.cpu().numpy(), block.T)


def test_copy_into_a_strided_host_view_from_cuda(rng):
    source = rng.standard_normal((7, 5)).astype(np.float32)
    host = np.zeros((5, 7), np.float32)
    ironnet.from_numpy(host).T._impl.copy_from(ironnet.from_numpy(source).cuda()._impl)
    np.testing.assert_array_equal(host, source.T)


def test_a_cuda_destination_that_repeats_elements_is_refused():
    target = Tensor(ironnet.zeros((1, 5), device="cuda")._impl.expand([4, 5]))
    with pytest.raises(ValueError, match=r"Tensor.copy_from: the destination \(4, 5\) with strides \(0, 1\) on cuda "
                                         r"repeats elements"):
        target._impl.copy_from(ironnet.zeros((4, 5), device="cuda")._impl)


@pytest.mark.big
def test_a_view_past_2_to_the_31_elements():
    """Offsets in int64: an expanded source written out to 2.2e9 elements (8.8 GB), last rows checked."""
    row = np.arange(1000, dtype=np.float32)
    rows = 2_200_000
    try:
        dense = view(ironnet.from_numpy(row).cuda(), "expand", [rows, 1000]).contiguous()
    except RuntimeError as error:
        if "out of memory" not in str(error):
            raise
        pytest.skip("needs 8.8 GB of device memory")
    tail = view(dense, "narrow", 0, rows - 3, 3).cpu().numpy()
    np.testing.assert_array_equal(tail, np.broadcast_to(row, (3, 1000)))
    del dense


@pytest.mark.skipif(ironnet.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_copies_between_two_devices(rng):
    host = rng.standard_normal((33, 65)).astype(np.float32)
    on0 = ironnet.from_numpy(host).to("cuda:0")
    on1 = on0.to("cuda:1")
    assert on1.device == "cuda:1"
    np.testing.assert_array_equal(on1.cpu().numpy(), host)
    np.testing.assert_array_equal(on0.T.to("cuda:1").cpu().numpy(), host.T)  # strided source
    target = ironnet.zeros((65, 33), device="cuda:1")
    target.T._impl.copy_from(on0._impl)  # strided destination on the other device
    np.testing.assert_array_equal(target.cpu().numpy(), host.T)
    np.testing.assert_array_equal(on1.to("cuda:0").cpu().numpy(), host)
