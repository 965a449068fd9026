"""ironnet.ops.lstm / gru / simple_rnn on CUDA against the CPU op (the oracle, itself checked against
the float64 reference in test_recurrent_ops.py): forward outputs, h_last / c_last and every gradient,
over every option, awkward sizes, the Keras layers' weights, and the mixed-device errors.
Every test is marked `cuda` and skipped where no device is present."""
from __future__ import annotations

import numpy as np
import pytest

import ironnet
from cuda_parity import assert_grads_match, on_device, to_host
from ironnet import layers, ops

pytestmark = pytest.mark.cuda

DEVICE = "cuda"

# (cell, reset_after): the four native cells.
CELLS = [("lstm", True), ("gru", True), ("gru", False), ("simple_rnn", True)]
CELL_IDS = ["lstm", "gru_reset_after", "gru_reset_before", "simple_rnn"]
GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1}
OPERANDS = ("x", "kernel", "recurrent_kernel", "bias", "h0", "c0")

# (batch, steps, inputs, units): one unit and one step; primes; H = 33 (kH not a multiple of the
# GEMM's 64-wide tiles); B * H = 320 > one 256-thread block of the cell kernels; B = 70 > one GEMM tile.
SIZES = [(1, 1, 3, 1), (5, 7, 4, 3), (5, 7, 6, 33), (5, 7, 5, 64), (70, 3, 5, 33)]
SIZE_IDS = ["b1_t1_h1", "b5_t7_h3", "b5_t7_h33", "b5_t7_h64", "b70_t3_h33"]


def make_case(rng, cell, reset_after, batch, steps, inputs, units, *, bias=True, h0=False, c0=False,
              scale=0.5):
    """Random float32 operands (a dict in OPERANDS order, absent ones left out), kept O(1)."""
    k = GATES[cell]
    w = scale / np.sqrt(max(units, inputs, 1))
    args = dict(x=rng.standard_normal((batch, steps, inputs)).astype(np.float32),
                kernel=(w * rng.standard_normal((inputs, k * units))).astype(np.float32),
                recurrent_kernel=(w * rng.standard_normal((units, k * units))).astype(np.float32))
    if bias:
        shape = (2, k * units) if cell == "gru" and reset_after else (k * units,)
        args["bias"] = (0.3 * rng.standard_normal(shape)).astype(np.float32)
    if h0:
        args["h0"] = rng.standard_normal((batch, units)).astype(np.float32)
    if c0 and cell == "lstm":
        args["c0"] = rng.standard_normal((batch, units)).astype(np.float32)
    return args


def padding_mask(rng, batch, steps):
    """(B, T) bool: padded tails (each row's last step), holes, and row 0 entirely padded."""
    m = rng.random((batch, steps)) > 0.3
    m[:, -1] = False
    m[0, :] = False
    return m


def recurrent_dropout(rng, batch, units):
    return ((rng.random((batch, units)) > 0.25) / 0.75).astype(np.float32)


def op_fn(cell, reset_after, names, *, mask=None, recurrent_mask=None, **options):
    """fn(*tensors) running the op on tensors named `names`; the NumPy mask goes to x's device and the
    recurrent mask is placed there too (it is not differentiated)."""
    if cell == "gru":
        options["reset_after"] = reset_after

    def fn(*tensors):
        kwargs = dict(zip(names, tensors))
        if recurrent_mask is not None:
            kwargs["recurrent_mask"] = on_device(recurrent_mask, tensors[0].device)
        return getattr(ops, cell)(**kwargs, mask=mask, **options)

    fn.__name__ = cell
    return fn


def check(cell, reset_after, args, rtol=1e-4, atol=1e-5, **options):
    """Forward outputs and the gradients of every operand in `args` agree between CUDA and CPU."""
    names = list(args)
    assert_grads_match(op_fn(cell, reset_after, names, **options), [args[n] for n in names], rtol=rtol, atol=atol)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_sizes_with_every_operand(rng, cell, reset_after, size):
    args = make_case(rng, cell, reset_after, *size, h0=True, c0=True)
    check(cell, reset_after, args)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_without_bias_and_initial_state(rng, cell, reset_after):
    check(cell, reset_after, make_case(rng, cell, reset_after, 5, 7, 4, 33, bias=False))


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("size", [(5, 7, 4, 3), (5, 7, 6, 64)], ids=["h3", "h64"])
@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_masks_and_reverse(rng, cell, reset_after, size, reverse):
    """Padded tails and holes (state carried, y = 0), with the recurrent-dropout multiplier."""
    batch, steps, _, units = size
    args = make_case(rng, cell, reset_after, *size, h0=True, c0=True)
    check(cell, reset_after, args, mask=padding_mask(rng, batch, steps),
          recurrent_mask=recurrent_dropout(rng, batch, units), reverse=reverse)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_recurrent_mask_alone(rng, cell, reset_after):
    args = make_case(rng, cell, reset_after, 5, 7, 4, 33, h0=True, c0=True)
    check(cell, reset_after, args, recurrent_mask=recurrent_dropout(rng, 5, 33))


