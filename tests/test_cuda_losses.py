"""CUDA losses against the CPU kernels (the oracle): every loss forward (the 0-d loss) and backward
(d loss / d y_pred), from_logits both ways, labels int32/int64, awkward shapes (one element, primes,
wide rows, more rows than the forward's 1024 partial blocks, an empty batch), the same out-of-range
label error as the CPU, mixed devices, determinism, and one autograd round trip through a Loss object."""
import zlib

import numpy as np
import pytest

import ironnet
from ironnet import _C, losses
from cuda_parity import on_device, to_host

pytestmark = pytest.mark.cuda

SHAPES = [(1, 1), (7, 13), (3, 5, 11), (2, 4099), (1031, 3), (0, 5)]
DENSE = [  # (native name, options after y_true and y_pred)
    ("mean_squared_error", ()),
    ("mean_absolute_error", ()),
    ("huber", (1.0,)),
    ("huber", (0.25,)),
    ("binary_crossentropy", (False,)),
    ("binary_crossentropy", (True,)),
    ("categorical_crossentropy", (False,)),
    ("categorical_crossentropy", (True,)),
]
GRAD_SCALE = 0.7


def inputs(rng, name, options, shape):
    """(y_true, y_pred) the loss is defined on: probabilities where it takes probabilities (with a few
    values past the clip bounds), logits (some large) where it takes logits."""
    from_logits = bool(options and options[0] is True)
    if name == "binary_crossentropy" and not from_logits:
        pred = rng.uniform(0.0, 1.0, size=shape)
        pred.flat[::7] = 0.0  # clipped: no gradient
        return rng.uniform(0.0, 1.0, size=shape).astype(np.float32), pred.astype(np.float32)
    if name == "categorical_crossentropy" and not from_logits:
        target = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]) if shape[-1] > 0 else np.zeros(shape)
        return target.astype(np.float32), rng.uniform(0.0, 2.0, size=shape).astype(np.float32)
    pred = rng.normal(0.0, 3.0, size=shape)
    pred.flat[::5] *= 20.0  # logits far from 0 test the stable forms
    target = rng.uniform(0.0, 1.0, size=shape) if "crossentropy" in name else rng.normal(size=shape)
    return target.astype(np.float32), pred.astype(np.float32)


def native(name, arrays, options, device, *extra):
    return ironnet.Tensor(getattr(_C, name)(*[on_device(a, device)._impl for a in arrays], *options, *extra))


def assert_close(cuda, cpu, rtol, what, term=0.0):
    """`term`: the size of the terms a result may cancel from (a gradient that is exactly 0 in exact
    arithmetic comes out as a rounding residue of them), so the absolute tolerance is relative to the
    data, not only to the result."""
    cpu = np.asarray(cpu)
    atol = 1e-6 * max(float(np.abs(cpu).max()), term) if cpu.size else 0.0
    np.testing.assert_allclose(cuda, cpu, rtol=rtol, atol=atol, err_msg=what)


def gradient_term(name, target):
    """The largest term of a gradient element: GRAD_SCALE * |target| over the loss's mean (over rows
    for the categorical losses, over elements for the others). With one class, the categorical
    gradient softmax * sum(t) - t is exactly 0, and the CPU's float32 gives about 1e-8 of it."""
    target = np.asarray(target)
    if target.size == 0 or not np.issubdtype(target.dtype, np.floating):
        return 0.0
    count = target.size // target.shape[-1] if name.startswith("categorical") else target.size
    return GRAD_SCALE * float(np.abs(target).max()) / max(count, 1)


def check_loss(name, arrays, options):
    cpu_loss = native(name, arrays, options, "cpu")
    cuda_loss = native(name, arrays, options, "cuda")
    assert cuda_loss.device.startswith("cuda") and cuda_loss.shape == ()
    assert_close(to_host(cuda_loss), to_host(cpu_loss), 1e-5, f"{name}{options} forward")
    cpu_grad = native(name + "_backward", arrays, options, "cpu", GRAD_SCALE)
    cuda_grad = native(name + "_backward", arrays, options, "cuda", GRAD_SCALE)
    assert cuda_grad.device.startswith("cuda") and cuda_grad.shape == cpu_grad.shape
    assert_close(to_host(cuda_grad), to_host(cpu_grad), 1e-5, f"{name}{options} backward",
                 gradient_term(name, arrays[0]))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,options", DENSE)
