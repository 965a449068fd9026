"""ironnet.Tensor: creation, dtypes, shapes, zero-copy NumPy sharing, views, alignment, lifetime, repr."""
import gc
import weakref

import numpy as np
import pytest

import ironnet

NP_DTYPES = [(np.float32, ironnet.float32), (np.int32, ironnet.int32), (np.int64, ironnet.int64)]


# --- creation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [ironnet.empty, ironnet.zeros])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (3, 5), (2, 0, 4), (13, 1, 17, 3)], ids=str)
def test_empty_and_zeros_shapes(make, shape):
    t = make(shape)
    assert t.shape == shape
    assert t.ndim == len(shape)
    assert t.numel() == int(np.prod(shape))
    assert t.dtype == ironnet.float32
    assert t.device == "cpu"
    assert t.is_contiguous()
    assert t.numpy().shape == shape
    if make is ironnet.zeros:
        np.testing.assert_array_equal(t.numpy(), np.zeros(shape, np.float32))


@pytest.mark.parametrize("dtype,expected", [(ironnet.float32, np.float32), (ironnet.int32, np.int32),
                                            (ironnet.int64, np.int64), ("int32", np.int32),
                                            (np.int64, np.int64), (np.dtype("float32"), np.float32)])
def test_dtype_spellings(dtype, expected):
    t = ironnet.zeros((2, 3), dtype=dtype)
    assert t.numpy().dtype == expected
    assert t.dtype.name == np.dtype(expected).name


def test_int_shape_and_contiguous_strides():
    assert ironnet.zeros(5).shape == (5,)
    assert ironnet.empty(np.int64(4)).shape == (4,)
    t = ironnet.empty((2, 3, 4))
    assert t.strides == (12, 4, 1)
    assert t.numpy().strides == (48, 16, 4)
    assert len(t) == 2


def test_len_of_0d_raises():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ironnet.zeros(()))


@pytest.mark.parametrize("make", [
    lambda: ironnet.empty((13, 17)),
    lambda: ironnet.zeros((3,)),
    lambda: ironnet.empty((0,)),
    lambda: ironnet.zeros((5, 7), dtype=ironnet.int64),
    lambda: ironnet.tensor([1.0, 2.0, 3.0]),
    lambda: ironnet.tensor(np.arange(15, dtype=np.int32)[::2]),
    lambda: ironnet.tensor(np.ones((3, 3), np.float64)),
])
def test_ironnet_memory_is_64_byte_aligned(make):
    for _ in range(5):  # several allocations, so a lucky malloc cannot pass by chance
        t = make()
        assert t.numpy().ctypes.data % 64 == 0


def test_tensor_from_nested_lists():
    t = ironnet.tensor([[1.5, 2.0, 3.0], [4.0, 5.0, 6.25]])
    assert t.shape == (2, 3) and t.dtype == ironnet.float32
    np.testing.assert_array_equal(t.numpy(), np.array([[1.5, 2.0, 3.0], [4.0, 5.0, 6.25]], np.float32))


@pytest.mark.parametrize("data,dtype,values", [
    ([1, 2, 3], ironnet.int64, [1, 2, 3]),
    (7, ironnet.int64, 7),
    (2.5, ironnet.float32, 2.5),
    ([True, False, True], ironnet.int64, [1, 0, 1]),
    (True, ironnet.int64, 1),
    ([1, 2.5], ironnet.float32, [1.0, 2.5]),
    (np.arange(4, dtype=np.int32), ironnet.int32, [0, 1, 2, 3]),
    (np.arange(4, dtype=np.int16), ironnet.int64, [0, 1, 2, 3]),
    (np.arange(4, dtype=np.uint8), ironnet.int64, [0, 1, 2, 3]),
    (np.array([0.5, 1.5]), ironnet.float32, [0.5, 1.5]),
], ids=str)
def test_tensor_infers_dtype(data, dtype, values):
    t = ironnet.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.array(values))


def test_tensor_explicit_dtype_converts():
    t = ironnet.tensor([1.7, -2.2], dtype=ironnet.int32)
    assert t.dtype == ironnet.int32
    np.testing.assert_array_equal(t.numpy(), np.array([1, -2], np.int32))
    assert ironnet.tensor([1, 2], dtype="float32").dtype == ironnet.float32


