"""CUDA optimizer updates against the CPU kernels: SGD (plain, momentum, nesterov), RMSprop (with and
without momentum), Adam/AdamW, all through the multi-tensor launch (more tensors than one launch's table),
with weight decay, clipvalue, clipnorm and global_clipnorm (sum_of_squares on the GPU), over several
steps and many tensors of awkward sizes; results equal to the CPU's to float32 rounding (the only
difference allowed is where a compiler fuses a multiply-add)."""
import numpy as np
import pytest

import ironnet
from ironnet import _C, optimizers
from cuda_parity import on_device, to_host

pytestmark = pytest.mark.cuda

SIZES = [1, 7, 2047, 2048, 2049, 4099, 100003, (3, 5, 7), (64, 129)]
RTOL, ATOL = 2e-6, 1e-7

CONFIGS = [
    lambda: optimizers.SGD(learning_rate=0.05),
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda: optimizers.SGD(learning_rate=0.05, clipvalue=0.3),
    lambda: optimizers.RMSprop(learning_rate=0.01),
    lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, weight_decay=0.02),
    lambda: optimizers.RMSprop(learning_rate=0.01, clipnorm=1.0),
    lambda: optimizers.Adam(learning_rate=0.01),
    lambda: optimizers.Adam(learning_rate=0.01, weight_decay=0.01, clipvalue=0.5),
    lambda: optimizers.Adam(learning_rate=0.01, global_clipnorm=1.0),
    lambda: optimizers.AdamW(learning_rate=0.01),
]


