"""Image augmentation: ops.affine_warp / flip against the float64 reference in
tests/reference/augment_ref.py (itself checked by finite differences and against np.pad), and the
RandomFlip / RandomRotation / RandomTranslation layers. The warp has one portable kernel (no ISA
variants), so the numerical tests run over thread counts only."""
import numpy as np
import pytest

import ironnet
from image_cases import FILL_MODES, SHAPES, images, random_transforms
from ironnet import layers, ops
from reference import augment_ref as ref
from reference.matmul_grad_ref import finite_difference

NP_PAD_MODES = {"reflect": "symmetric", "wrap": "wrap", "constant": "constant", "nearest": "edge"}


def dyadic_transforms(rng, n):
    """Entries on a 1/64 grid, offsets off it by 1/128: float32 arithmetic is exact and no coordinate
    lands on a nearest-rounding tie, so kernel and reference must pick the same pixels."""
    t = rng.integers(-96, 97, (n, 6)) / 64.0
    t[:, [2, 5]] += rng.integers(-4, 5, (n, 2)) + 1 / 128
    return t.astype(np.float32)


def shifted(x, down, right, fill_mode, fill_value=0.0):
    """x (N, H, W, C) moved down/right by whole pixels, the uncovered pixels filled like np.pad does."""
    _, h, w, _ = x.shape
    pad = ((0, 0), (abs(down), abs(down)), (abs(right), abs(right)), (0, 0))
    kwargs = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(x, pad, mode=NP_PAD_MODES[fill_mode], **kwargs)
    return padded[:, abs(down) - down: abs(down) - down + h, abs(right) - right: abs(right) - right + w]


# --- the reference ------------------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_reference_vjp_matches_finite_differences(rng, fill_mode, interpolation):
    x = rng.standard_normal((2, 4, 5, 2))
    t = dyadic_transforms(rng, 2) if interpolation == "nearest" else random_transforms(rng, 2, 4, 5)
    g = rng.standard_normal(x.shape)
    numeric = finite_difference(lambda v: np.sum(g * ref.affine_warp(v, t, interpolation, fill_mode, 0.7)), x.copy())
    np.testing.assert_allclose(ref.affine_warp_vjp(x.shape, t, g, interpolation, fill_mode), numeric, atol=1e-7)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("down, right", [(2, -3), (-6, 1), (0, 9), (13, 0)])
def test_reference_integer_shift_is_np_pad(rng, fill_mode, down, right):
    x = rng.standard_normal((2, 5, 4, 3))
    t = ops.translation_transforms([down] * 2, [right] * 2)
    for interpolation in ("bilinear", "nearest"):
        np.testing.assert_allclose(ref.affine_warp(x, t, interpolation, fill_mode, 2.5),
                                   shifted(x, down, right, fill_mode, 2.5), atol=1e-12)