def test_tensor_copies():
    source = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ironnet.tensor(source)
    assert not np.shares_memory(t.numpy(), source)
    source[0, 0] = 100.0
    assert t.numpy()[0, 0] == 0.0
    u = ironnet.tensor(t)
    assert not np.shares_memory(u.numpy(), t.numpy())
    np.testing.assert_array_equal(u.numpy(), t.numpy())


def test_tensor_of_strided_array_is_contiguous_copy():
    source = np.arange(40, dtype=np.int64).reshape(5, 8)[::2, 1::3]
    t = ironnet.tensor(source)
    assert t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), source)


# --- zero-copy sharing with NumPy ------------------------------------------------------------------


@pytest.mark.parametrize("np_dtype,dtype", NP_DTYPES)
def test_from_numpy_shares_memory(np_dtype, dtype):
    array = np.arange(12, dtype=np_dtype).reshape(3, 4)
    t = ironnet.from_numpy(array)
    assert t.dtype == dtype and t.shape == (3, 4) and t.strides == (4, 1)
    view = t.numpy()
    assert np.shares_memory(view, array)
    assert view.ctypes.data == array.ctypes.data
    array[1, 2] = 99
    assert view[1, 2] == 99
    view[2, 3] = -5
    assert array[2, 3] == -5


def test_numpy_and_asarray_are_views():
    t = ironnet.zeros((4, 5))
    a, b = t.numpy(), np.asarray(t)
    assert np.shares_memory(a, b)
    a[3, 4] = 7.0
    assert b[3, 4] == 7.0
    assert np.asarray(t, dtype=np.float32).ctypes.data == a.ctypes.data
    # Asking for another dtype or a copy gives separate memory.
    as64 = np.asarray(t, dtype=np.float64)
    assert as64.dtype == np.float64 and not np.shares_memory(as64, a)
    copied = np.array(t, copy=True)
    assert not np.shares_memory(copied, a)
    np.testing.assert_array_equal(copied, a)


def test_asarray_refuses_copy_false_with_dtype_change():
    with pytest.raises(ValueError, match="dtype change needs a copy"):
        np.asarray(ironnet.zeros(3), dtype=np.float64, copy=False)


def test_from_numpy_strided_view_keeps_strides():
    base = np.arange(60, dtype=np.float32).reshape(6, 10)
    view = base[1:5:2, 2:9:3]
    t = ironnet.from_numpy(view)
    assert t.shape == (2, 3)
    assert t.strides == (20, 3)
    assert not t.is_contiguous()
    assert np.shares_memory(t.numpy(), base)
    np.testing.assert_array_equal(t.numpy(), view)


@pytest.mark.parametrize("make", [
    lambda a: a[::-1],
    lambda a: a[:, ::-2],
], ids=["rows_reversed", "cols_reversed_step2"])
def test_from_numpy_negative_strides_are_copied(make):
    array = make(np.arange(20, dtype=np.float32).reshape(4, 5))
    t = ironnet.from_numpy(array)
    assert not np.shares_memory(t.numpy(), array)
    assert t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), array)


def test_from_numpy_non_element_strides_are_copied():
    raw = np.zeros(40, dtype=np.uint8)
    odd = np.ndarray(shape=(5,), dtype=np.float32, buffer=raw, offset=0, strides=(6,))
    odd[...] = [1, 2, 3, 4, 5]
    t = ironnet.from_numpy(odd)
    assert not np.shares_memory(t.numpy(), raw)
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3, 4, 5])


def test_from_numpy_read_only_array_is_copied():
    array = np.arange(6, dtype=np.float32)
    array.flags.writeable = False
    t = ironnet.from_numpy(array)
    assert not np.shares_memory(t.numpy(), array)
    np.testing.assert_array_equal(t.numpy(), array)
    t.numpy()[0] = 42.0  # ours to write
    assert array[0] == 0.0


def test_from_numpy_broadcast_to_is_copied():
    array = np.broadcast_to(np.arange(3, dtype=np.int32), (4, 3))
    t = ironnet.from_numpy(array)
    assert t.is_contiguous() and t.shape == (4, 3)
    np.testing.assert_array_equal(t.numpy(), array)


def test_from_numpy_zero_d_and_empty():
    scalar = np.array(3.5, dtype=np.float32)
    t = ironnet.from_numpy(scalar)
    assert t.shape == () and t.numel() == 1 and t.numpy() == 3.5
    empty = ironnet.from_numpy(np.zeros((0, 3), np.float32))
    assert empty.shape == (0, 3) and empty.numel() == 0 and empty.is_contiguous()


# --- views ----------------------------------------------------------------------------------------


