"""ops.batch_norm (Keras 3 BatchNormalization semantics): native float32 training and inference
forward and backward against the float64 references in tests/reference/batchnorm_ref.py (themselves
checked by finite differences), on every CPU ISA path and 1 and 2 threads; PyTorch as a second oracle."""
import numpy as np
import pytest

import ironnet
from ironnet import _C, ops
from reference import batchnorm_ref as ref
from reference.matmul_grad_ref import finite_difference

RTOL, ATOL = 1e-4, 1e-5

# (shape, axis): dense (N, C), NHWC, axis=1 on NCHW-like data, C = 1, 3, 17, 64, a batch of one with
# H*W > 1, the normalized axis first, and sizes large enough (> 2 * 65536 elements) to use two threads.
# Channels-last C = 48 and 200 take every register-block width of each ISA (8, 4, 2, 1 vectors) and a
# scalar tail (batchnorm_rows.h).
CASES = [
    ((7, 3), -1),
    ((13, 1), -1),
    ((5, 4, 6, 17), -1),
    ((1, 5, 5, 3), -1),
    ((64, 33, 5, 64), -1),
    ((3, 5, 7, 48), -1),
    ((9, 7, 200), -1),
    ((2, 64, 5, 7), 1),
    ((8, 17, 40, 40), 1),
    ((3, 1, 11), 1),
    ((4, 3), 0),
    ((6, 5, 9), -2),
]


def t(a, requires_grad=False):
    return ironnet.tensor(np.ascontiguousarray(a, np.float32), requires_grad=requires_grad)


def params(rng, c):
    gamma = (1 + 0.5 * rng.standard_normal(c)).astype(np.float32)
    beta = rng.standard_normal(c).astype(np.float32)
    return gamma, beta


def moving(rng, c):
    return rng.standard_normal(c).astype(np.float32), (0.5 + rng.random(c)).astype(np.float32)


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("training", [True, False])
def test_reference_matches_finite_differences(rng, training, axis):
    x = rng.standard_normal((3, 4, 2))
    g = rng.standard_normal(x.shape)
    c = x.shape[axis]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    mm, mv = rng.standard_normal(c), 0.5 + rng.random(c)
    if training:
        f = lambda xv, gv, bv: ref.train_forward(xv, gv, bv, 1e-3, axis)[0]  # noqa: E731
        dx, dgamma, dbeta = ref.train_vjp(x, gamma, g, 1e-3, axis)
    else:
        f = lambda xv, gv, bv: ref.normalize(xv, mm, mv, gv, bv, 1e-3, axis)  # noqa: E731
        dx, dgamma, dbeta = ref.inference_vjp(x, gamma, mm, mv, g, 1e-3, axis)
    np.testing.assert_allclose(dx, finite_difference(lambda v: np.sum(g * f(v, gamma, beta)), x.copy()), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(dgamma, finite_difference(lambda v: np.sum(g * f(x, v, beta)), gamma.copy()),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dbeta, finite_difference(lambda v: np.sum(g * f(x, gamma, v)), beta.copy()),
                               rtol=1e-6, atol=1e-8)


def run_training(x_np, gamma, beta, mm, mv, g_np, axis, momentum=0.99, epsilon=1e-3):
    """ironnet's training forward + backward: (y, dx, dgamma, dbeta, moving_mean, moving_variance)."""
    x = t(x_np, requires_grad=True)
    gt = None if gamma is None else t(gamma, requires_grad=True)
    bt = None if beta is None else t(beta, requires_grad=True)
    mmt, mvt = t(mm), t(mv)
    y = ops.batch_norm(x, gt, bt, mmt, mvt, training=True, momentum=momentum, epsilon=epsilon, axis=axis)
    y.backward(t(g_np))
    return (y.numpy(), x.grad.numpy(), None if gt is None else gt.grad.numpy(),
            None if bt is None else bt.grad.numpy(), mmt.numpy(), mvt.numpy())


def scale_of(a):
    return float(np.max(np.abs(a))) if a.size else 1.0


@pytest.mark.parametrize("shape,axis", CASES, ids=[f"{s}-axis{a}" for s, a in CASES])
def test_training_matches_reference(rng, cpu_isa, num_threads, shape, axis):
    x = (2 + 3 * rng.standard_normal(shape)).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    c = shape[axis]
    gamma, beta = params(rng, c)
    mm, mv = moving(rng, c)
    y, dx, dgamma, dbeta, mm_new, mv_new = run_training(x, gamma, beta, mm, mv, g, axis, momentum=0.9)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    y_ref, mean, var = ref.train_forward(x64, gamma, beta, 1e-3, axis)
    dx_ref, dgamma_ref, dbeta_ref = ref.train_vjp(x64, gamma, g64, 1e-3, axis)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL * scale_of(y_ref))
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL * scale_of(dx_ref))
    np.testing.assert_allclose(dgamma, dgamma_ref, rtol=RTOL, atol=ATOL * scale_of(dgamma_ref))
    np.testing.assert_allclose(dbeta, dbeta_ref, rtol=RTOL, atol=ATOL * scale_of(dbeta_ref))
    np.testing.assert_allclose(mm_new, ref.moving_update(mm, mean, 0.9), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mv_new, ref.moving_update(mv, var, 0.9), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape,axis", [((7, 3), -1), ((64, 33, 5, 64), -1), ((8, 17, 40, 40), 1)])
def test_inference_matches_reference_and_leaves_moving_statistics(rng, cpu_isa, num_threads, shape, axis):
    x = (2 + 3 * rng.standard_normal(shape)).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    c = shape[axis]
    gamma, beta = params(rng, c)
    mm, mv = moving(rng, c)
    xt, gt, bt, mmt, mvt = t(x, True), t(gamma, True), t(beta, True), t(mm), t(mv)
    y = ops.batch_norm(xt, gt, bt, mmt, mvt, training=False, axis=axis)
    y.backward(t(g))
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    y_ref = ref.normalize(x64, mm, mv, gamma, beta, 1e-3, axis)
    dx_ref, dgamma_ref, dbeta_ref = ref.inference_vjp(x64, gamma, mm, mv, g64, 1e-3, axis)
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=RTOL, atol=ATOL * scale_of(y_ref))
    np.testing.assert_allclose(xt.grad.numpy(), dx_ref, rtol=RTOL, atol=ATOL * scale_of(dx_ref))
    np.testing.assert_allclose(gt.grad.numpy(), dgamma_ref, rtol=RTOL, atol=ATOL * scale_of(dgamma_ref))
    np.testing.assert_allclose(bt.grad.numpy(), dbeta_ref, rtol=RTOL, atol=ATOL * scale_of(dbeta_ref))
    np.testing.assert_array_equal(mmt.numpy(), mm)
    np.testing.assert_array_equal(mvt.numpy(), mv)


