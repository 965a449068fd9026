"""The host block cache behind CPU tensors of 1 MiB and more (cpp/core/host_block_cache.h): a freed
block is handed to the next allocation of the same rounded size instead of going back to the system,
and what it held never leaks into a tensor that promises zeros."""
import numpy as np

from ironnet import _C

MIB_FLOATS = (1 << 20) // 4


def test_a_freed_large_block_is_reused_for_the_same_rounded_size():
    t = _C.TensorImpl.empty((3 * MIB_FLOATS - 1000,), _C.DType.float32)
    address = t.data_ptr
    del t
    again = _C.TensorImpl.empty((3 * MIB_FLOATS,), _C.DType.float32)  # the same size rounded up to 64 KiB
    assert again.data_ptr == address and again.data_ptr % 64 == 0


def test_a_block_in_use_is_never_handed_out_twice():
    a = _C.TensorImpl.empty((2 * MIB_FLOATS,), _C.DType.float32)
    b = _C.TensorImpl.empty((2 * MIB_FLOATS,), _C.DType.float32)
    assert a.data_ptr != b.data_ptr


def test_zeros_on_a_reused_block_are_zeros():
    t = _C.TensorImpl.from_numpy(np.full(2 * MIB_FLOATS, 7.0, np.float32), copy=True)
    address = t.data_ptr
    del t
    held = []  # other idle blocks of this size may come first: take blocks until the dirty one is back
    while len(held) < 16 and (not held or held[-1].data_ptr != address):
        held.append(_C.TensorImpl.zeros((2 * MIB_FLOATS,), _C.DType.float32))
    assert held[-1].data_ptr == address
    assert not any(np.asarray(memoryview(z)).any() for z in held)
