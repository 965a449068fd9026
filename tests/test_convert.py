"""ironnet.convert: recurrent weights to and from PyTorch state dicts, checked by running both
frameworks on the same inputs (torch is a test-only oracle): outputs, final states and gradients."""
import numpy as np
import pytest

import ironnet
from ironnet import autograd, convert, layers, ops
from ironnet.tensor import Tensor

torch = pytest.importorskip("torch")

MODULES = {  # name -> (torch module, ironnet layer class, extra torch kwargs)
    "RNN_tanh": (torch.nn.RNN, layers.SimpleRNN, {"nonlinearity": "tanh"}),
    "RNN_relu": (torch.nn.RNN, layers.SimpleRNN, {"nonlinearity": "relu"}),
    "LSTM": (torch.nn.LSTM, layers.LSTM, {}),
    "GRU": (torch.nn.GRU, layers.GRU, {}),
}


def tensor(a, requires_grad=False):
    return Tensor(ironnet._C.TensorImpl.from_numpy(np.ascontiguousarray(a, np.float32), True), requires_grad)


def torch_module(name, features, units, num_layers, bidirectional, bias=True, seed=0):
    module_cls, _, extra = MODULES[name]
    torch.manual_seed(seed)
    module = module_cls(features, units, num_layers=num_layers, bias=bias, batch_first=True,
                        bidirectional=bidirectional, **extra)
    with torch.no_grad():  # biases too: PyTorch's two separate biases must survive the conversion
        for p in module.parameters():
            p.uniform_(-0.6, 0.6)
    return module


def ironnet_stack(name, units, num_layers, bidirectional, bias=True):
    """Unbuilt layers for a num_layers-deep module: every layer returns sequences and its states."""
    _, cls, extra = MODULES[name]
    kwargs = {"activation": extra["nonlinearity"]} if "nonlinearity" in extra else {}
    stack = []
    for _ in range(num_layers):
        layer = cls(units, use_bias=bias, return_sequences=True, return_state=True, **kwargs)
        stack.append(layers.Bidirectional(layer) if bidirectional else layer)
    return stack


def run_stack(stack, x, mask=None, initial_state=None):
    """The stack's top output and PyTorch-ordered final states: (h_n (layers * dirs, B, H)[, c_n])."""
    hs, cs = [], []
    for k, layer in enumerate(stack):
        x, *states = layer(x, mask=mask, initial_state=initial_state if k == 0 else None)
        per_dir = len(states) // (2 if isinstance(layer, layers.Bidirectional) else 1)
        for d in range(0, len(states), per_dir):
            hs.append(states[d].numpy())
            if per_dir == 2:
                cs.append(states[d + 1].numpy())
    return x, np.stack(hs), (np.stack(cs) if cs else None)