@pytest.mark.parametrize("shape,axis", [((4096, 17), -1), ((700, 200), -1), ((16, 3, 50, 50), 1)])
def test_large_mean_keeps_the_variance(rng, cpu_isa, num_threads, shape, axis):
    # E[x^2] - E[x]^2 in float32 would lose every digit of a unit variance under a mean of 1000.
    x = (1000 + rng.standard_normal(shape)).astype(np.float32)
    c = shape[axis]
    gamma, beta = params(rng, c)
    g = rng.standard_normal(shape).astype(np.float32)
    y, dx, dgamma, _, _, mv_new = run_training(x, gamma, beta, np.zeros(c, np.float32), np.zeros(c, np.float32), g,
                                               axis, momentum=0.0)
    x64 = x.astype(np.float64)
    y_ref, _, var = ref.train_forward(x64, gamma, beta, 1e-3, axis)
    dx_ref, dgamma_ref, _ = ref.train_vjp(x64, gamma, g.astype(np.float64), 1e-3, axis)
    np.testing.assert_allclose(mv_new, var, rtol=1e-5)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL * scale_of(y_ref))
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL * scale_of(dx_ref))
    np.testing.assert_allclose(dgamma, dgamma_ref, rtol=RTOL, atol=ATOL * scale_of(dgamma_ref))