def shapes(count):
    return [(s,) if isinstance(s, int) else s for s in (SIZES * (count // len(SIZES) + 1))[:count]]


def run_steps(make_optimizer, device, weights, grads_per_step):
    opt = make_optimizer()
    ws = [on_device(w, device) for w in weights]
    for grads in grads_per_step:
        opt.apply([on_device(g, device) for g in grads], ws)
    states = [to_host(s) for w in ws for s in opt._state_for(w)]
    return [to_host(w) for w in ws], states


@pytest.mark.parametrize("count", [3, 41])  # 41: two Adam launches (32 tensors per launch)
@pytest.mark.parametrize("config", range(len(CONFIGS)))
def test_updates_match_cpu_over_several_steps(config, count):
    rng = np.random.default_rng(config * 100 + count)
    sh = shapes(count)
    weights = [rng.uniform(-1, 1, s).astype(np.float32) for s in sh]
    grads = [[rng.uniform(-1, 1, s).astype(np.float32) for s in sh] for _ in range(4)]
    cpu = run_steps(CONFIGS[config], "cpu", weights, grads)
    cuda = run_steps(CONFIGS[config], "cuda", weights, grads)
    for kind, c_list, g_list in (("weight", cpu[0], cuda[0]), ("state", cpu[1], cuda[1])):
        for i, (c, g) in enumerate(zip(c_list, g_list)):
            np.testing.assert_allclose(g, c, rtol=RTOL, atol=ATOL, err_msg=f"{kind} {i}")
    assert not np.array_equal(cuda[0][-1], weights[-1])


HYPER = dict(lr=0.01, beta1=0.8, beta2=0.99, epsilon=1e-4, step=3, weight_decay=0.01, clip_value=0.7)


# Per optimizer: (multi call, single call for weight i) given w, g, s1, s2 lists of impls and scales.
def _sgd(multi, w, g, s1, s2, scales, i=None):
    common = dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01, clip_value=0.7)
    if multi:
        _C.sgd_update_multi_(w, g, s1, scales, **common)
    else:
        _C.sgd_update_(w[i], g[i], s1[i], common["lr"], 0.9, True, 0.01, scales[i], 0.7)


def _rmsprop(multi, w, g, s1, s2, scales, i=None):
    if multi:
        _C.rmsprop_update_multi_(w, g, s1, s2, scales, lr=0.01, rho=0.9, momentum=0.5, epsilon=1e-7,
                                 weight_decay=0.01, clip_value=0.7)
    else:
        _C.rmsprop_update_(w[i], g[i], s1[i], s2[i], 0.01, 0.9, 0.5, 1e-7, 0.01, scales[i], 0.7)


def _adam(multi, w, g, s1, s2, scales, i=None):
    if multi:
        _C.adam_update_multi_(w, g, s1, s2, scales, **HYPER)
    else:
        _C.adam_update_(w[i], g[i], s1[i], s2[i], HYPER["lr"], HYPER["beta1"], HYPER["beta2"], HYPER["epsilon"],
                        HYPER["step"], HYPER["weight_decay"], scales[i], HYPER["clip_value"])


@pytest.mark.parametrize("update", [_sgd, _rmsprop, _adam])
def test_multi_tensor_launch_equals_one_launch_per_weight(update):
    """Same kernel, same formula: one multi-tensor call (three launches) and one call per weight agree bit
    for bit on the GPU, and with the CPU to rounding."""
    rng = np.random.default_rng(5)
    sh = shapes(70)
    arrays = [[rng.uniform(lo, 1, s).astype(np.float32) for s in sh] for lo in (-1, -1, 0, 0)]  # w, g, s1, s2
    scales = [float(s) for s in rng.uniform(0.5, 1.0, len(sh))]
    results = {}
    for device, multi in (("cuda", True), ("cuda", False), ("cpu", True)):
        tensors = [[on_device(a, device) for a in group] for group in arrays]
        impl_lists = [[t._impl for t in group] for group in tensors]
        if multi:
            update(True, *impl_lists, scales)
        else:
            for i in range(len(sh)):
                update(False, *impl_lists, scales, i)
        results[(device, multi)] = [to_host(t) for group in (tensors[0], tensors[2], tensors[3]) for t in group]
    for a, b, c in zip(results[("cuda", True)], results[("cuda", False)], results[("cpu", True)]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("n", [0, 1, 255, 256 * 1024 + 3, 3_000_017])
def test_sum_of_squares_matches_cpu(n):
    x = np.random.default_rng(n).normal(size=n).astype(np.float32)
    cpu, cuda = _C.sum_of_squares(on_device(x, "cpu")._impl), _C.sum_of_squares(on_device(x, "cuda")._impl)
    assert cuda == pytest.approx(cpu, rel=1e-12, abs=0.0)
    assert _C.sum_of_squares(on_device(x, "cuda")._impl) == cuda  # deterministic


def test_sum_of_squares_multi_matches_cpu():
    rng = np.random.default_rng(9)
    xs = [rng.normal(size=s).astype(np.float32) for s in shapes(37)]
    cpu = _C.sum_of_squares_multi([on_device(x, "cpu")._impl for x in xs])
    cuda = _C.sum_of_squares_multi([on_device(x, "cuda")._impl for x in xs])
    assert cuda == pytest.approx(cpu, rel=1e-12, abs=0.0)
    with pytest.raises(ValueError, match=r"^sum_of_squares_multi: tensors are on different devices: x 0 .* on cuda"):
        _C.sum_of_squares_multi([on_device(xs[0], "cuda")._impl, on_device(xs[1], "cpu")._impl])


def test_empty_weight_is_left_alone():
    w, g = on_device(np.zeros(0, np.float32), "cuda"), on_device(np.zeros(0, np.float32), "cuda")
    for opt in (optimizers.SGD(momentum=0.9), optimizers.RMSprop(), optimizers.Adam()):
        opt.apply([g], [w])
    assert w.shape == (0,)


def test_strided_gradient_is_read_like_the_cpu():
    rng = np.random.default_rng(6)
    w = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    g = rng.uniform(-1, 1, (3, 5)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        wt = on_device(w, device)
        optimizers.Adam(learning_rate=0.1).apply([on_device(g, device).T], [wt])
        results[device] = to_host(wt)
    np.testing.assert_allclose(results["cuda"], results["cpu"], rtol=RTOL, atol=ATOL)


def test_mixed_devices_are_refused_and_nothing_is_written():
    w = [on_device(np.ones(4, np.float32), "cuda"), on_device(np.ones(4, np.float32), "cpu")]
    g = [on_device(np.ones(4, np.float32), d) for d in ("cuda", "cpu")]
    m = [on_device(np.zeros(4, np.float32), d) for d in ("cuda", "cpu")]
    v = [on_device(np.zeros(4, np.float32), d) for d in ("cuda", "cpu")]
    with pytest.raises(ValueError, match=r"^adam_update_multi_: tensors are on different devices: weight 0 .* on cuda"):
        _C.adam_update_multi_([t._impl for t in w], [t._impl for t in g], [t._impl for t in m], [t._impl for t in v],
                              [1.0, 1.0], **HYPER)
    assert all(np.array_equal(to_host(t), np.ones(4, np.float32)) for t in w)
    with pytest.raises(ValueError, match=r"^sgd_update_: tensors are on different devices: weight \(4,\) on cuda"):
        _C.sgd_update_(w[0]._impl, g[1]._impl, None, 0.1, 0.0, False)
    with pytest.raises(ValueError, match=r"^rmsprop_update_: tensors are on different devices"):
        _C.rmsprop_update_(w[0]._impl, g[0]._impl, m[1]._impl, None, 0.1, 0.9, 0.0, 1e-7)
