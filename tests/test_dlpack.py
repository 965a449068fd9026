"""DLPack with NumPy: export (np.from_dlpack) and import (ironnet.from_dlpack), zero-copy, capsules,
dtypes, strides and lifetime. PyTorch interop lives in test_interop_torch.py."""
import gc
import weakref

import numpy as np
import pytest

import ironnet


def arange(shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


# --- ironnet -> NumPy ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 5)], ids=str)
def test_export_to_numpy_zero_copy(dtype, shape):
    t = ironnet.tensor(arange(shape, dtype))
    array = np.from_dlpack(t)
    assert array.dtype == dtype and array.shape == shape
    np.testing.assert_array_equal(array, arange(shape, dtype))
    if array.size:
        assert np.shares_memory(array, t.numpy())
        array.reshape(-1)[-1] = 77
        assert t.numpy().reshape(-1)[-1] == 77


def test_export_device():
    assert ironnet.zeros(3).__dlpack_device__() == (1, 0)  # kDLCPU, device 0


def test_export_transposed_and_strided_views():
    base = arange((6, 10))
    t = ironnet.from_numpy(base)
    np.testing.assert_array_equal(np.from_dlpack(t.T), base.T)
    sliced = ironnet.from_numpy(base[1::2, 3:9:2])
    array = np.from_dlpack(sliced)
    np.testing.assert_array_equal(array, base[1::2, 3:9:2])
    assert np.shares_memory(array, base)


def test_export_copy_true_is_separate():
    t = ironnet.tensor(arange((2, 3)))
    array = np.from_dlpack(t, copy=True)
    np.testing.assert_array_equal(array, t.numpy())
    assert not np.shares_memory(array, t.numpy())


def test_export_to_wrong_device_raises():
    with pytest.raises(BufferError, match="cannot export a tensor on cpu to DLPack device \\(2, 0\\)"):
        ironnet.zeros(3).__dlpack__(dl_device=(2, 0))


# --- NumPy -> ironnet ------------------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype,dtype", [(np.float32, ironnet.float32), (np.int32, ironnet.int32),
                                            (np.int64, ironnet.int64)])
def test_import_from_numpy_zero_copy(np_dtype, dtype):
    array = arange((4, 5), np_dtype)
    t = ironnet.from_dlpack(array)
    assert t.dtype == dtype and t.shape == (4, 5) and t.strides == (5, 1)
    assert np.shares_memory(t.numpy(), array)
    t.numpy()[2, 3] = -1
    assert array[2, 3] == -1


def test_import_strided_and_transposed_numpy():
    base = arange((6, 8))
    t = ironnet.from_dlpack(base.T)
    assert t.shape == (8, 6) and t.strides == (1, 8)
    np.testing.assert_array_equal(t.numpy(), base.T)
    s = ironnet.from_dlpack(base[::3, 1::2])
    assert s.strides == (24, 2)
    np.testing.assert_array_equal(s.numpy(), base[::3, 1::2])
    assert np.shares_memory(s.numpy(), base)


def test_import_read_only_numpy_is_copied():
    array = arange((3,))
    array.flags.writeable = False
    t = ironnet.from_dlpack(array)
    assert not np.shares_memory(t.numpy(), array)
    np.testing.assert_array_equal(t.numpy(), array)


def test_import_tensor_is_identity():
    t = ironnet.zeros(2)
    assert ironnet.from_dlpack(t) is t


def test_round_trip_through_numpy_keeps_memory():
    t = ironnet.tensor(arange((3, 7)))
    back = ironnet.from_dlpack(np.from_dlpack(t))
    assert back.numpy().ctypes.data == t.numpy().ctypes.data
    np.testing.assert_array_equal(back.numpy(), t.numpy())


@pytest.mark.parametrize("array", [np.arange(3.0), np.arange(3, dtype=np.uint8), np.array([True, False]),
                                   np.arange(3, dtype=np.float16), np.arange(3, dtype=np.complex64)],
                         ids=lambda a: str(a.dtype))
def test_import_unsupported_dtype(array):
    with pytest.raises(TypeError, match="from_dlpack: unsupported dtype .*float32, int32 or int64"):
        ironnet.from_dlpack(array)


def test_import_negative_strides_raises():
    with pytest.raises(ValueError, match="from_dlpack: negative strides \\(-1,\\) are not supported"):
        ironnet.from_dlpack(arange((4,))[::-1])


