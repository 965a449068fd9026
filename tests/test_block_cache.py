"""The caching allocators' bookkeeping (cpp/core/block_cache.h), which serves the CUDA device pools,
pinned host memory and the host block cache alike, checked on a simulated backend that runs on any
machine; and what pin_memory and the CUDA memory statistics say where there is no GPU or no CUDA."""
import numpy as np
import pytest

import ironnet
from ironnet import _C

KiB, MiB = 1 << 10, 1 << 20


# The policies the native caches use (cuda/allocator.cu, cpp/core/host_block_cache.cpp).
def device_small_pool(**kw):
    return _C.SimulatedBlockCache(granule=512, segment_granule=2 * MiB, min_segment=2 * MiB, min_split_bytes=512, **kw)


def device_large_pool(**kw):
    return _C.SimulatedBlockCache(granule=512, segment_granule=2 * MiB, min_split_bytes=MiB, **kw)


def host_pool(**kw):
    return _C.SimulatedBlockCache(granule=64 * KiB, segment_granule=64 * KiB, split=False, **kw)


def test_requests_round_up_and_small_ones_share_a_segment():
    cache = device_small_pool()
    a = cache.acquire(1)
    b = cache.acquire(0)  # a zero-byte request still gets its own block
    c = cache.acquire(513)
    assert (b - a, c - b) == (512, 512)  # carved one after the other from one segment
    stats = cache.stats()
    assert stats["allocated"] == 512 + 512 + 1024
    assert stats["reserved"] == 2 * MiB and stats["segments"] == 1 and stats["backend_allocations"] == 1


def test_a_freed_block_is_reused_without_asking_the_backend():
    cache = device_large_pool()
    a = cache.acquire(5 * MiB)
    assert cache.release(a)
    for _ in range(10):
        assert cache.acquire(5 * MiB) == a
        assert cache.release(a)
    stats = cache.stats()
    assert stats["backend_allocations"] == 1 and stats["reserved"] == 6 * MiB and stats["allocated"] == 0


def test_best_fit_takes_the_smallest_free_block_that_fits():
    cache = device_small_pool()
    small = cache.acquire(4 * KiB)
    fence1 = cache.acquire(512)  # keeps the freed blocks from merging
    large = cache.acquire(8 * KiB)
    fence2 = cache.acquire(512)
    cache.release(small)
    cache.release(large)
    assert cache.acquire(3 * KiB) == small  # 4 KiB fits better than 8 KiB or the segment's free tail
    assert cache.acquire(6 * KiB) == large
    assert fence1 and fence2


def test_freed_neighbours_merge_and_a_whole_segment_goes_back_on_request():
    cache = device_small_pool()
    blocks = [cache.acquire(100 * KiB) for _ in range(3)]
    for block in (blocks[0], blocks[2], blocks[1]):  # the middle one last: it joins both sides
        cache.release(block)
    assert cache.acquire(2 * MiB) == blocks[0]  # the merged segment serves a request of its full size
    cache.release(blocks[0])
    cache.release_cached()
    stats = cache.stats()
    assert stats["reserved"] == 0 and stats["segments"] == 0 and stats["backend_releases"] == 1
    assert stats["backend_bytes"] == 0


def test_release_cached_keeps_segments_that_still_have_a_block_out():
    cache = device_small_pool()
    a, b = cache.acquire(512), cache.acquire(512)
    cache.release(a)
    cache.release_cached()
    assert cache.stats()["reserved"] == 2 * MiB and cache.stats()["backend_releases"] == 0
    cache.release(b)
    cache.release_cached()
    assert cache.stats()["reserved"] == 0


def test_large_blocks_split_only_when_a_megabyte_or_more_is_left():
    cache = device_large_pool()
    cache.acquire(3 * MiB + 512 * KiB)  # 4 MiB segment, 0.5 MiB left: kept with the block
    assert cache.stats()["allocated"] == 4 * MiB
    a = cache.acquire(2 * MiB + 512 * KiB)  # another 4 MiB segment, 1.5 MiB left: split off
    assert cache.stats()["allocated"] == 8 * MiB - 1536 * KiB
    assert cache.acquire(1536 * KiB) == a + 2 * MiB + 512 * KiB  # the leftover, no new segment
    assert cache.stats()["segments"] == 2


def test_without_splitting_only_an_exact_size_is_reused():
    cache = host_pool()
    a = cache.acquire(100 * KiB)  # 128 KiB
    cache.release(a)
    b = cache.acquire(64 * KiB)
    assert b != a  # a 128 KiB block would waste half of itself
    assert cache.acquire(65 * KiB) == a  # 65 KiB rounds to 128 KiB
    assert cache.stats()["allocated"] == 192 * KiB