@pytest.mark.parametrize("channels", [64, 63])
def test_large_channels_last_output_streamed_or_not_matches_reference(rng, cpu_isa, num_threads, channels):
    # >= 8 MiB of output: C = 64 takes the streaming stores (batchnorm_rows.h), C = 63 the normal ones.
    shape = (2200, 16, channels)
    x = (3 + rng.standard_normal(shape)).astype(np.float32)
    gamma, beta = params(rng, channels)
    g = rng.standard_normal(shape).astype(np.float32)
    y, dx, dgamma, dbeta, _, _ = run_training(x, gamma, beta, np.zeros(channels, np.float32),
                                              np.ones(channels, np.float32), g, -1)
    x64 = x.astype(np.float64)
    y_ref, _, _ = ref.train_forward(x64, gamma, beta, 1e-3, -1)
    dx_ref, dgamma_ref, dbeta_ref = ref.train_vjp(x64, gamma, g.astype(np.float64), 1e-3, -1)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL * scale_of(y_ref))
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL * scale_of(dx_ref))
    np.testing.assert_allclose(dgamma, dgamma_ref, rtol=RTOL, atol=ATOL * scale_of(dgamma_ref))
    np.testing.assert_allclose(dbeta, dbeta_ref, rtol=RTOL, atol=ATOL * scale_of(dbeta_ref))


def test_single_value_per_channel_gives_beta_and_no_nan(rng):
    x = rng.standard_normal((1, 5)).astype(np.float32)
    gamma, beta = params(rng, 5)
    g = rng.standard_normal((1, 5)).astype(np.float32)
    y, dx, dgamma, dbeta, mm, mv = run_training(x, gamma, beta, np.zeros(5, np.float32), np.ones(5, np.float32), g, -1)
    np.testing.assert_array_equal(y, beta[None, :])
    np.testing.assert_allclose(dx, 0.0, atol=1e-6)  # dy minus its own mean
    np.testing.assert_allclose(dgamma, 0.0, atol=1e-6)
    np.testing.assert_allclose(dbeta, g[0], rtol=1e-6)
    np.testing.assert_allclose(mm, 0.01 * x[0], rtol=1e-5)
    np.testing.assert_allclose(mv, 0.99, rtol=1e-6)


@pytest.mark.parametrize("center,scale", [(False, True), (True, False), (False, False)])
def test_center_and_scale_off(rng, center, scale):
    shape = (9, 4, 6)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    gamma, beta = params(rng, 6)
    gamma, beta = (gamma if scale else None), (beta if center else None)
    y, dx, dgamma, dbeta, _, _ = run_training(x, gamma, beta, np.zeros(6, np.float32), np.ones(6, np.float32), g, -1)
    x64 = x.astype(np.float64)
    y_ref, _, _ = ref.train_forward(x64, gamma, beta)
    dx_ref, dgamma_ref, dbeta_ref = ref.train_vjp(x64, gamma, g.astype(np.float64))
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    assert (dgamma is None) == (not scale) and (dbeta is None) == (not center)
    if scale:
        np.testing.assert_allclose(dgamma, dgamma_ref, rtol=RTOL, atol=ATOL)
    if center:
        np.testing.assert_allclose(dbeta, dbeta_ref, rtol=RTOL, atol=ATOL)


def test_moving_statistics_follow_keras_formula_over_steps(rng):
    c, momentum = 8, 0.99
    mm, mv = np.zeros(c, np.float32), np.ones(c, np.float32)  # Keras's initial values
    mmt, mvt = t(mm), t(mv)
    for _ in range(3):
        x = (5 + 2 * rng.standard_normal((32, c))).astype(np.float32)
        y, mean, inv_std = _C.batch_norm_train(t(x)._impl, None, None, mmt._impl, mvt._impl, -1, momentum, 1e-3)
        _, mean_ref, var_ref = ref.train_forward(x.astype(np.float64), None, None)
        np.testing.assert_allclose(np.asarray(mean), mean_ref, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(inv_std), 1 / np.sqrt(var_ref + 1e-3), rtol=1e-5)
        # The update itself is float32 arithmetic on the batch statistics, as in Keras.
        mm = mm * np.float32(momentum) + np.asarray(mean) * np.float32(1 - momentum)
        mv = mv * np.float32(momentum) + var_ref.astype(np.float32) * np.float32(1 - momentum)
        np.testing.assert_array_max_ulp(mmt.numpy(), mm, maxulp=1)  # 1 ulp: the compiler may fuse to an FMA
        np.testing.assert_allclose(mvt.numpy(), mv, rtol=1e-6)  # var's own error (~1e-6) enters times 0.01


