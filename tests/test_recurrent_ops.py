"""ironnet.ops.lstm / gru / simple_rnn against the NumPy float64 step-by-step reference (forward and
every gradient), the reference against finite differences, and the ops' errors."""
from __future__ import annotations

import numpy as np
import pytest

import ironnet
import recurrent_cases
from ironnet import _C, ops
from recurrent_cases import CELL_IDS, CELLS, padding_mask, recurrent_dropout
from reference import recurrent_ref as ref


def make_case(rng, cell, reset_after, batch, steps, inputs, units, *, bias=True, h0=False, c0=False, mask=False,
              recurrent_mask=False, scale=0.5):
    """Random float32 operands for one sequence (recurrent_cases.operands), and the masks asked for."""
    args = recurrent_cases.operands(rng, cell, reset_after, batch, steps, inputs, units, bias=bias, h0=h0, c0=c0,
                                    weight_scale=scale)
    extras = {}
    if mask:
        extras["mask"] = padding_mask(rng, batch, steps)
    if recurrent_mask:
        extras["recurrent_mask"] = recurrent_dropout(rng, batch, units)
    return args, extras


def run_native(cell, reset_after, args, extras, dy, dh, dc, **options):
    """Outputs and gradients of sum(y dy) + sum(h dh) [+ sum(c dc)] through ironnet's autograd."""
    tensors = {name: ironnet.tensor(v, requires_grad=True) for name, v in args.items()}
    kwargs = dict(tensors, **extras, **options)
    if cell == "gru":
        kwargs["reset_after"] = reset_after
    outputs = getattr(ops, cell)(**kwargs)
    loss = ops.add(ops.sum(ops.mul(outputs[0], ironnet.tensor(dy))), ops.sum(ops.mul(outputs[1], ironnet.tensor(dh))))
    if cell == "lstm":
        loss = ops.add(loss, ops.sum(ops.mul(outputs[2], ironnet.tensor(dc))))
    loss.backward()
    return [o.numpy() for o in outputs], {name: t.grad.numpy() for name, t in tensors.items()}


def run_reference(cell, reset_after, args, extras, dy, dh, dc, activation="tanh", recurrent_activation="sigmoid",
                  reverse=False):
    y, h, c, cache = ref.forward(cell, **args, **extras, reverse=reverse, reset_after=reset_after,
                                 activation_name=activation, recurrent_activation=recurrent_activation)
    grads = ref.backward(cache, dy, dh, dc if cell == "lstm" else None)
    return [y, h] + ([c] if cell == "lstm" else []), grads


def check_against_reference(rng, cell, reset_after, args, extras, **options):
    batch, steps, _ = args["x"].shape
    units = args["recurrent_kernel"].shape[0]
    dy = rng.standard_normal((batch, steps, units)).astype(np.float32)
    dh, dc = (rng.standard_normal((batch, units)).astype(np.float32) for _ in range(2))
    outs, grads = run_native(cell, reset_after, args, extras, dy, dh, dc, **options)
    ref_options = {k: v for k, v in options.items() if k in ("activation", "recurrent_activation", "reverse")}
    ref_outs, ref_grads = run_reference(cell, reset_after, args, extras, dy, dh, dc, **ref_options)
    for got, want in zip(outs, ref_outs):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for name, got in grads.items():
        want = ref_grads[name]
        tol = 2e-5 * max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=tol, err_msg=name)


# (id, batch, steps, inputs, units, extras): odd sizes, batch 1, T = 1, I = 1, H across slice bounds.
CASES = [
    ("plain", 4, 6, 5, 16, dict()),
    ("everything_reverse", 5, 7, 3, 19, dict(h0=True, c0=True, mask=True, recurrent_mask=True, reverse=True)),
    ("batch1_T1_I1", 1, 1, 1, 7, dict(h0=True, c0=True)),
    # Big enough per step (B * k * H^2 >= 2 * 2^19 multiply-adds, recurrent_layout.h) for two threads
    # to split the units, even for the simple RNN.
    ("masked_two_slices", 64, 3, 3, 130, dict(h0=True, mask=True, recurrent_mask=True)),
    ("no_bias", 3, 4, 2, 5, dict(bias=False, c0=True)),
]


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_reference(rng, cpu_isa, num_threads, cell, reset_after, case):
    _, batch, steps, inputs, units, options = case
    options = dict(options)
    reverse = options.pop("reverse", False)
    args, extras = make_case(rng, cell, reset_after, batch, steps, inputs, units, **options)
    check_against_reference(rng, cell, reset_after, args, extras, reverse=reverse)