def test_a_whole_segment_beyond_the_idle_limit_goes_back_at_once():
    cache = host_pool(max_idle_bytes=256 * KiB)
    a, b = cache.acquire(192 * KiB), cache.acquire(192 * KiB)
    cache.release(a)  # 192 KiB idle: kept
    assert cache.stats()["backend_releases"] == 0
    cache.release(b)  # 384 KiB idle: over the limit, b goes back
    stats = cache.stats()
    assert stats["backend_releases"] == 1 and stats["reserved"] == 192 * KiB
    assert cache.acquire(192 * KiB) == a


def test_out_of_memory_returns_none_and_a_retry_after_release_cached_succeeds():
    cache = device_large_pool(capacity=8 * MiB)
    a = cache.acquire(6 * MiB)
    cache.release(a)  # cached: 6 of the backend's 8 MiB are held
    assert cache.acquire(7 * MiB) is None  # needs a fresh 8 MiB segment
    assert cache.stats()["reserved"] == 6 * MiB and cache.stats()["allocated"] == 0
    cache.release_cached()
    assert cache.acquire(7 * MiB) is not None
    assert cache.acquire(1 << 62) is None  # beyond any memory: refused before rounding could overflow


def test_peak_allocated_is_the_high_water_mark():
    cache = device_small_pool()
    blocks = [cache.acquire(10 * KiB) for _ in range(4)]
    for block in blocks:
        cache.release(block)
    cache.acquire(512)
    stats = cache.stats()
    assert stats["peak_allocated"] == 4 * 10 * KiB and stats["allocated"] == 512


def test_releasing_a_block_it_did_not_hand_out_is_refused():
    cache = device_small_pool()
    a = cache.acquire(512)
    assert not cache.release(a + 512)  # inside its segment, but not a block
    assert not cache.release(12345)
    assert cache.release(a)
    assert not cache.release(a)  # twice
    assert cache.stats()["allocated"] == 0


@pytest.mark.parametrize("make", [device_small_pool, device_large_pool, host_pool], ids=["small", "large", "host"])
def test_random_traffic_keeps_the_books(make):
    rng = np.random.default_rng(7)
    cache = make()
    live = {}  # address -> bytes asked
    granule = 64 * KiB if make is host_pool else 512
    max_request = 512 * KiB if make is device_small_pool else 6 * MiB
    for step in range(3000):
        if live and rng.random() < 0.45:
            address = list(live)[rng.integers(len(live))]
            assert cache.release(address)
            del live[address]
        else:
            nbytes = int(rng.integers(0, max_request))
            address = cache.acquire(nbytes)
            assert address is not None and address % granule == 0
            live[address] = nbytes
        if step % 500 == 0:
            cache.release_cached()
        ends = sorted((a, a + max(n, 1)) for a, n in live.items())
        assert all(end <= start for (_, end), (start, _) in zip(ends, ends[1:])), "blocks overlap"
        stats = cache.stats()
        assert stats["backend_bytes"] == stats["reserved"] >= stats["allocated"]
        assert stats["allocated"] >= sum(-(-max(n, 1) // granule) * granule for n in live.values())
    for address in live:
        assert cache.release(address)
    cache.release_cached()
    stats = cache.stats()
    assert stats["allocated"] == stats["reserved"] == stats["segments"] == stats["backend_bytes"] == 0
    assert stats["backend_allocations"] == stats["backend_releases"]


# --- where there is no GPU ------------------------------------------------------------------------


@pytest.mark.skipif(ironnet.cuda.is_compiled(), reason="this build has CUDA")
def test_without_cuda_in_the_build():
    with pytest.raises(RuntimeError, match="pin_memory: ironnet was built without CUDA"):
        ironnet.zeros(3).pin_memory()
    with pytest.raises(RuntimeError, match="cuda memory statistics: ironnet was built without CUDA"):
        ironnet.cuda.memory_allocated()
    ironnet.cuda.empty_cache()  # nothing cached: nothing to do


@pytest.mark.skipif(not ironnet.cuda.is_compiled() or ironnet.cuda.is_available(), reason="needs a CUDA build without a GPU")
def test_cuda_build_without_a_gpu():
    with pytest.raises(RuntimeError, match="pin_memory: no CUDA device is available"):
        ironnet.zeros(3).pin_memory()
    with pytest.raises(ValueError, match=r"cuda memory statistics: device cuda:0 does not exist \(0 CUDA devices\)"):
        ironnet.cuda.max_memory_allocated()
    ironnet.cuda.empty_cache()


@pytest.mark.skipif(ironnet.cuda.is_available(), reason="a GPU is present")
def test_cpu_only_copies_ignore_non_blocking():
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = ironnet.from_numpy(host)
    assert t.to("cpu", non_blocking=True) is t
    assert not t.is_pinned()
    out = ironnet.zeros((4, 3))
    out._impl.copy_from(t.T._impl, non_blocking=True)
    np.testing.assert_array_equal(out.numpy(), host.T)
    with pytest.raises(ValueError, match="expected a CUDA device index or 'cuda' / 'cuda:N', got 'cpu'"):
        ironnet.cuda.memory_allocated("cpu")
