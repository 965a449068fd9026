"""Every bad input raises the documented exception type with a message naming the op and the shapes."""
import re

import numpy as np
import pytest

import ironnet
from ironnet.ops import gemm, matmul

F32 = np.float32


def ones(shape, dtype=F32):
    return np.ones(shape, dtype=dtype)


def shapes_in(*shapes):
    """A regex matching a message that mentions every shape, in order (as printed: '(3, 4)')."""
    return ".*".join(re.escape(str(tuple(s))) for s in shapes)


# --- gemm: shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("a_shape,b_shape,trans_a,trans_b", [
    ((3, 4), (5, 6), False, False),
    ((3, 4), (3, 6), False, False),
    ((3, 4), (4, 6), True, False),
    ((3, 4), (4, 6), False, True),
    ((7, 1), (7, 2), True, True),
    ((2, 0), (1, 3), False, False),
])
def test_gemm_inner_dimension_mismatch(a_shape, b_shape, trans_a, trans_b):
    with pytest.raises(ValueError, match="^gemm: inner dimensions differ: a .*" + shapes_in(a_shape, b_shape)):
        gemm(ones(a_shape), ones(b_shape), trans_a=trans_a, trans_b=trans_b)


def test_gemm_mismatch_message_says_transposed():
    with pytest.raises(ValueError, match=r"a \(3, 4\) transposed is 4x3 but b \(5, 6\) is 5x6"):
        gemm(ones((3, 4)), ones((5, 6)), trans_a=True)


@pytest.mark.parametrize("a_shape,b_shape", [((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)),
                                             ((3, 4), (1, 4, 5)), ((1, 1, 3, 4), (4, 5)), ((), (1, 1))],
                         ids=str)
def test_gemm_wrong_rank(a_shape, b_shape):
    with pytest.raises(ValueError, match="^gemm: expected 2-D tensors, got a .*" + shapes_in(a_shape, b_shape)):
        gemm(ones(a_shape), ones(b_shape))


# --- gemm: dtypes and argument kinds --------------------------------------------------------------


@pytest.mark.parametrize("which", ["a", "b"])
@pytest.mark.parametrize("dtype", [ironnet.int32, ironnet.int64])
def test_gemm_integer_tensor(which, dtype):
    a = ironnet.zeros((3, 4), dtype=dtype if which == "a" else ironnet.float32)
    b = ironnet.zeros((4, 5), dtype=dtype if which == "b" else ironnet.float32)
    with pytest.raises(TypeError, match=rf"^gemm: expected float32 tensors, got a \(3, 4\) .* and b \(4, 5\)"):
        gemm(a, b)


@pytest.mark.parametrize("which", ["a", "b", "c"])
@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.uint8, np.bool_])
def test_gemm_numpy_array_of_unsupported_dtype(which, dtype):
    arrays = {"a": ones((3, 4)), "b": ones((4, 5)), "c": ones((3, 5))}
    arrays[which] = arrays[which].astype(dtype)
    shape = arrays[which].shape
    with pytest.raises(TypeError, match=rf"^gemm: {which} {re.escape(str(shape))} has dtype "
                                        rf"{np.dtype(dtype).name}; expected float32"):
        gemm(arrays["a"], arrays["b"], arrays["c"])


def test_gemm_integer_numpy_array():
    with pytest.raises(TypeError, match=r"^gemm: expected float32 tensors, got a \(3, 4\) int32"):
        gemm(ones((3, 4), np.int32), ones((4, 5)))


@pytest.mark.parametrize("bad", [[[1.0]], 2.0, "x", None])
def test_gemm_operand_not_an_array(bad):
    with pytest.raises(TypeError, match=rf"^gemm: a must be an ironnet Tensor or a numpy array, "
                                        rf"got {type(bad).__name__}"):
        gemm(bad, ones((1, 1)))
    with pytest.raises(TypeError, match=rf"^gemm: b must be an ironnet Tensor or a numpy array"):
        gemm(ones((1, 1)), bad)


