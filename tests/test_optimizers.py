"""ironnet.optimizers against float64 references of Keras 3's formulas (one step to 1e-6, then
several steps), PyTorch where the formulas coincide, schedules, a custom training loop, and errors."""
import numpy as np
import pytest
import torch

import ironnet
from ironnet import optimizers
from ironnet.optimizers import schedules
from reference import optimizers_ref as ref

SHAPES = [(1,), (7,), (13, 5), (300, 257)]  # the last is big enough for two threads


def params(rng, shapes):
    ws = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    gs = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    return ws, gs


def run(opt, ws, gs_per_step):
    weights = [ironnet.tensor(w, requires_grad=True) for w in ws]
    for gs in gs_per_step:
        opt.apply([ironnet.tensor(g) for g in gs], weights)
    return [w.numpy() for w in weights]


def run_ref(step, ws, gs_per_step, lrs, **kwargs):
    """The reference over several steps; `lrs[i]` is the rate of step i; clipping kwargs go first."""
    clip = {k: kwargs.pop(k) for k in ("clipnorm", "clipvalue", "global_clipnorm") if k in kwargs}
    ws = [w.astype(np.float64) for w in ws]
    states = [{} for _ in ws]
    for t, gs in enumerate(gs_per_step, start=1):
        gs = ref.transform_grads(gs, **clip)
        for i, (w, g) in enumerate(zip(ws, gs)):
            extra = {"t": t} if step is ref.adam_step else {}
            ws[i], states[i] = step(w, g, states[i], lrs[t - 1], **extra, **kwargs)
    return ws


CASES = [
    (optimizers.SGD, ref.sgd_step, dict(learning_rate=0.1)),
    (optimizers.SGD, ref.sgd_step, dict(learning_rate=0.1, momentum=0.9)),
    (optimizers.SGD, ref.sgd_step, dict(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optimizers.RMSprop, ref.rmsprop_step, dict(learning_rate=0.01)),
    (optimizers.RMSprop, ref.rmsprop_step, dict(learning_rate=0.01, rho=0.8, momentum=0.5, weight_decay=0.1)),
    (optimizers.Adam, ref.adam_step, dict(learning_rate=0.01)),
    (optimizers.Adam, ref.adam_step, dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
    (optimizers.AdamW, ref.adam_step, dict(learning_rate=0.01)),  # weight_decay 0.004 by default
]
CLIPPING = [{}, {"clipnorm": 0.5}, {"clipvalue": 0.3}, {"global_clipnorm": 1.0}]


def ref_kwargs(cls, kwargs, clip):
    out = {k: v for k, v in kwargs.items() if k != "learning_rate"}
    if cls is optimizers.AdamW:
        out["weight_decay"] = 0.004
    return {**out, **clip}


@pytest.mark.parametrize("cls,step,kwargs", CASES)
@pytest.mark.parametrize("clip", CLIPPING, ids=lambda c: next(iter(c), "noclip"))
def test_one_step_matches_keras_formula(rng, cpu_isa, num_threads, cls, step, kwargs, clip):
    ws, gs = params(rng, SHAPES)
    got = run(cls(**kwargs, **clip), ws, [gs])
    want = run_ref(step, ws, [gs], [kwargs["learning_rate"]], **ref_kwargs(cls, kwargs, clip))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-6)


@pytest.mark.parametrize("cls,step,kwargs", CASES)
def test_five_steps_keep_state(rng, cls, step, kwargs):
    ws, _ = params(rng, SHAPES[:3])
    steps = [params(rng, SHAPES[:3])[1] for _ in range(5)]
    opt = cls(**kwargs)
    got = run(opt, ws, steps)
    want = run_ref(step, ws, steps, [kwargs["learning_rate"]] * 5, **ref_kwargs(cls, kwargs, {}))
    assert opt.iterations == 5
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=2e-6)