# --- the native warp ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_bilinear_matches_reference(rng, num_threads, shape, fill_mode):
    x = images(rng, shape)
    t = random_transforms(rng, shape[0], shape[1], shape[2])
    y = ops.affine_warp(ironnet.tensor(x), t, "bilinear", fill_mode, fill_value=-0.75)
    assert y.shape == shape
    # float32 coordinates move the bilinear weights by ~1e-6 of a pixel.
    np.testing.assert_allclose(y.numpy(), ref.affine_warp(x, t, "bilinear", fill_mode, -0.75), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_nearest_matches_reference_exactly(rng, num_threads, shape, fill_mode):
    x = images(rng, shape)
    t = dyadic_transforms(rng, shape[0])
    y = ops.affine_warp(ironnet.tensor(x), t, "nearest", fill_mode, fill_value=3.0)
    np.testing.assert_array_equal(y.numpy(), ref.affine_warp(x, t, "nearest", fill_mode, 3.0).astype(np.float32))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_identity_transform_returns_the_input_exactly(rng, interpolation, fill_mode):
    x = images(rng, (3, 9, 7, 3))
    t = np.tile(np.array([1, 0, 0, 0, 1, 0], np.float32), (3, 1))
    np.testing.assert_array_equal(ops.affine_warp(ironnet.tensor(x), t, interpolation, fill_mode).numpy(), x)


@pytest.mark.parametrize("size", [6, 7])
def test_quarter_turn_is_rot90(rng, size):
    x = images(rng, (2, size, size, 3))
    t = ops.rotation_transforms([np.pi / 2, -np.pi / 2], size, size)
    y = ops.affine_warp(ironnet.tensor(x), t, "nearest").numpy()
    np.testing.assert_array_equal(y[0], np.rot90(x[0], k=1))  # positive angles: counter-clockwise
    np.testing.assert_array_equal(y[1], np.rot90(x[1], k=-1))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_integer_translation_is_a_shift_with_the_fill(rng, num_threads, interpolation, fill_mode):
    x = images(rng, (4, 6, 5, 2))
    down, right = np.array([2, -1, 0, 7]), np.array([-3, 4, 0, -11])
    y = ops.affine_warp(ironnet.tensor(x), ops.translation_transforms(down, right), interpolation, fill_mode, 1.5)
    for i in range(4):
        np.testing.assert_array_equal(y.numpy()[i], shifted(x[i:i + 1], down[i], right[i], fill_mode, 1.5)[0])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_backward_matches_reference_and_is_the_adjoint(rng, num_threads, shape, fill_mode, interpolation):
    x_np, dy_np = images(rng, shape), images(rng, shape)
    t = dyadic_transforms(rng, shape[0]) if interpolation == "nearest" else random_transforms(rng, *shape[:3])
    x = ironnet.tensor(x_np, requires_grad=True)
    y = ops.affine_warp(x, t, interpolation, fill_mode, fill_value=0.0)
    y.backward(ironnet.tensor(dy_np))
    dx = x.grad.numpy()
    np.testing.assert_allclose(dx, ref.affine_warp_vjp(shape, t, dy_np, interpolation, fill_mode), rtol=1e-4, atol=1e-4)
    # <warp(x), dy> == <x, warp_backward(dy)> (fill 0 keeps the warp linear).
    lhs = np.sum(y.numpy().astype(np.float64) * dy_np)
    rhs = np.sum(x_np.astype(np.float64) * dx)
    assert lhs == pytest.approx(rhs, rel=1e-4, abs=1e-4)


def test_no_gradient_outside_constant_fill(rng):
    """Constant-mode taps read fill_value, not x: a warp that looks entirely outside gets no gradient."""
    x = ironnet.tensor(images(rng, (1, 4, 4, 1)), requires_grad=True)
    y = ops.affine_warp(x, ops.translation_transforms([10], [0]), "bilinear", "constant", fill_value=2.0)
    np.testing.assert_array_equal(y.numpy(), 2.0)
    y.backward(ironnet.tensor(np.ones((1, 4, 4, 1), np.float32)))
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_strided_input_and_empty_batch(rng):
    x = images(rng, (2, 5, 6, 3))
    t = random_transforms(rng, 2, 5, 6)
    view = ironnet.tensor(np.ascontiguousarray(x.transpose(0, 2, 1, 3))).numpy().transpose(0, 2, 1, 3)
    strided = ops.affine_warp(ironnet.from_numpy(view), t).numpy()
    np.testing.assert_array_equal(strided, ops.affine_warp(ironnet.tensor(x), t).numpy())
    empty = ops.affine_warp(ironnet.tensor(np.zeros((0, 5, 6, 3), np.float32)), np.zeros((0, 6), np.float32))
    assert empty.shape == (0, 5, 6, 3)


def test_flip_and_its_gradient(rng, num_threads):
    x_np = images(rng, (4, 5, 7, 3))
    horizontal, vertical = np.array([True, False, True, False]), np.array([True, True, False, False])
    x = ironnet.tensor(x_np, requires_grad=True)
    y = ops.flip(x, horizontal, vertical)
    expected = x_np.copy()
    expected[horizontal] = expected[horizontal][:, :, ::-1]
    expected[vertical] = expected[vertical][:, ::-1]
    np.testing.assert_array_equal(y.numpy(), expected)
    g = images(rng, x_np.shape)
    y.backward(ironnet.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), ops.flip(ironnet.tensor(g), horizontal, vertical).numpy())
    one_channel = images(rng, (2, 3, 9, 1))
    np.testing.assert_array_equal(ops.flip(ironnet.tensor(one_channel), True, False).numpy(), one_channel[:, :, ::-1])


def test_op_errors(rng):
    x = ironnet.tensor(images(rng, (2, 4, 5, 3)))
    ident = np.tile(np.array([1, 0, 0, 0, 1, 0], np.float32), (2, 1))
    with pytest.raises(ValueError, match=r"affine_warp: x must be a batch of images \(N, H, W, C\), got shape \(4, 5, 3\)"):
        ops.affine_warp(ironnet.tensor(images(rng, (4, 5, 3))), ident)
    with pytest.raises(ValueError, match=r"affine_warp: transforms must be \(N, 6\) = \(2, 6\).*got \(2, 8\)"):
        ops.affine_warp(x, np.zeros((2, 8), np.float32))
    with pytest.raises(ValueError, match=r"affine_warp: transforms must be \(N, 6\) = \(2, 6\).*got \(3, 6\)"):
        ops.affine_warp(x, np.zeros((3, 6), np.float32))
    bad = ident.copy()
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match=r"affine_warp: transforms must be finite, got nan in row 1"):
        ops.affine_warp(x, bad)
    with pytest.raises(ValueError, match=r"affine_warp: unknown interpolation 'cubic'"):
        ops.affine_warp(x, ident, interpolation="cubic")
    with pytest.raises(ValueError, match=r"affine_warp: unknown fill_mode 'mirror'"):
        ops.affine_warp(x, ident, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"affine_warp: fill_value must be finite, got inf"):
        ops.affine_warp(x, ident, fill_mode="constant", fill_value=float("inf"))
    with pytest.raises(TypeError, match=r"affine_warp: x must be float32, got int64 \(1, 2, 2, 1\)"):
        ops.affine_warp(ironnet.tensor(np.zeros((1, 2, 2, 1), np.int64)), ident[:1])
    with pytest.raises(TypeError, match=r"affine_warp: x must be an ironnet Tensor"):
        ops.affine_warp(np.zeros((1, 2, 2, 1), np.float32), ident[:1])
    with pytest.raises(ValueError, match=r"affine_warp_backward: input_shape must be \(N, H, W, C\) with dy's N and C"):
        ironnet._C.affine_warp_backward(x._impl, ironnet.tensor(ident)._impl, [2, 4, 5, 1], "bilinear", "reflect")
    with pytest.raises(ValueError, match=r"flip: horizontal must be \(N,\) = \(2,\), one flag per image, got \(3,\)"):
        ops.flip(x, [True] * 3, [False] * 2)
    with pytest.raises(TypeError, match=r"flip: vertical must hold booleans, one per image, got dtype float64"):
        ops.flip(x, [True, False], [0.5, 1.0])