def assert_same_run(module, stack, x, lengths=None):
    xt = torch.from_numpy(x)
    if lengths is None:
        out_t, state_t = module(xt)
        mask = None
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=True,
                                                         enforce_sorted=False)
        out_p, state_t = module(packed)
        out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_p, batch_first=True, total_length=x.shape[1])
        mask = np.arange(x.shape[1])[None, :] < np.array(lengths)[:, None]
    y, h, c = run_stack(stack, x, mask=mask)
    h_t, c_t = state_t if isinstance(state_t, tuple) else (state_t, None)
    np.testing.assert_allclose(y.numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h, h_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    if c_t is not None:
        np.testing.assert_allclose(c, c_t.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_from_torch_gives_the_modules_outputs_and_states(rng, name, num_layers, bidirectional):
    module = torch_module(name, 5, 4, num_layers, bidirectional)
    stack = ironnet_stack(name, 4, num_layers, bidirectional)
    convert.from_torch(stack, module.state_dict())  # builds the unbuilt layers from the shapes
    assert_same_run(module, stack, rng.standard_normal((3, 7, 5)).astype(np.float32))


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_to_torch_loads_strictly_and_gives_the_layers_outputs(rng, name, bidirectional):
    stack = ironnet_stack(name, 3, 2, bidirectional)
    x = rng.standard_normal((2, 6, 4)).astype(np.float32)
    run_stack(stack, x)  # builds
    for layer in stack:
        layer.set_weights([0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
    kwargs = convert.module_kwargs(stack)
    assert kwargs.pop("module") == MODULES[name][0].__name__
    module = MODULES[name][0](**kwargs)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in convert.to_torch(stack).items()}, strict=True)
    assert_same_run(module, stack, x)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN_tanh"])
def test_round_trip_without_bias_and_with_initial_states(rng, name):
    module = torch_module(name, 3, 5, 1, False, bias=False)
    (layer,) = ironnet_stack(name, 5, 1, False, bias=False)
    convert.from_torch(layer, module.state_dict())
    assert layer.bias is None
    for key, value in convert.to_torch(layer).items():
        np.testing.assert_array_equal(value, module.state_dict()[key].numpy())
    x = rng.standard_normal((1, 4, 3)).astype(np.float32)
    states = [rng.standard_normal((1, 5)).astype(np.float32) for _ in layer._state_names]
    torch_states = tuple(torch.from_numpy(s[None]) for s in states)
    out_t, _ = module(torch.from_numpy(x), torch_states if name == "LSTM" else torch_states[0])
    y, *_ = layer(x, initial_state=states)
    np.testing.assert_allclose(y.numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_batches_match_packed_sequences(rng, name, bidirectional):
    module = torch_module(name, 2, 3, 1, bidirectional)
    stack = ironnet_stack(name, 3, 1, bidirectional)
    convert.from_torch(stack, module.state_dict())
    assert_same_run(module, stack, rng.standard_normal((4, 5, 2)).astype(np.float32), lengths=[5, 2, 1, 4])


def test_unused_torch_biases_fold_into_keras_single_bias():
    """LSTM/SimpleRNN: Keras's bias is bias_ih + bias_hh; going back, bias_hh is zero."""
    module = torch_module("LSTM", 2, 3, 1, False)
    layer = layers.LSTM(3)
    convert.from_torch(layer, module.state_dict())
    sd = module.state_dict()
    np.testing.assert_allclose(layer.bias.numpy(), (sd["bias_ih_l0"] + sd["bias_hh_l0"]).numpy(), rtol=1e-6)
    back = convert.to_torch(layer)
    np.testing.assert_array_equal(back["bias_hh_l0"], 0.0)
    gru = layers.GRU(3)
    convert.from_torch(gru, torch_module("GRU", 2, 3, 1, False).state_dict())
    assert gru.bias.shape == (2, 9)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_gradients_equal_torch(rng, name):
    """Backprop through time through the layer equals PyTorch's autograd, for inputs and kernels."""
    module = torch_module(name, 4, 3, 1, False)
    (layer,) = ironnet_stack(name, 3, 1, False)
    convert.from_torch(layer, module.state_dict())
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    g = rng.standard_normal((2, 5, 3)).astype(np.float32)
    xt = torch.from_numpy(x).requires_grad_()
    out_t, _ = module(xt)
    (out_t * torch.from_numpy(g)).sum().backward()
    xi = tensor(x, True)
    y, *_ = layer(xi)
    loss = ops.sum(ops.mul(y, tensor(g)))
    dx, dkernel, drecurrent = autograd.grad(loss, [xi, layer.kernel, layer.recurrent_kernel])
    np.testing.assert_allclose(dx.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    # The gradients in PyTorch's layout, converted like weights (kernels transposed, GRU gates reordered).
    scratch = ironnet_stack(name, 3, 1, False)[0]
    convert.from_torch(scratch, {k: p.grad for k, p in module.named_parameters()})
    np.testing.assert_allclose(dkernel.numpy(), scratch.kernel.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(drecurrent.numpy(), scratch.recurrent_kernel.numpy(), rtol=1e-4, atol=1e-5)


def test_errors_name_the_problem():
    gru = layers.GRU(3, reset_after=False)
    gru.build_for((None, None, 2))
    with pytest.raises(ValueError, match=r"GRU\(reset_after=False\) .* no equivalent module"):
        convert.to_torch(gru)
    with pytest.raises(ValueError, match=r"merges with 'sum'; .* \(merge_mode='concat'\)"):
        convert.to_torch(layers.Bidirectional(layers.LSTM(2), merge_mode="sum"))
    with pytest.raises(ValueError, match=r"PyTorch's LSTM uses tanh and sigmoid"):
        convert.to_torch(layers.LSTM(2, recurrent_activation="hard_sigmoid"))
    with pytest.raises(ValueError, match=r"nn.RNN's nonlinearity is 'tanh' or 'relu'"):
        convert.to_torch(layers.SimpleRNN(2, activation="sigmoid"))
    with pytest.raises(TypeError, match=r"is a JordanRNN; PyTorch has modules for SimpleRNN, LSTM and GRU"):
        convert.to_torch(layers.JordanRNN(2))
    with pytest.raises(ValueError, match=r"stacks layers of one kind and direction"):
        convert.to_torch([layers.LSTM(2), layers.GRU(2)])
    with pytest.raises(ValueError, match=r"is not built yet"):
        convert.to_torch(layers.LSTM(2))
    sd = torch_module("LSTM", 2, 3, 2, False).state_dict()
    with pytest.raises(ValueError, match=r"weights the 1-layer stack does not use: \['bias_hh_l1'"):
        convert.from_torch(layers.LSTM(3), sd)
    with pytest.raises(ValueError, match=r"the state dict has no 'weight_ih_l0_reverse'"):
        convert.from_torch([layers.Bidirectional(layers.LSTM(3)), layers.Bidirectional(layers.LSTM(3))], sd)
    with pytest.raises(ValueError, match=r"weight_ih_l0 has shape \(12, 2\), the layer needs \(16, 2\)"):
        convert.from_torch([layers.LSTM(4), layers.LSTM(4)], sd)