def torch_run(opt_factory, ws, steps):
    tw = [torch.tensor(w, requires_grad=True) for w in ws]
    opt = opt_factory(tw)
    for gs in steps:
        for p, g in zip(tw, gs):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in tw]


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_agrees_with_pytorch(rng, nesterov):
    """Keras's velocity is -lr times PyTorch's, so with a constant rate the weights agree."""
    ws, _ = params(rng, SHAPES[:3])
    steps = [params(rng, SHAPES[:3])[1] for _ in range(5)]
    got = run(optimizers.SGD(0.05, momentum=0.9, nesterov=nesterov), ws, steps)
    want = torch_run(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=nesterov), ws, steps)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_adam_agrees_with_pytorch_when_epsilon_vanishes(rng):
    """The two place epsilon differently; with a negligible one the formulas are the same."""
    ws, _ = params(rng, SHAPES[:3])
    steps = [params(rng, SHAPES[:3])[1] for _ in range(5)]
    got = run(optimizers.Adam(0.01, epsilon=1e-30), ws, steps)
    want = torch_run(lambda p: torch.optim.Adam(p, lr=0.01, eps=1e-30), ws, steps)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_schedules():
    exp = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stair = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert exp(0) == pytest.approx(0.1) and exp(5) == pytest.approx(0.1 * 0.5**0.5) and exp(20) == pytest.approx(0.025)
    assert stair(9) == pytest.approx(0.1) and stair(10) == pytest.approx(0.05) and stair(25) == pytest.approx(0.025)
    pw = schedules.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    assert [pw(s) for s in range(6)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]


def test_a_scheduled_rate_is_read_per_update(rng):
    ws, _ = params(rng, [(4,)])
    steps = [params(rng, [(4,)])[1] for _ in range(4)]
    sched = schedules.PiecewiseConstantDecay([1], [0.1, 0.01])
    opt = optimizers.SGD(sched)
    got = run(opt, ws, steps)
    want = run_ref(ref.sgd_step, ws, steps, [0.1, 0.1, 0.01, 0.01])
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    assert opt.learning_rate == pytest.approx(0.01)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw"])
def test_custom_loop_minimizes_a_quadratic(rng, name):
    """loss = w^T A w (A symmetric positive definite) through autograd, then opt.apply: w -> 0."""
    m = rng.standard_normal((6, 6))
    a = ironnet.tensor(m @ m.T / 6 + np.eye(6))
    w = ironnet.tensor(rng.standard_normal((6, 1)), requires_grad=True)
    opt = optimizers.get(name)
    opt.learning_rate = 0.05
    start = float((w.T @ a @ w).numpy()[0, 0])
    for _ in range(300):
        loss = w.T @ a @ w
        w.grad = None
        loss.backward()
        opt.apply([w.grad], [w])
    assert float((w.T @ a @ w).numpy()[0, 0]) < 1e-2 * start


def test_none_gradients_are_skipped(rng):
    ws, gs = params(rng, [(3,), (2,)])
    weights = [ironnet.tensor(w) for w in ws]
    optimizers.SGD(0.1).apply([ironnet.tensor(gs[0]), None], weights)
    np.testing.assert_array_equal(weights[1].numpy(), ws[1])
    assert not np.array_equal(weights[0].numpy(), ws[0])


def test_errors(rng):
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="clipnorm must be positive"):
        optimizers.SGD(clipnorm=0.0)
    with pytest.raises(ValueError, match=r"SGD: momentum must be in \[0, 1\]"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        optimizers.get("adagrad")
    w = ironnet.tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"Adam.apply: 1 gradients for 2 weights"):
        optimizers.Adam().apply([w], [w, w])
    with pytest.raises(ValueError, match=r"gradient \(3, 2\) does not match its weight \(2, 3\)"):
        optimizers.Adam().apply([ironnet.tensor(np.zeros((3, 2), np.float32))], [w])
    with pytest.raises(TypeError, match="sgd_update_multi_: the weight must be float32, got int64"):
        optimizers.SGD().apply([ironnet.tensor([1, 2])], [ironnet.tensor([1, 2])])
    with pytest.raises(ValueError, match="need one more value than boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [0.1])
    with pytest.raises(ValueError, match=r"boundaries must increase, got \[3, 2\]"):
        schedules.PiecewiseConstantDecay([3, 2], [0.1, 0.2, 0.3])
