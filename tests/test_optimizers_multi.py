"""_C.adam_update_multi_ (every weight in one native call, what Adam.apply uses) against one
_C.adam_update_ per weight, and likewise sgd_update_multi_ and rmsprop_update_multi_: same kernel, so the results must be bitwise equal, on every ISA and thread
count; and its errors, which must leave every tensor unchanged."""
import numpy as np
import pytest

import ironnet
from ironnet import _C

SHAPES = [(1,), (7,), (3, 3, 1, 5), (300, 257)]  # the last: big enough for two threads, 2-D for a strided gradient


def impls(arrays):
    return [_C.TensorImpl.from_numpy(a, copy=True) for a in arrays]


def case(rng, shapes=SHAPES):
    """Weights, gradients (the last one strided: a transposed view), m, v, one grad scale per weight."""
    ws = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    gs = impls([rng.uniform(-1, 1, s).astype(np.float32) for s in shapes])
    gs[-1] = ironnet.tensor(rng.uniform(-1, 1, shapes[-1][::-1]).astype(np.float32)).T._impl
    ms = [rng.uniform(-0.1, 0.1, s).astype(np.float32) for s in shapes]
    vs = [rng.uniform(0, 0.1, s).astype(np.float32) for s in shapes]
    scales = [float(s) for s in rng.uniform(0.5, 1.0, len(shapes))]
    return ws, gs, ms, vs, scales


HYPER = dict(lr=0.01, beta1=0.8, beta2=0.99, epsilon=1e-4, step=3, weight_decay=0.01, clip_value=0.7)


@pytest.mark.parametrize("clip_value", [0.0, 0.7])
def test_multi_equals_one_call_per_weight(rng, cpu_isa, num_threads, clip_value):
    ws, gs, ms, vs, scales = case(rng)
    hyper = {**HYPER, "clip_value": clip_value}
    one = [impls(a) for a in (ws, ms, vs)]
    for i in range(len(ws)):
        _C.adam_update_(one[0][i], gs[i], one[1][i], one[2][i], hyper["lr"], hyper["beta1"], hyper["beta2"],
                        hyper["epsilon"], hyper["step"], hyper["weight_decay"], scales[i], clip_value)
    multi = [impls(a) for a in (ws, ms, vs)]
    _C.adam_update_multi_(multi[0], gs, multi[1], multi[2], scales, **hyper)
    for a, b in zip(sum(multi, []), sum(one, [])):
        np.testing.assert_array_equal(np.asarray(memoryview(a)), np.asarray(memoryview(b)))
    assert not np.array_equal(np.asarray(memoryview(multi[0][3])), ws[3])  # the update did something


def test_no_weights_is_a_no_op():
    _C.adam_update_multi_([], [], [], [], [], **HYPER)


def snapshot(tensors):
    return [np.asarray(memoryview(t)).copy() for t in tensors]


@pytest.mark.parametrize("spoil, match", [
    (lambda args: args["g"].pop(), r"adam_update_multi_: expected one gradient, m, v and grad scale per weight; "
                                   r"got 2 weights, 1 gradients, 2 m, 2 v, 2 grad scales"),
    (lambda args: args["grad_scales"].append(1.0), r"got 2 weights, 2 gradients, 2 m, 2 v, 3 grad scales"),
    (lambda args: args["g"].__setitem__(1, _C.TensorImpl.from_numpy(np.zeros((4, 3), np.float32))),
     r"adam_update_multi_: gradient \(4, 3\) does not match weight \(3, 4\)"),
    (lambda args: args["v"].__setitem__(1, _C.TensorImpl.from_numpy(np.zeros(12, np.float32))),
     r"adam_update_multi_: v \(12,\) must be a contiguous tensor shaped like weight \(3, 4\)"),
    (lambda args: args.__setitem__("step", 0), r"adam_update_multi_: step counts from 1, got 0"),
])
def test_bad_input_raises_and_writes_nothing(rng, spoil, match):
    ws, gs, ms, vs, scales = case(rng, [(5,), (3, 4)])
    args = dict(w=impls(ws), g=gs, m=impls(ms), v=impls(vs), grad_scales=scales, **HYPER)
    spoil(args)
    before = snapshot(args["w"] + args["m"] + args["v"])
    with pytest.raises(ValueError, match=match):
        _C.adam_update_multi_(**args)
    for a, b in zip(snapshot(args["w"] + args["m"] + args["v"]), before):
        np.testing.assert_array_equal(a, b)