def test_gemm_c_not_an_array():
    with pytest.raises(TypeError, match="^gemm: c must be an ironnet Tensor or a numpy array, got list"):
        gemm(ones((1, 1)), ones((1, 1)), [[0.0]])


def test_gemm_bad_scalar_arguments():
    with pytest.raises(TypeError, match="gemm"):
        gemm(ones((2, 2)), ones((2, 2)), alpha="two")


# --- gemm: the output c ---------------------------------------------------------------------------


@pytest.mark.parametrize("c_shape", [(3, 6), (5, 3), (3,), (1, 3, 5), (15,)], ids=str)
def test_gemm_c_wrong_shape(c_shape):
    with pytest.raises(ValueError, match=rf"^gemm: c has shape {re.escape(str(c_shape))} but a \(3, 4\) "
                                         r"and b \(4, 5\) give \(3, 5\)"):
        gemm(ones((3, 4)), ones((4, 5)), ones(c_shape))


@pytest.mark.parametrize("dtype", [ironnet.int32, ironnet.int64])
def test_gemm_c_wrong_dtype(dtype):
    with pytest.raises(TypeError, match=rf"^gemm: c must be float32, got c \(3, 5\) {dtype.name}"):
        gemm(ones((3, 4)), ones((4, 5)), ironnet.zeros((3, 5), dtype=dtype))


@pytest.mark.parametrize("make_c", [
    lambda: np.ones((5, 3), F32).T,
    lambda: np.ones((3, 10), F32)[:, ::2],
    lambda: ironnet.zeros((5, 3)).T,
], ids=["transposed", "column_step", "tensor_transposed"])
def test_gemm_c_non_contiguous_rows(make_c):
    with pytest.raises(ValueError, match=r"^gemm: c \(3, 5\) must have contiguous rows \(strides"):
        gemm(ones((3, 4)), ones((4, 5)), make_c())


def test_gemm_c_overlapping_rows():
    row = np.zeros(5, F32)
    c = np.lib.stride_tricks.as_strided(row, shape=(3, 5), strides=(0, 4))  # every row the same memory
    with pytest.raises(ValueError, match=r"^gemm: c \(3, 5\) has overlapping rows \(strides \(0, 1\)\)"):
        gemm(ones((3, 4)), ones((4, 5)), c)


def test_gemm_c_overlapping_an_input():
    x = np.ones((4, 4), F32)
    message = r"^gemm: c \(4, 4\) overlaps an input; write to a separate tensor"
    with pytest.raises(ValueError, match=message):
        gemm(x, ones((4, 4)), x)  # the same NumPy array as a and c
    with pytest.raises(ValueError, match=message):
        gemm(ones((4, 4)), x, x)
    t = ironnet.from_numpy(x)
    with pytest.raises(ValueError, match=message):
        gemm(t, ones((4, 4)), ironnet.from_numpy(x))  # two tensors borrowing one array
    with pytest.raises(ValueError, match=message):
        gemm(t.T, ones((4, 4)), t)  # a view of c's own memory
    np.testing.assert_array_equal(x, np.ones((4, 4), F32))  # nothing was written


def test_gemm_c_overlapping_part_of_an_input():
    buf = np.ones((6, 8), F32)
    with pytest.raises(ValueError, match=r"^gemm: c \(4, 4\) overlaps an input"):
        gemm(buf[:4, :4], ones((4, 4)), buf[2:6, 4:8])


def test_gemm_c_beside_an_input_is_fine():
    """Disjoint parts of one buffer (rows 0-3 and rows 4-7) are not an overlap."""
    buf = np.zeros((8, 4), F32)
    buf[:4] = np.eye(4, dtype=F32)
    b = np.arange(16, dtype=F32).reshape(4, 4)
    gemm(buf[:4], b, buf[4:])
    np.testing.assert_array_equal(buf[4:], b)
    gemm(ironnet.from_numpy(buf[:4]), b, ironnet.from_numpy(buf[4:]), alpha=2.0)
    np.testing.assert_array_equal(buf[4:], 2 * b)