def test_results_agree_across_thread_counts_and_strided_input(rng):
    x = rng.standard_normal((300, 7, 64)).astype(np.float32)
    previous = ironnet.get_num_threads()
    outs = []
    try:
        for threads in (1, 2):
            ironnet.set_num_threads(threads)
            outs.append(run_training(x, None, None, np.zeros(64, np.float32), np.ones(64, np.float32), x, -1)[:2])
    finally:
        ironnet.set_num_threads(previous)
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    rows = x.reshape(-1, 64)
    strided = ironnet.tensor(np.ascontiguousarray(rows.T)).T  # x's values as (2100, 64), non-contiguous
    assert not strided._impl.is_contiguous()
    y = ops.batch_norm(strided, None, None, t(np.zeros(64)), t(np.ones(64)), training=True)
    np.testing.assert_allclose(y.numpy(), outs[0][0].reshape(-1, 64), rtol=1e-5, atol=1e-6)


def test_autograd_through_a_small_graph(rng):
    # loss = sum(batch_norm(x @ w) * c): gradients reach w through the batch statistics; x needs none.
    x_np = rng.standard_normal((10, 6)).astype(np.float32)
    w_np = rng.standard_normal((6, 4)).astype(np.float32)
    c_np = rng.standard_normal((10, 4)).astype(np.float32)
    gamma, beta = params(rng, 4)
    w, gt, bt = t(w_np, True), t(gamma, True), t(beta, True)
    h = ops.matmul(t(x_np), w)
    loss = ops.sum(ops.mul(ops.batch_norm(h, gt, bt, t(np.zeros(4)), t(np.ones(4)), training=True), t(c_np)))
    loss.backward()
    h64 = x_np.astype(np.float64) @ w_np.astype(np.float64)
    dh, dgamma, dbeta = ref.train_vjp(h64, gamma, c_np.astype(np.float64))
    np.testing.assert_allclose(w.grad.numpy(), x_np.T.astype(np.float64) @ dh, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(gt.grad.numpy(), dgamma, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(bt.grad.numpy(), dbeta, rtol=RTOL, atol=ATOL)


def test_backward_computes_only_what_is_needed(rng):
    x = rng.standard_normal((6, 3)).astype(np.float32)
    mean, inv_std = t(x.mean(0)), t(1 / np.sqrt(x.var(0) + 1e-3))
    dx, dgamma, dbeta = _C.batch_norm_backward(t(x)._impl, t(x)._impl, mean._impl, inv_std._impl, None, -1, True,
                                               False, True, False)
    assert dx is None and dbeta is None and dgamma is not None
    # Only gamma requires grad: x's gradient is never asked for.
    gt = t(np.ones(3), True)
    y = ops.batch_norm(t(x), gt, None, t(np.zeros(3)), t(np.ones(3)), training=True)
    y.backward(t(x))
    np.testing.assert_allclose(gt.grad.numpy(), ref.train_vjp(x.astype(np.float64), None, x.astype(np.float64))[1],
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("training", [True, False])
def test_against_torch(rng, training):
    torch = pytest.importorskip("torch")
    n, c, h, w = 4, 5, 6, 7
    x = (3 + 2 * rng.standard_normal((n, c, h, w))).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    gamma, beta = params(rng, c)
    mm, mv = moving(rng, c)
    # ironnet on NCHW with axis=1.
    xt, gt, bt, mmt, mvt = t(x, True), t(gamma, True), t(beta, True), t(mm), t(mv)
    y = ops.batch_norm(xt, gt, bt, mmt, mvt, training=training, momentum=0.99, epsilon=1e-3, axis=1)
    y.backward(t(g))
    # PyTorch: momentum is the weight of the new statistic (1 - Keras's), running_var is unbiased.
    xp = torch.tensor(x, requires_grad=True)
    gp, bp = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    rm, rv = torch.tensor(mm), torch.tensor(mv)
    yp = torch.nn.functional.batch_norm(xp, rm, rv, gp, bp, training=training, momentum=0.01, eps=1e-3)
    yp.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), yp.detach().numpy(), rtol=RTOL, atol=ATOL * 10)
    np.testing.assert_allclose(xt.grad.numpy(), xp.grad.numpy(), rtol=RTOL, atol=ATOL * 10)
    np.testing.assert_allclose(gt.grad.numpy(), gp.grad.numpy(), rtol=RTOL, atol=ATOL * 10)
    np.testing.assert_allclose(bt.grad.numpy(), bp.grad.numpy(), rtol=RTOL, atol=ATOL * 10)
    np.testing.assert_allclose(mmt.numpy(), rm.numpy(), rtol=1e-5, atol=1e-6)
    count = n * h * w
    unbiased_step = (rv.numpy() - 0.99 * mv) / 0.01  # the unbiased batch variance PyTorch moved toward
    expected_mv = 0.99 * mv + 0.01 * unbiased_step * (count - 1) / count if training else mv
    np.testing.assert_allclose(mvt.numpy(), expected_mv, rtol=1e-5, atol=1e-6)


def test_errors():
    x = t(np.ones((4, 3)))
    ones, zeros = t(np.ones(3)), t(np.zeros(3))

    def train(xx=x, gamma=ones, beta=zeros, mm=None, mv=None, momentum=0.99, epsilon=1e-3, axis=-1):
        mm = t(np.zeros(3)) if mm is None else mm
        mv = t(np.ones(3)) if mv is None else mv
        return ops.batch_norm(xx, gamma, beta, mm, mv, training=True, momentum=momentum, epsilon=epsilon, axis=axis)

    with pytest.raises(TypeError, match=r"^batch_norm: x must be float32, got int64 \(4, 3\)"):
        train(xx=ironnet.tensor(np.ones((4, 3), np.int64)))
    with pytest.raises(ValueError, match=r"^batch_norm: x must have rank >= 2 .*got \(3,\)"):
        train(xx=t(np.ones(3)))
    with pytest.raises(ValueError, match=r"^batch_norm: axis 2 is out of range for x \(4, 3\) of rank 2"):
        train(axis=2)
    with pytest.raises(ValueError, match=r"^batch_norm: axis -3 is out of range"):
        train(axis=-3)
    with pytest.raises(ValueError, match=r"^batch_norm: gamma must have shape \(3,\) to match axis -1 of x \(4, 3\), "
                                         r"got \(4,\)"):
        train(gamma=t(np.ones(4)))
    with pytest.raises(ValueError, match=r"^batch_norm: beta must have shape \(3,\) .*got \(1, 3\)"):
        train(beta=t(np.ones((1, 3))))
    with pytest.raises(ValueError, match=r"^batch_norm: moving_mean must have shape \(3,\) .*got \(2,\)"):
        train(mm=t(np.zeros(2)))
    with pytest.raises(ValueError, match=r"^batch_norm: moving_variance must have shape \(4,\) to match axis 0"):
        train(axis=0, gamma=None, beta=None, mm=t(np.zeros(4)))
    with pytest.raises(ValueError, match=r"^batch_norm: moving_variance is updated in place and must be contiguous"):
        train(mv=ironnet.from_numpy(np.ones(6, np.float32)[::2]))
    with pytest.raises(ValueError, match=r"^batch_norm: momentum must be in \[0, 1\], got 1.5"):
        train(momentum=1.5)
    with pytest.raises(ValueError, match=r"^batch_norm: epsilon must be a finite number > 0, got 0"):
        train(epsilon=0.0)
    with pytest.raises(ValueError, match=r"^batch_norm: epsilon must be a finite number > 0, got -1"):
        ops.batch_norm(x, None, None, zeros, ones, training=False, epsilon=-1.0)
    with pytest.raises(ValueError, match=r"^batch_norm: training needs at least one value per channel .*\(0, 3\)"):
        train(xx=t(np.ones((0, 3))))
    with pytest.raises(TypeError, match=r"^batch_norm: moving_mean must be float32, got int64 \(3,\)"):
        ops.batch_norm(x, None, None, ironnet.tensor(np.zeros(3, np.int64)), ones, training=False)
    mean, inv = t(np.zeros(3))._impl, t(np.ones(3))._impl
    with pytest.raises(ValueError, match=r"^batch_norm_backward: dy \(3, 4\) and x \(4, 3\) must have the same shape"):
        _C.batch_norm_backward(t(np.ones((3, 4)))._impl, x._impl, mean, inv, None, -1, True, True, True, True)
    with pytest.raises(ValueError, match=r"^batch_norm_backward: inv_std must have shape \(3,\) .*got \(2,\)"):
        _C.batch_norm_backward(x._impl, x._impl, mean, t(np.ones(2))._impl, None, -1, True, True, True, True)


def test_inference_on_an_empty_batch(rng):
    y = ops.batch_norm(t(np.ones((0, 3))), None, None, t(np.zeros(3)), t(np.ones(3)), training=False)
    assert y.shape == (0, 3)