def test_transpose_is_a_view():
    t = ironnet.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    tt = t.T
    assert tt.shape == (3, 2) and tt.strides == (1, 3)
    assert not tt.is_contiguous()
    assert np.shares_memory(tt.numpy(), t.numpy())
    np.testing.assert_array_equal(tt.numpy(), t.numpy().T)
    t.numpy()[1, 0] = 50.0
    assert tt.numpy()[0, 1] == 50.0


def test_transpose_dims_and_negative_indices():
    array = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
    t = ironnet.from_numpy(array)
    for d0, d1 in [(0, 2), (1, 2), (-1, 0), (2, 2)]:
        np.testing.assert_array_equal(t.transpose(d0, d1).numpy(), np.swapaxes(array, d0, d1))


def test_contiguous_copies_a_view():
    base = np.arange(35, dtype=np.float32).reshape(5, 7)
    view = ironnet.from_numpy(base).T
    dense = view.contiguous()
    assert dense.is_contiguous() and dense.shape == (7, 5) and dense.strides == (5, 1)
    assert not np.shares_memory(dense.numpy(), base)
    np.testing.assert_array_equal(dense.numpy(), base.T)
    sliced = ironnet.from_numpy(base[1::2, 2:6])
    np.testing.assert_array_equal(sliced.contiguous().numpy(), base[1::2, 2:6])


def test_contiguous_of_contiguous_is_itself():
    t = ironnet.zeros((3, 4))
    assert t.contiguous() is t
    # A size-1 dimension's stride never matters.
    col = ironnet.from_numpy(np.zeros((5, 4), np.float32)[:, 1:2])
    assert col.shape == (5, 1) and not col.is_contiguous()
    row = ironnet.from_numpy(np.zeros((4, 5), np.float32)[1:2, :])
    assert row.is_contiguous()


def test_to_cpu_is_identity():
    t = ironnet.zeros((2, 2))
    assert t.to("cpu") is t
    assert t.cpu() is t


# --- lifetime -------------------------------------------------------------------------------------


def test_tensor_keeps_numpy_array_alive():
    array = np.arange(1000, dtype=np.float32)
    ref = weakref.ref(array)
    t = ironnet.from_numpy(array)
    del array
    gc.collect()
    assert ref() is not None  # the tensor holds it
    np.testing.assert_array_equal(t.numpy(), np.arange(1000, dtype=np.float32))
    del t
    gc.collect()
    assert ref() is None  # and lets it go with the last view


def test_numpy_view_keeps_tensor_memory_alive():
    t = ironnet.tensor(np.arange(500, dtype=np.int64))
    view = t.numpy()
    del t
    gc.collect()
    junk = [ironnet.empty((500,), dtype=ironnet.int64) for _ in range(20)]  # would reuse freed memory
    for j in junk:
        j.numpy()[...] = -1
    np.testing.assert_array_equal(view, np.arange(500))


def test_transposed_view_outlives_original():
    t = ironnet.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    tt = t.T
    del t
    gc.collect()
    np.testing.assert_array_equal(tt.numpy(), np.arange(12, dtype=np.float32).reshape(3, 4).T)


def test_from_numpy_chain_outlives_everything():
    array = np.arange(20, dtype=np.int32).reshape(4, 5)
    view = ironnet.from_numpy(array[1:3]).numpy()
    del array
    gc.collect()
    np.testing.assert_array_equal(view, np.arange(5, 15, dtype=np.int32).reshape(2, 5))


# --- repr -----------------------------------------------------------------------------------------


def test_repr():
    assert repr(ironnet.tensor([[1.0, 2.0], [3.0, 4.5]])) == (
        "tensor([[1. , 2. ],\n        [3. , 4.5]], dtype=float32)"
    )
    assert repr(ironnet.tensor([1, 2, 3])) == "tensor([1, 2, 3], dtype=int64)"
    assert repr(ironnet.tensor(np.array([7], np.int32))) == "tensor([7], dtype=int32)"
    assert repr(ironnet.tensor(3)) == "tensor(3, dtype=int64)"
    empty = repr(ironnet.zeros((0, 2)))
    assert empty.startswith("tensor([]") and empty.endswith("dtype=float32)")


def test_repr_of_view():
    t = ironnet.tensor(np.arange(4, dtype=np.float32).reshape(2, 2)).T
    assert repr(t) == "tensor([[0., 2.],\n        [1., 3.]], dtype=float32)"