# Every activation with every recurrent activation (simple_rnn has none of the latter).
ACTIVATION_CASES = [(cell, reset_after, act, gate)
                    for cell, reset_after in CELLS
                    for act in ("tanh", "relu", "sigmoid", "linear")
                    for gate in (("sigmoid",) if cell == "simple_rnn" else ("sigmoid", "hard_sigmoid"))]


@pytest.mark.parametrize("cell,reset_after,activation,recurrent_activation", ACTIVATION_CASES)
def test_activation_options(rng, cell, reset_after, activation, recurrent_activation):
    args, extras = make_case(rng, cell, reset_after, 3, 5, 4, 21, h0=True, mask=True)
    options = dict(activation=activation)
    if cell != "simple_rnn":
        options["recurrent_activation"] = recurrent_activation
    check_against_reference(rng, cell, reset_after, args, extras, **options)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_inference_matches_training_and_saves_nothing(rng, cell, reset_after):
    args, extras = make_case(rng, cell, reset_after, 3, 6, 4, 24, h0=True, c0=True, mask=True, recurrent_mask=True)
    kwargs = dict(args, **extras)
    if cell == "gru":
        kwargs["reset_after"] = reset_after
    fn = getattr(ops, cell)
    with ironnet.no_grad():
        inference = fn(**{k: ironnet.tensor(v, requires_grad=True) if k in args else v for k, v in kwargs.items()})
    training = fn(**{k: ironnet.tensor(v, requires_grad=True) if k in args else v for k, v in kwargs.items()})
    assert training[0].requires_grad and not inference[0].requires_grad
    for a, b in zip(inference, training):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    impls = [ironnet.tensor(args[n])._impl if n in args else None
             for n in ("x", "kernel", "recurrent_kernel", "bias", "h0", "c0")]
    out = _C.recurrent_forward(cell, *impls, None, None, False, reset_after, "tanh", "sigmoid", False)
    assert out[3] is None


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_reference_matches_finite_differences(rng, cell, reset_after):
    """The float64 reference's hand-written BPTT against central differences of its own forward."""
    for reverse, recurrent_activation in ((False, "sigmoid"), (True, "hard_sigmoid")):
        args, extras = make_case(rng, cell, reset_after, 2, 3, 2, 3, h0=True, c0=True, mask=True,
                                 recurrent_mask=True)
        extras["mask"][0, :] = True  # keep a few steps real in this tiny case
        args = {k: v.astype(np.float64) for k, v in args.items()}
        dy, dh, dc = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
        options = dict(reverse=reverse, reset_after=reset_after, recurrent_activation=recurrent_activation)

        def loss(values):
            y, h, c, _ = ref.forward(cell, **values, **extras, **options)
            return np.sum(y * dy) + np.sum(h * dh) + (np.sum(c * dc) if c is not None else 0.0)

        _, _, _, cache = ref.forward(cell, **args, **extras, **options)
        grads = ref.backward(cache, dy, dh, dc if cell == "lstm" else None)
        eps = 1e-6
        for name, value in args.items():
            numeric = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                plus, minus = dict(args), dict(args)
                plus[name], minus[name] = value.copy(), value.copy()
                plus[name][idx] += eps
                minus[name][idx] -= eps
                numeric[idx] = (loss(plus) - loss(minus)) / (2 * eps)
            np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-7, err_msg=f"{name} reverse={reverse}")