@pytest.mark.parametrize("thing", [3, [1.0, 2.0], "tensor", None])
def test_import_non_dlpack_object(thing):
    with pytest.raises(TypeError, match=f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, "
                                        f"got {type(thing).__name__}"):
        ironnet.from_dlpack(thing)


# --- capsules -------------------------------------------------------------------------------------


def test_versioned_capsule():
    t = ironnet.tensor(arange((2, 3)))
    capsule = t.__dlpack__(max_version=(1, 0))
    assert 'dltensor_versioned' in repr(capsule)
    u = ironnet.from_dlpack(capsule)
    assert 'used_dltensor_versioned' in repr(capsule)
    assert u.shape == (2, 3) and np.shares_memory(u.numpy(), t.numpy())


@pytest.mark.parametrize("max_version", [None, (0, 8)])
def test_legacy_capsule(max_version):
    t = ironnet.tensor(arange((4,), np.int64))
    capsule = t.__dlpack__(max_version=max_version)
    assert '"dltensor"' in repr(capsule)
    u = ironnet.from_dlpack(capsule)
    assert 'used_dltensor' in repr(capsule)
    assert u.dtype == ironnet.int64 and np.shares_memory(u.numpy(), t.numpy())


def test_numpy_capsules_both_kinds():
    array = arange((3, 3))
    for capsule in (array.__dlpack__(), array.__dlpack__(max_version=(1, 0))):
        t = ironnet.from_dlpack(capsule)
        assert np.shares_memory(t.numpy(), array)


@pytest.mark.parametrize("max_version", [None, (1, 0)])
def test_consumed_capsule_cannot_be_reused(max_version):
    capsule = ironnet.zeros((2, 2)).__dlpack__(max_version=max_version)
    ironnet.from_dlpack(capsule)
    with pytest.raises(ValueError, match="from_dlpack: the capsule is not an unconsumed DLPack tensor"):
        ironnet.from_dlpack(capsule)


def test_producer_without_max_version_falls_back_to_legacy():
    """Producers from before DLPack 1.0 take no max_version; from_dlpack retries without it."""

    class OldProducer:
        def __init__(self, array):
            self.array = array
            self.calls = []

        def __dlpack__(self, stream=None):
            self.calls.append(stream)
            return self.array.__dlpack__()

        def __dlpack_device__(self):
            return self.array.__dlpack_device__()

    array = arange((2, 5))
    producer = OldProducer(array)
    t = ironnet.from_dlpack(producer)
    assert producer.calls == [None]
    assert np.shares_memory(t.numpy(), array)


# --- lifetime -------------------------------------------------------------------------------------


def test_imported_tensor_keeps_producer_alive():
    array = arange((100,))
    ref = weakref.ref(array)
    t = ironnet.from_dlpack(array)
    del array
    gc.collect()
    assert ref() is not None
    np.testing.assert_array_equal(t.numpy(), np.arange(100, dtype=np.float32))
    del t
    gc.collect()
    assert ref() is None


def test_exported_array_outlives_tensor():
    t = ironnet.tensor(arange((50,), np.int64))
    array = np.from_dlpack(t)
    del t
    gc.collect()
    junk = [ironnet.zeros(50, dtype=ironnet.int64) for _ in range(10)]  # would reuse freed memory
    assert all(j.numpy().sum() == 0 for j in junk)
    np.testing.assert_array_equal(array, np.arange(50))


@pytest.mark.parametrize("max_version", [None, (1, 0)])
def test_unconsumed_capsule_releases_its_tensor(max_version):
    """A capsule nobody imports still frees what it holds when it is garbage-collected."""
    array = arange((10,))
    ref = weakref.ref(array)
    capsule = ironnet.from_numpy(array).__dlpack__(max_version=max_version)
    del array
    gc.collect()
    assert ref() is not None  # the capsule holds the tensor, which holds the array
    del capsule
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("max_version", [None, (1, 0)])
def test_consumed_capsule_releases_with_last_view(max_version):
    array = arange((10,))
    ref = weakref.ref(array)
    capsule = ironnet.from_numpy(array).__dlpack__(max_version=max_version)
    t = ironnet.from_dlpack(capsule)
    del array, capsule
    gc.collect()
    assert ref() is not None
    np.testing.assert_array_equal(t.numpy(), np.arange(10, dtype=np.float32))
    del t
    gc.collect()
    assert ref() is None