@pytest.mark.parametrize("beta", [1.0, -0.5, 1e-30])
def test_gemm_beta_without_c(beta):
    with pytest.raises(ValueError, match=rf"^gemm: beta={beta:g} needs an output tensor c to scale"):
        gemm(ones((3, 4)), ones((4, 5)), beta=beta)


# --- matmul ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 4), (5, 6)),
    ((2, 3, 4), (2, 5, 6)),
    ((2, 3, 4), (3, 4, 6)),
    ((3, 4), (2, 5, 6)),
    ((2, 3, 4), (5, 6)),
    ((0, 3, 4), (2, 4, 6)),
], ids=str)
def test_matmul_shape_mismatch(a_shape, b_shape):
    with pytest.raises(ValueError, match="^matmul: shapes do not match: a .*" + shapes_in(a_shape, b_shape)):
        matmul(ones(a_shape), ones(b_shape))


def test_matmul_operator_shape_mismatch():
    with pytest.raises(ValueError, match=r"^matmul: shapes do not match: a \(3, 4\) and b \(5, 6\)"):
        ironnet.zeros((3, 4)) @ ironnet.zeros((5, 6))


@pytest.mark.parametrize("a_shape,b_shape", [((4,), (4, 6)), ((3, 4), (4,)), ((1, 2, 3, 4), (4, 6)),
                                             ((3, 4), (1, 1, 4, 6)), ((), ())], ids=str)
def test_matmul_wrong_rank(a_shape, b_shape):
    with pytest.raises(ValueError, match="^matmul: expected 2-D or 3-D tensors, got a .*" + shapes_in(a_shape, b_shape)):
        matmul(ones(a_shape), ones(b_shape))


def test_matmul_wrong_dtype():
    with pytest.raises(TypeError, match=r"^matmul: expected float32 tensors, got a \(3, 4\) int64 .* b \(4, 6\) int64"):
        matmul(ironnet.zeros((3, 4), dtype=ironnet.int64), ironnet.zeros((4, 6), dtype=ironnet.int64))
    with pytest.raises(TypeError, match=r"^matmul: a \(3, 4\) has dtype float64; expected float32"):
        matmul(ones((3, 4), np.float64), ones((4, 6)))
    with pytest.raises(TypeError, match=r"^matmul: b must be an ironnet Tensor or a numpy array, got list"):
        ironnet.zeros((1, 1)) @ [[1.0]]


# --- tensors, devices, settings -------------------------------------------------------------------


