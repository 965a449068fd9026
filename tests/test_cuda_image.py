"""CUDA image ops (affine_warp, its backward, flip) against the CPU. Both devices sample through
cpp/kernels/shared/image_taps.h with the same coordinate rounding, so nearest warps and flips agree
bit for bit; bilinear values agree to float rounding, and the backward's scatter (float atomics on
the GPU, summing in any order) to a reduction's tolerance. Marked `cuda`: skipped where no device is present."""
import numpy as np
import pytest

import ironnet
from cuda_parity import assert_cuda_matches_cpu, assert_grads_match, on_device, to_host
from ironnet import layers, ops

pytestmark = pytest.mark.cuda

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
INTERPOLATIONS = ["bilinear", "nearest"]
SHAPES = [(1, 5, 7, 1), (3, 11, 13, 3), (2, 1, 9, 2), (2, 6, 1, 1), (1, 17, 17, 5), (64, 28, 28, 1)]


def images(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def random_transforms(rng, n, h, w):
    """Rotations with some scale, shear and shifts that reach well outside the image."""
    t = ops.rotation_transforms(rng.uniform(-np.pi, np.pi, n), h, w).astype(np.float64)
    t[:, [0, 1, 3, 4]] *= rng.uniform(0.6, 1.6, (n, 4))
    t[:, [2, 5]] += rng.uniform(-1.5, 1.5, (n, 2)) * [w, h]
    return t.astype(np.float32)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("shape", SHAPES)
def test_warp_forward_matches_cpu(rng, shape, fill_mode, interpolation):
    t = random_transforms(rng, shape[0], shape[1], shape[2])
    exact = interpolation == "nearest"
    assert_cuda_matches_cpu(lambda x: ops.affine_warp(x, t, interpolation, fill_mode, 0.5), [images(rng, shape)],
                            rtol=0 if exact else 1e-5, atol=0 if exact else 1e-6)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("shape", [(1, 5, 7, 1), (3, 11, 13, 3), (2, 6, 1, 1), (8, 28, 28, 1)])
def test_warp_backward_matches_cpu(rng, shape, fill_mode, interpolation):
    """The scatter-add's atomics add in any order, and with shifts far outside the image an edge pixel
    ("nearest" fill) collects hundreds of taps: a reduction's tolerance, 1e-4."""
    t = random_transforms(rng, shape[0], shape[1], shape[2])
    assert_grads_match(lambda x: ops.affine_warp(x, t, interpolation, fill_mode, -1.0), [images(rng, shape)],
                       rtol=1e-4, atol=1e-4)


def test_warp_backward_into_a_different_input_shape(rng):
    t = random_transforms(rng, 2, 9, 5)
    dy = images(rng, (2, 9, 5, 2))
    cpu, gpu = [to_host(ironnet.Tensor(ironnet._C.affine_warp_backward(
        on_device(dy, device)._impl, on_device(t, device)._impl, [2, 4, 7, 2], "bilinear", "wrap")))
        for device in ("cpu", "cuda")]
    np.testing.assert_allclose(gpu, cpu, rtol=1e-4, atol=1e-4)


def test_half_pixel_ties_round_like_the_cpu(rng):
    """Translations by exactly half a pixel: nearest rounds each tie up on both devices."""
    n, h, w = 6, 8, 9
    t = ops.translation_transforms(np.array([0.5, -0.5, 1.5, 0, 2.5, -3.5]), np.array([0.5, 0, -0.5, 1.5, -2.5, 3.5]))
    assert_cuda_matches_cpu(lambda x: ops.affine_warp(x, t, "nearest", "constant", 0.0), [images(rng, (n, h, w, 2))],
                            rtol=0, atol=0)


def test_strided_input_and_empty_batch(rng):
    x = images(rng, (2, 6, 5, 3))
    t = random_transforms(rng, 2, 5, 6)
    assert_cuda_matches_cpu(lambda v: ops.affine_warp(v.transpose(1, 2), t), [x], rtol=1e-5, atol=1e-6)
    none = on_device(np.zeros((0, 5, 6, 3), np.float32), "cuda")
    empty = ops.affine_warp(none, np.zeros((0, 6), np.float32))
    assert empty.shape == (0, 5, 6, 3) and empty.device == none.device


@pytest.mark.parametrize("shape", [(4, 5, 7, 3), (2, 3, 9, 1), (1, 1, 1, 1), (0, 3, 3, 2), (33, 17, 19, 4)])
def test_flip_and_its_gradient_match_cpu(rng, shape):
    n = shape[0]
    horizontal, vertical = rng.random(n) < 0.5, rng.random(n) < 0.5
    assert_grads_match(lambda x: ops.flip(x, horizontal, vertical), [images(rng, shape)], rtol=0, atol=0)
    for h, v in [(True, False), (False, True), (True, True), (False, False)]:
        assert_cuda_matches_cpu(lambda x: ops.flip(x, h, v), [images(rng, shape)], rtol=0, atol=0)


@pytest.mark.parametrize("layer", [lambda: layers.RandomFlip(seed=3), lambda: layers.RandomRotation(0.2, seed=3),
                                   lambda: layers.RandomTranslation(0.3, 0.2, seed=3)])
def test_augmentation_layers_run_on_the_gpu_like_on_the_cpu(rng, layer):
    """The layers draw their transforms and flags on the host; the op moves them to the images' device."""
    x = images(rng, (8, 9, 11, 3))
    assert_cuda_matches_cpu(lambda v: layer()(v, training=True), [x], rtol=1e-5, atol=1e-6)


def test_mixed_devices_and_bad_transforms_are_refused(rng):
    x = on_device(images(rng, (2, 4, 5, 3)), "cuda")
    ident = np.tile(np.array([1, 0, 0, 0, 1, 0], np.float32), (2, 1))
    with pytest.raises(ValueError, match=r"^affine_warp: tensors are on different devices: x \(2, 4, 5, 3\) on cuda, "
                                         r"transforms \(2, 6\) on cpu"):
        ops.affine_warp(x, on_device(ident, "cpu"))
    with pytest.raises(ValueError, match=r"^flip: tensors are on different devices"):
        ironnet._C.flip(x._impl, on_device(np.ones(2, np.int64), "cpu")._impl, on_device(np.ones(2, np.int64), "cuda")._impl)
    bad = ident.copy()
    bad[1, 4] = np.nan
    with pytest.raises(ValueError, match=r"^affine_warp: transforms must be finite, got nan in row 1"):
        ops.affine_warp(x, bad)