def test_an_int_gradient_is_a_type_error(rng):
    ws, gs, ms, vs, scales = case(rng, [(5, 1)])
    gs[0] = _C.TensorImpl.from_numpy(np.zeros((5, 1), np.int32))
    with pytest.raises(TypeError, match=r"adam_update_multi_: the gradient must be float32, got int32 \(5, 1\)"):
        _C.adam_update_multi_(impls(ws), gs, impls(ms), impls(vs), scales, **HYPER)


# --- sgd_update_multi_ and rmsprop_update_multi_ (what SGD.apply and RMSprop.apply use) ---------------------
COMMON = dict(lr=0.01, weight_decay=0.01, clip_value=0.7)


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_multi_equals_one_call_per_weight(rng, cpu_isa, num_threads, momentum, nesterov):
    ws, gs, vel, _, scales = case(rng)
    one = [impls(a) for a in (ws, vel)]
    for i in range(len(ws)):
        _C.sgd_update_(one[0][i], gs[i], one[1][i] if momentum else None, COMMON["lr"], momentum, nesterov,
                       COMMON["weight_decay"], scales[i], COMMON["clip_value"])
    multi = [impls(a) for a in (ws, vel)]
    _C.sgd_update_multi_(multi[0], gs, multi[1] if momentum else [], scales, momentum=momentum, nesterov=nesterov,
                         **COMMON)
    for a, b in zip(sum(multi, []), sum(one, [])):
        np.testing.assert_array_equal(np.asarray(memoryview(a)), np.asarray(memoryview(b)))


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_multi_equals_one_call_per_weight(rng, cpu_isa, num_threads, momentum):
    ws, gs, mom, ms, scales = case(rng)
    one = [impls(a) for a in (ws, ms, mom)]
    for i in range(len(ws)):
        _C.rmsprop_update_(one[0][i], gs[i], one[1][i], one[2][i] if momentum else None, COMMON["lr"], 0.9, momentum,
                           1e-7, COMMON["weight_decay"], scales[i], COMMON["clip_value"])
    multi = [impls(a) for a in (ws, ms, mom)]
    _C.rmsprop_update_multi_(multi[0], gs, multi[1], multi[2] if momentum else [], scales, rho=0.9, momentum=momentum,
                             epsilon=1e-7, **COMMON)
    for a, b in zip(sum(multi, []), sum(one, [])):
        np.testing.assert_array_equal(np.asarray(memoryview(a)), np.asarray(memoryview(b)))


def test_multi_momentum_needs_its_buffers(rng):
    ws, gs, _, ms, scales = case(rng, [(5,), (3, 4)])
    with pytest.raises(ValueError, match=r"^sgd_update_multi_: momentum=0.9 needs a velocity buffer per weight"):
        _C.sgd_update_multi_(impls(ws), gs, [], scales, momentum=0.9, nesterov=False, **COMMON)
    with pytest.raises(ValueError, match=r"^rmsprop_update_multi_: momentum=0.5 needs a momentum buffer per weight"):
        _C.rmsprop_update_multi_(impls(ws), gs, impls(ms), [], scales, rho=0.9, momentum=0.5, epsilon=1e-7, **COMMON)
    with pytest.raises(ValueError, match=r"^sgd_update_multi_: expected one gradient, velocity and grad scale per "
                                         r"weight; got 2 weights, 2 gradients, 1 velocity, 2 grad scales"):
        _C.sgd_update_multi_(impls(ws), gs, impls(ms[:1]), scales, momentum=0.9, nesterov=False, **COMMON)
    with pytest.raises(ValueError, match=r"^rmsprop_update_multi_: expected one gradient, mean_square and grad scale "
                                         r"per weight; got 2 weights, 2 gradients, 1 mean_square, 2 grad scales"):
        _C.rmsprop_update_multi_(impls(ws), gs, impls(ms[:1]), [], scales, rho=0.9, momentum=0.0, epsilon=1e-7,
                                 **COMMON)


def test_sum_of_squares_multi_equals_one_call_per_tensor(rng):
    xs = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    tensors = impls(xs) + [ironnet.tensor(xs[-1]).T._impl]  # and a strided view
    assert _C.sum_of_squares_multi(tensors) == [_C.sum_of_squares(t) for t in tensors]
    assert _C.sum_of_squares_multi([]) == []
    with pytest.raises(TypeError, match=r"^sum_of_squares_multi: x 1 must be float32, got int32 \(3,\)"):
        _C.sum_of_squares_multi([tensors[0], _C.TensorImpl.from_numpy(np.zeros(3, np.int32))])