def test_dense_losses_match_cpu(name, options, shape):
    rng = np.random.default_rng(zlib.crc32(repr((name, options, shape)).encode()))
    check_loss(name, inputs(rng, name, options, shape), options)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("pred_shape,with_unit_axis", [
    ((1, 1), False), ((9, 17), False), ((9, 17), True), ((2, 3, 7), False), ((4, 50021), False),
    ((1031, 5), True), ((0, 4), False)])
def test_sparse_crossentropy_matches_cpu(pred_shape, with_unit_axis, label_dtype, from_logits):
    rng = np.random.default_rng(7)
    labels = rng.integers(0, pred_shape[-1], size=pred_shape[:-1] + ((1,) if with_unit_axis else ()))
    pred = rng.normal(0.0, 4.0, size=pred_shape) if from_logits else rng.uniform(0.0, 1.0, size=pred_shape)
    check_loss("sparse_categorical_crossentropy", [labels.astype(label_dtype), pred.astype(np.float32)], (from_logits,))


def test_one_huge_logit_per_row_stays_finite():
    pred = np.full((3, 1000), -50.0, np.float32)
    pred[:, 17] = 80.0
    labels = np.array([17, 0, 999])
    check_loss("sparse_categorical_crossentropy", [labels, pred], (True,))
    check_loss("categorical_crossentropy", [np.eye(1000, dtype=np.float32)[labels], pred], (True,))


@pytest.mark.parametrize("name", ["sparse_categorical_crossentropy", "sparse_categorical_crossentropy_backward"])
@pytest.mark.parametrize("bad", [-1, 6])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_out_of_range_label_raises_the_cpu_error(name, bad, label_dtype):
    labels = np.array([0, 5, 2, 3, 1, bad, 4, bad], label_dtype)
    pred = np.zeros((8, 6), np.float32)
    extra = (GRAD_SCALE,) if name.endswith("backward") else ()
    messages = []
    for device in ("cpu", "cuda"):
        with pytest.raises(ValueError) as error:
            native(name, [labels, pred], (True,), device, *extra)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert f"label {bad} at position 5 is out of range for 6 classes" in messages[1]


@pytest.mark.parametrize("name,options", [("mean_squared_error", ()), ("categorical_crossentropy", (True,)),
                                          ("sparse_categorical_crossentropy", (True,))])
def test_mixed_devices_are_refused(name, options):
    first = np.zeros(2, np.int64) if name.startswith("sparse") else np.zeros((2, 3), np.float32)
    second = np.zeros((2, 3), np.float32)
    for devices in (("cpu", "cuda"), ("cuda", "cpu")):
        with pytest.raises(ValueError, match=rf"^{name}: tensors are on different devices"):
            getattr(_C, name)(on_device(first, devices[0])._impl, on_device(second, devices[1])._impl, *options)


def test_forward_and_backward_are_deterministic():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 1000, size=4099)
    pred = rng.normal(size=(4099, 1000)).astype(np.float32)
    runs = [(to_host(native("sparse_categorical_crossentropy", [labels, pred], (True,), "cuda")),
             to_host(native("sparse_categorical_crossentropy_backward", [labels, pred], (True,), "cuda", 1.0)))
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("loss", [losses.SparseCategoricalCrossentropy(from_logits=True),
                                  losses.CategoricalCrossentropy(), losses.MeanSquaredError()])
def test_loss_objects_backpropagate_on_cuda(loss):
    rng = np.random.default_rng(11)
    pred = rng.uniform(0.1, 1.0, size=(6, 5)).astype(np.float32)
    target = rng.integers(0, 5, size=6) if isinstance(loss, losses.SparseCategoricalCrossentropy) else \
        rng.dirichlet(np.ones(5), size=6).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        p = on_device(pred, device, requires_grad=True)
        value = loss(on_device(target, device), p)
        value.backward()
        results[device] = (to_host(value), to_host(p.grad))
        assert p.grad.device == p.device
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-5)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], rtol=1e-5, atol=1e-7)