def test_thread_counts_agree(rng):
    # 24 * 4 * 140^2 multiply-adds per step: enough for three threads to each take a slice of units.
    args, extras = make_case(rng, "lstm", True, 24, 5, 7, 140, h0=True, c0=True, mask=True)
    dy, dh, dc = (rng.standard_normal(s).astype(np.float32) for s in ((24, 5, 140), (24, 140), (24, 140)))
    results = []
    previous = ironnet.get_num_threads()
    try:
        for threads in (1, 2, 3):
            ironnet.set_num_threads(threads)
            results.append(run_native("lstm", True, args, extras, dy, dh, dc))
    finally:
        ironnet.set_num_threads(previous)
    for outs, grads in results[1:]:
        for a, b in zip(results[0][0], outs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for name in grads:
            np.testing.assert_allclose(results[0][1][name], grads[name], rtol=1e-5, atol=1e-5)


def test_zero_steps_returns_initial_state(rng):
    x = ironnet.tensor(np.zeros((2, 0, 3), np.float32), requires_grad=True)
    h0 = ironnet.tensor(rng.standard_normal((2, 4)).astype(np.float32), requires_grad=True)
    kernel = ironnet.tensor(rng.standard_normal((3, 12)).astype(np.float32), requires_grad=True)
    recurrent = ironnet.tensor(rng.standard_normal((4, 12)).astype(np.float32))
    y, h = ops.gru(x, kernel, recurrent, None, h0)
    assert y.shape == (2, 0, 4)
    np.testing.assert_array_equal(h.numpy(), h0.numpy())
    ops.sum(h).backward()
    np.testing.assert_array_equal(h0.grad.numpy(), np.ones((2, 4), np.float32))
    np.testing.assert_array_equal(kernel.grad.numpy(), np.zeros((3, 12), np.float32))


# --- errors ---------------------------------------------------------------------------------------

def operands(rng, k=4, batch=2, steps=3, inputs=5, units=6):
    return (rng.standard_normal((batch, steps, inputs)).astype(np.float32),
            rng.standard_normal((inputs, k * units)).astype(np.float32),
            rng.standard_normal((units, k * units)).astype(np.float32))


def test_shape_errors_name_the_op_and_shapes(rng):
    x, w, u = operands(rng)
    with pytest.raises(ValueError, match=r"lstm: x must be 3-D, got \(2, 15\)"):
        ops.lstm(x.reshape(2, 15), w, u)
    with pytest.raises(ValueError, match=r"lstm: kernel \(4, 24\) must be \(5, 24\)"):
        ops.lstm(x, w[:4], u)
    with pytest.raises(ValueError, match=r"lstm: recurrent_kernel \(6, 18\) must be \(units, 4 \* units\)"):
        ops.lstm(x, w, u[:, :18])
    with pytest.raises(ValueError, match=r"lstm: bias \(23,\) must be \(24,\)"):
        ops.lstm(x, w, u, np.zeros(23, np.float32))
    with pytest.raises(ValueError, match=r"lstm: h0 \(3, 6\) must be \(2, 6\)"):
        ops.lstm(x, w, u, None, np.zeros((3, 6), np.float32))
    with pytest.raises(ValueError, match=r"lstm: c0 \(2, 5\) must be \(2, 6\)"):
        ops.lstm(x, w, u, None, None, np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"lstm: mask \(2, 4\) must be \(2, 3\)"):
        ops.lstm(x, w, u, mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"lstm: recurrent_mask \(2, 5\) must be \(2, 6\)"):
        ops.lstm(x, w, u, recurrent_mask=np.ones((2, 5), np.float32))
    xg, wg, ug = operands(rng, k=3)
    with pytest.raises(ValueError, match=r"gru: bias \(18,\) must be \(2, 18\)"):
        ops.gru(xg, wg, ug, np.zeros((2, 18), np.float32)[0])
    with pytest.raises(ValueError, match=r"gru: bias \(2, 18\) must be \(18,\)"):
        ops.gru(xg, wg, ug, np.zeros((2, 18), np.float32), reset_after=False)
    with pytest.raises(ValueError, match=r"simple_rnn: kernel \(5, 18\) must be \(5, 6\)"):
        ops.simple_rnn(xg, wg, ug[:, :6])


def test_option_and_dtype_errors(rng):
    x, w, u = operands(rng)
    with pytest.raises(ValueError, match="lstm: activation must be 'tanh', 'relu', 'sigmoid' or 'linear', got 'gelu'"):
        ops.lstm(x, w, u, activation="gelu")
    with pytest.raises(ValueError, match="lstm: recurrent_activation must be 'sigmoid' or 'hard_sigmoid'"):
        ops.lstm(x, w, u, recurrent_activation="tanh")
    with pytest.raises(TypeError, match="lstm: activation must be a string"):
        ops.lstm(x, w, u, activation=None)
    with pytest.raises(TypeError, match="lstm: x .* float64; expected float32"):
        ops.lstm(x.astype(np.float64), w, u)
    with pytest.raises(TypeError, match="lstm: mask must be bool"):
        ops.lstm(x, w, u, mask=np.array([["a"] * 3] * 2))
    with pytest.raises(TypeError, match="lstm: mask must be a bool numpy array or a Tensor"):
        ops.lstm(x, w, u, mask=[[True] * 3] * 2)