@pytest.mark.parametrize("device", ["gpu", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda0", ""])
def test_unknown_device_string(device):
    message = f"^unknown device '{re.escape(device)}': expected 'cpu', 'cuda' or 'cuda:N'"
    with pytest.raises(ValueError, match=message):
        ironnet.zeros(3, device=device)
    with pytest.raises(ValueError, match=message):
        ironnet.zeros(3).to(device)
    with pytest.raises(ValueError, match=message):
        ironnet.tensor([1.0], device=device)


@pytest.mark.skipif(ironnet.cuda.is_available(), reason="a CUDA device is present")
@pytest.mark.parametrize("make", [lambda: ironnet.zeros(3, device="cuda"), lambda: ironnet.zeros(3).to("cuda:1"),
                                  lambda: ironnet.zeros(3).cuda(), lambda: ironnet.tensor([1.0], device="cuda")])
def test_cuda_tensor_without_a_device(make):
    with pytest.raises(RuntimeError, match="cuda"):
        make()


@pytest.mark.skipif(ironnet.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_device_name_without_a_device():
    error = ValueError if ironnet.cuda.is_compiled() else RuntimeError
    with pytest.raises(error, match="cuda.device_name"):
        ironnet.cuda.get_device_name(0)


@pytest.mark.parametrize("n", [0, -1, -100])
def test_set_num_threads_below_one(n):
    before = ironnet.get_num_threads()
    with pytest.raises(ValueError, match=f"^set_num_threads: need at least 1 thread, got {n}$"):
        ironnet.set_num_threads(n)
    assert ironnet.get_num_threads() == before


@pytest.mark.parametrize("n", [2.0, "2", True, None])
def test_set_num_threads_not_an_int(n):
    with pytest.raises(TypeError, match=f"^set_num_threads: n must be an int, got {type(n).__name__}$"):
        ironnet.set_num_threads(n)


@pytest.mark.parametrize("isa", ["sse9", "AVX2", "", "neon"])
def test_set_cpu_isa_unknown(isa):
    before = ironnet.get_cpu_isa()
    with pytest.raises(ValueError, match=f"^unknown CPU ISA '{isa}': expected 'portable', 'avx2' or 'avx512'$"):
        ironnet.set_cpu_isa(isa)
    assert ironnet.get_cpu_isa() == before


@pytest.mark.parametrize("isa", [3, b"avx2", ["avx2"]])
def test_set_cpu_isa_not_a_string(isa):
    with pytest.raises(TypeError, match=f"^set_cpu_isa: isa must be a string or None, got {type(isa).__name__}$"):
        ironnet.set_cpu_isa(isa)


def test_set_cpu_isa_unsupported_here():
    """Only checkable on a CPU lacking some path (this loop is empty where all three run)."""
    for isa in sorted({"avx512", "avx2", "portable"} - set(ironnet.supported_cpu_isas())):
        with pytest.raises(ValueError, match=f"^CPU ISA '{isa}' is not supported on this machine"):
            ironnet.set_cpu_isa(isa)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.uint32, np.int8, np.bool_, np.complex64, ">f4"])
def test_from_numpy_unsupported_dtype(dtype):
    name = str(np.dtype(dtype))
    with pytest.raises(TypeError, match=rf"^from_numpy: unsupported dtype {re.escape(name)} \(ironnet tensors are "
                                        r"float32, int32 or int64; convert with .astype first\)"):
        ironnet.from_numpy(np.zeros(3, dtype=dtype))


@pytest.mark.parametrize("bad", [[1.0, 2.0], 3.0, ironnet.zeros(2)])
def test_from_numpy_not_an_array(bad):
    with pytest.raises(TypeError, match=f"^from_numpy: expected a numpy.ndarray, got {type(bad).__name__}$"):
        ironnet.from_numpy(bad)


@pytest.mark.parametrize("bad", [np.zeros(3, F32), [1.0], None, 5])
def test_tensor_constructor_needs_a_native_tensor(bad):
    with pytest.raises(TypeError, match=rf"^Tensor\(\) wraps a native tensor; to make one from data use "
                                        rf"ironnet.tensor\(...\), got {type(bad).__name__}$"):
        ironnet.Tensor(bad)


@pytest.mark.parametrize("shape", [(2, 3, 4), (3,), ()], ids=str)
def test_dot_t_needs_2d(shape):
    with pytest.raises(ValueError, match=rf"^Tensor.T: expected a 2-D tensor, got shape {re.escape(str(shape))}$"):
        ironnet.zeros(shape).T


@pytest.mark.parametrize("dims", [(0, 2), (-3, 0), (5, 1)])
def test_transpose_out_of_range(dims):
    with pytest.raises(ValueError, match=r"^transpose: dimensions out of range for a tensor of shape \(2, 3\)$"):
        ironnet.zeros((2, 3)).transpose(*dims)


@pytest.mark.parametrize("make", [ironnet.zeros, ironnet.empty])
def test_negative_dimension(make):
    with pytest.raises(ValueError, match=f"^{make.__name__}: negative dimension -3$"):
        make((2, -3))


@pytest.mark.parametrize("dtype", [np.float64, "float16", "bool", object()])
def test_unsupported_dtype_argument(dtype):
    with pytest.raises(TypeError, match="^unsupported dtype .*: ironnet tensors are float32, int32 or int64$"):
        ironnet.zeros(3, dtype=dtype)
    with pytest.raises(TypeError, match="^unsupported dtype .*: ironnet tensors are float32, int32 or int64$"):
        ironnet.tensor([1.0], dtype=dtype)


@pytest.mark.parametrize("data", [["a", "b"], [b"x"], np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_tensor_of_non_numeric_data(data):
    with pytest.raises(TypeError, match="^tensor: cannot make a tensor from data of dtype"):
        ironnet.tensor(data)