@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_activations(rng, cell, reset_after, activation, recurrent_activation):
    if cell == "simple_rnn" and recurrent_activation != "sigmoid":
        pytest.skip("simple_rnn has no gates")
    options = dict(activation=activation)
    if cell != "simple_rnn":
        options["recurrent_activation"] = recurrent_activation
    # A larger scale pushes some hard-sigmoid gates into their flat parts (derivative 0); values then
    # reach ~60 (linear simple RNN), hence the absolute tolerance.
    args = make_case(rng, cell, reset_after, 5, 7, 4, 33, h0=True, c0=True, scale=1.5)
    check(cell, reset_after, args, atol=1e-4, mask=padding_mask(rng, 5, 7), **options)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_some_gradients_only(rng, cell, reset_after):
    """Only x and the recurrent kernel require grad: the others stay None on both devices."""
    args = make_case(rng, cell, reset_after, 5, 7, 4, 33, h0=True, c0=True)
    results = {}
    for device in ("cpu", DEVICE):
        tensors = {n: on_device(v, device, requires_grad=n in ("x", "recurrent_kernel")) for n, v in args.items()}
        outputs = op_fn(cell, reset_after, list(tensors))(*tensors.values())
        ops.sum(outputs[0]).backward()
        results[device] = {n: t.grad for n, t in tensors.items()}
    for name in args:
        cpu_grad, cuda_grad = results["cpu"][name], results[DEVICE][name]
        if name in ("x", "recurrent_kernel"):
            np.testing.assert_allclose(to_host(cuda_grad), to_host(cpu_grad), rtol=1e-4, atol=1e-5, err_msg=name)
        else:
            assert cpu_grad is None and cuda_grad is None, name


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_no_grad_matches_cpu_and_training(rng, cell, reset_after):
    """Under no_grad (no workspace, the inference state rings) the outputs equal the CPU's and the
    training forward's on the GPU."""
    args = make_case(rng, cell, reset_after, 5, 7, 4, 33, h0=True, c0=True)
    options = dict(mask=padding_mask(rng, 5, 7), recurrent_mask=recurrent_dropout(rng, 5, 33), reverse=True)
    fn = op_fn(cell, reset_after, list(args), **options)
    with ironnet.no_grad():
        cpu_out = fn(*[on_device(v, "cpu", requires_grad=True) for v in args.values()])
        inference = fn(*[on_device(v, DEVICE, requires_grad=True) for v in args.values()])
    training = fn(*[on_device(v, DEVICE, requires_grad=True) for v in args.values()])
    assert training[0].requires_grad and not inference[0].requires_grad
    assert len(inference) == len(cpu_out) == (3 if cell == "lstm" else 2)
    for c, i, t in zip(cpu_out, inference, training):
        assert i.device.startswith(DEVICE)
        np.testing.assert_allclose(to_host(i), to_host(c), rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(to_host(i), to_host(t))


@pytest.mark.parametrize("batch,steps", [(0, 4), (3, 0)], ids=["zero_batch", "zero_steps"])
@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_empty_batch_or_sequence(rng, cell, reset_after, batch, steps):
    """No step: the final state is the initial one, its gradient passes through, weight gradients are 0."""
    args = make_case(rng, cell, reset_after, batch, steps, 4, 5, h0=True, c0=True)
    check(cell, reset_after, args)


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_issue_sizes_few_steps(rng, cell, reset_after):
    """B=64, I=128, H=256 (the benchmark's shapes, 4 steps): 32 unit slices x 4 row tiles per step."""
    args = make_case(rng, cell, reset_after, 64, 4, 128, 256, h0=True, c0=True)
    check(cell, reset_after, args, mask=padding_mask(rng, 64, 4), rtol=2e-4, atol=2e-5)


def test_bias_gradient_over_many_rows(rng):
    """B * T = 4096 rows: the deterministic column sums run many rows per lane; repeated runs agree bit
    for bit."""
    args = make_case(rng, "lstm", True, 64, 64, 8, 40)
    check("lstm", True, args)
    grads = []
    for _ in range(2):
        tensors = [on_device(v, DEVICE, requires_grad=True) for v in args.values()]
        y, _, _ = ops.lstm(*tensors)
        ops.sum(ops.mul(y, y)).backward()
        grads.append(to_host(tensors[3].grad))
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("cell,reset_after", CELLS, ids=CELL_IDS)
def test_mixed_devices_raise(rng, cell, reset_after):
    args = make_case(rng, cell, reset_after, 2, 3, 4, 5, h0=True)
    for moved in ("kernel", "bias", "h0"):
        tensors = [on_device(v, "cpu" if n == moved else DEVICE) for n, v in args.items()]
        with pytest.raises(ValueError, match=f"^{cell}: tensors are on different devices: .*\\b{moved} \\([0-9, ]*\\) on cpu"):
            op_fn(cell, reset_after, list(args))(*tensors)
    # A recurrent mask left on the CPU is named too.
    tensors = [on_device(v, DEVICE) for v in args.values()]
    with pytest.raises(ValueError, match=f"^{cell}: tensors are on different devices: .*recurrent_mask \\(2, 5\\) on cpu"):
        getattr(ops, cell)(*tensors[:3], recurrent_mask=on_device(recurrent_dropout(rng, 2, 5), "cpu"))


@pytest.mark.parametrize("mask_device", ["cpu", DEVICE])
def test_mask_tensor_goes_to_x_device(rng, mask_device):
    """A mask given as a Tensor (on either device) is copied to x's device as int32 flags."""
    args = make_case(rng, "gru", True, 5, 7, 4, 6)
    mask = padding_mask(rng, 5, 7)
    expected = ops.gru(*[on_device(v, "cpu") for v in args.values()], mask=mask)
    got = ops.gru(*[on_device(v, DEVICE) for v in args.values()], mask=on_device(mask.astype(np.float32), mask_device))
    for e, g in zip(expected, got):
        np.testing.assert_allclose(to_host(g), to_host(e), rtol=1e-4, atol=1e-5)


# --- the Keras layers moved to the GPU (Layer.to) ---------------------------------------------------

LAYERS = [
    lambda: layers.LSTM(7, return_sequences=True),
    lambda: layers.GRU(7, return_sequences=True),
    lambda: layers.GRU(7, return_sequences=True, reset_after=False),
    lambda: layers.SimpleRNN(7, return_sequences=True),
    lambda: layers.LSTM(7, go_backwards=True, return_state=True),
    lambda: layers.Bidirectional(layers.LSTM(7, return_sequences=True)),
    lambda: layers.Bidirectional(layers.GRU(7, return_sequences=True)),
    lambda: layers.Bidirectional(layers.SimpleRNN(7)),
]
LAYER_IDS = ["LSTM", "GRU", "GRU_reset_before", "SimpleRNN", "LSTM_go_backwards_state", "Bidirectional_LSTM",
             "Bidirectional_GRU", "Bidirectional_SimpleRNN_last"]


def layer_outputs_and_grads(layer, x, mask, device):
    """The layer moved to `device`: its outputs and the gradients of its weights for a fixed upstream."""
    layer.to(device)
    for w in layer.weights:
        w.grad = None
    outputs = layer(on_device(x, device), mask=mask)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    rng = np.random.default_rng(0)
    loss = None
    for out in outputs:
        term = ops.sum(ops.mul(out, on_device(rng.uniform(-1, 1, out.shape).astype(np.float32), device)))
        loss = term if loss is None else ops.add(loss, term)
    loss.backward()
    return [to_host(o) for o in outputs], [to_host(w.grad) for w in layer.weights]


@pytest.mark.parametrize("make", LAYERS, ids=LAYER_IDS)
def test_layers_on_the_gpu_match_the_cpu(rng, make):
    """A layer built and run on the CPU, then moved with .to(): the same outputs and weight gradients."""
    x = rng.standard_normal((4, 6, 5)).astype(np.float32)
    mask = padding_mask(rng, 4, 6)
    layer = make()
    cpu_outputs, cpu_grads = layer_outputs_and_grads(layer, x, mask, "cpu")
    gpu_outputs, gpu_grads = layer_outputs_and_grads(layer, x, mask, DEVICE)
    assert all(w.device.startswith(DEVICE) for w in layer.weights)
    for c, g in zip(cpu_outputs + cpu_grads, gpu_outputs + gpu_grads):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)
