"""CUDA batch norm against the CPU kernels (the oracle): training forward (y, the saved mean and
inv_std, and the moving statistics after several steps), inference forward, and the backward (dx,
dgamma, dbeta, with and without batch statistics, gamma/beta optional), over channels-first and
channels-last layouts, odd sizes, more rows than one row range of the column passes, data with a
large mean (the shifted sums), mixed devices and determinism."""
import numpy as np
import pytest

import ironnet
from ironnet import _C
from cuda_parity import assert_grads_match, on_device, to_host

pytestmark = pytest.mark.cuda

# (x shape, axis): channels last and first, one element per channel, several row ranges (outer > 64,
# not a multiple of it), a 5-D input, and inner sizes that are not multiples of the 32-column tile.
CASES = [((8, 5), -1), ((1, 3), 1), ((4, 3, 5, 7), 1), ((4, 5, 7, 3), -1), ((2, 70, 3), 1), ((300, 37), -1),
         ((130, 2, 9), 1), ((3, 2, 4, 5, 6), 2), ((1031, 1), 1), ((2, 1, 33), 1)]
MOMENTUM, EPSILON = 0.9, 1e-3


def channels(shape, axis):
    return shape[axis]


def make(rng, shape, axis, mean=0.0):
    c = channels(shape, axis)
    x = (rng.normal(size=shape) * 2.0 + mean).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, size=c).astype(np.float32)
    beta = rng.normal(size=c).astype(np.float32)
    return x, gamma, beta


def impl_or_none(array, device):
    return None if array is None else on_device(array, device)._impl


def host(impl):
    return None if impl is None else to_host(ironnet.Tensor(impl))


def close(cuda, cpu, rtol, what):
    if cpu is None:
        assert cuda is None, what
        return
    atol = 1e-6 * max(float(np.abs(cpu).max()), 1.0) if cpu.size else 0.0
    np.testing.assert_allclose(cuda, cpu, rtol=rtol, atol=atol, err_msg=what)


def train_steps(device, xs, gamma, beta, axis):
    """Several training forwards on one pair of moving statistics; the outputs of each step."""
    c = channels(xs[0].shape, axis)
    mm = on_device(np.zeros(c, np.float32), device)._impl
    mv = on_device(np.ones(c, np.float32), device)._impl
    steps = []
    for x in xs:
        y, mean, inv_std = _C.batch_norm_train(on_device(x, device)._impl, impl_or_none(gamma, device),
                                               impl_or_none(beta, device), mm, mv, axis, MOMENTUM, EPSILON)
        steps.append([host(y), host(mean), host(inv_std), host(mm), host(mv)])
    return steps


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape,axis", CASES)
def test_training_forward_and_moving_statistics_match_cpu(shape, axis, affine):
    rng = np.random.default_rng(1)
    xs = [make(rng, shape, axis, mean=float(step))[0] for step in range(3)]
    _, gamma, beta = make(rng, shape, axis)
    if not affine:
        gamma = beta = None
    cpu, cuda = train_steps("cpu", xs, gamma, beta, axis), train_steps("cuda", xs, gamma, beta, axis)
    for step, (c, g) in enumerate(zip(cpu, cuda)):
        for name, a, b in zip(("y", "mean", "inv_std", "moving_mean", "moving_variance"), g, c):
            close(a, b, 1e-5, f"step {step} {name}")


def test_large_mean_keeps_the_variance():
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(257, 6)) + 1000.0).astype(np.float32)  # mean >> std: E[x^2] - E[x]^2 would fail
    cpu, cuda = train_steps("cpu", [x], None, None, -1), train_steps("cuda", [x], None, None, -1)
    for name, a, b in zip(("y", "mean", "inv_std", "moving_mean", "moving_variance"), cuda[0], cpu[0]):
        close(a, b, 1e-5, name)


@pytest.mark.parametrize("shape,axis", CASES)
def test_inference_forward_matches_cpu(shape, axis):
    rng = np.random.default_rng(4)
    x, gamma, beta = make(rng, shape, axis)
    c = channels(shape, axis)
    mm = rng.normal(size=c).astype(np.float32)
    mv = rng.uniform(0.1, 3.0, size=c).astype(np.float32)
    for g, b in ((gamma, beta), (None, None), (gamma, None)):
        out = {d: host(_C.batch_norm_inference(on_device(x, d)._impl, impl_or_none(g, d), impl_or_none(b, d),
                                               on_device(mm, d)._impl, on_device(mv, d)._impl, axis, EPSILON))
               for d in ("cpu", "cuda")}
        close(out["cuda"], out["cpu"], 1e-5, "inference y")


@pytest.mark.parametrize("needs", [(True, True, True), (True, False, False), (False, True, True), (False, False, True)])
@pytest.mark.parametrize("batch_statistics", [True, False])
@pytest.mark.parametrize("shape,axis", CASES)
def test_backward_matches_cpu(shape, axis, batch_statistics, needs):
    rng = np.random.default_rng(5)
    x, gamma, _ = make(rng, shape, axis, mean=3.0)
    dy = rng.normal(size=shape).astype(np.float32)
    c = channels(shape, axis)
    mean = (rng.normal(size=c) + 3.0).astype(np.float32)
    inv_std = rng.uniform(0.3, 1.0, size=c).astype(np.float32)
    for g in (gamma, None):
        out = {}
        for d in ("cpu", "cuda"):
            grads = _C.batch_norm_backward(on_device(dy, d)._impl, on_device(x, d)._impl, on_device(mean, d)._impl,
                                           on_device(inv_std, d)._impl, impl_or_none(g, d), axis, batch_statistics,
                                           *needs)
            out[d] = [host(t) for t in grads]
        for name, a, b in zip(("dx", "dgamma", "dbeta"), out["cuda"], out["cpu"]):
            close(a, b, 1e-4, f"{name} (gamma={'yes' if g is not None else 'no'})")


@pytest.mark.parametrize("training", [True, False])
def test_functional_op_backpropagates_on_cuda(training):
    """ops.normalization.batch_norm through autograd: the gradients reaching x, gamma and beta."""
    from ironnet.ops import normalization

    rng = np.random.default_rng(6)
    x, gamma, beta = make(rng, (6, 4, 3, 5), 1)
    moving_variance = rng.uniform(0.5, 2.0, size=4).astype(np.float32)

    def bn(x, gamma, beta):
        mm = on_device(np.zeros(4, np.float32), x.device)
        mv = on_device(moving_variance, x.device)
        return normalization.batch_norm(x, gamma, beta, mm, mv, training=training, momentum=MOMENTUM,
                                        epsilon=EPSILON, axis=1)

    assert_grads_match(bn, [x, gamma, beta], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["x", "gamma", "moving_mean"])
def test_mixed_devices_are_refused(name):
    arrays = dict(x=np.zeros((4, 3), np.float32), gamma=np.ones(3, np.float32), moving_mean=np.zeros(3, np.float32))
    t = {k: on_device(v, "cpu" if k == name else "cuda")._impl for k, v in arrays.items()}
    mv = on_device(np.ones(3, np.float32), "cuda")._impl
    with pytest.raises(ValueError, match=r"^batch_norm: tensors are on different devices: .*on cpu"):
        _C.batch_norm_train(t["x"], t["gamma"], None, t["moving_mean"], mv, -1, MOMENTUM, EPSILON)


def test_training_forward_is_deterministic():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(512, 16, 8, 8)).astype(np.float32)
    runs = [train_steps("cuda", [x], None, None, 1)[0] for _ in range(2)]
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
