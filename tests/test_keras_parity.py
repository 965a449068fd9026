"""The recurrent layers against Keras 3 itself (torch backend; a test-only oracle): the same weights
give the same outputs and states, for every cell form, go_backwards, return_sequences/state,
initial_state, masks and Bidirectional, and the same parameter counts.

One documented difference: at a masked step a plain Keras layer repeats its previous output, while
ironnet outputs 0 there (the native op's convention, PyTorch's for packed sequences, and Keras's own
inside Bidirectional); states and the outputs at real steps are equal."""
import os

import numpy as np
import pytest

from ironnet import layers

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
if keras.backend.backend() != "torch":
    pytest.skip("the Keras oracle runs on its torch backend", allow_module_level=True)

CASES = [
    ("SimpleRNN", {"activation": "relu"}),
    ("SimpleRNN", {"go_backwards": True}),
    ("LSTM", {"recurrent_activation": "hard_sigmoid"}),
    ("LSTM", {"go_backwards": True, "use_bias": False}),
    ("GRU", {}),
    ("GRU", {"reset_after": False}),
    ("GRU", {"reset_after": False, "go_backwards": True, "activation": "relu"}),
]


def pair(name, rng, features, **kwargs):
    """The ironnet layer and the Keras layer of the same class and arguments, with equal random weights."""
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    ours.build_for((None, None, features))
    theirs.build((None, None, features))
    weights = [0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    assert ours.count_params() == theirs.count_params()
    return ours, theirs


def as_list(out):
    """Keras's output(s) as a list of NumPy arrays."""
    return [o.detach().cpu().numpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


def ours_list(out):
    return [o.numpy() for o in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize("name,kwargs", CASES)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_same_outputs_and_states_as_keras(rng, name, kwargs, return_sequences):
    ours, theirs = pair(name, rng, 3, units=4, return_sequences=return_sequences, return_state=True, **kwargs)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    n_states = len(ours._state_names)
    init = [rng.standard_normal((2, 4)).astype(np.float32) for _ in range(n_states)]
    for call in ({}, {"initial_state": init}):
        got, want = ours_list(ours(x, **call)), as_list(theirs(x, **call))
        assert len(got) == len(want) == 1 + n_states
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,kwargs", CASES)
@pytest.mark.parametrize("padding", ["post", "pre"])
def test_masked_sequences_match_keras_at_real_steps_and_in_states(rng, name, kwargs, padding):
    ours, theirs = pair(name, rng, 2, units=3, return_sequences=True, return_state=True, **kwargs)
    x = rng.standard_normal((3, 6, 2)).astype(np.float32)
    lengths = np.array([6, 2, 4])
    steps = np.arange(6)[None, :]
    mask = steps < lengths[:, None] if padding == "post" else steps >= 6 - lengths[:, None]
    got, want = ours_list(ours(x, mask=mask)), as_list(theirs(x, mask=mask))
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    real = mask[:, ::-1] if ours.go_backwards else mask  # returned steps are in reading order
    np.testing.assert_allclose(got[0][real], want[0][real], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[0][~real], 0.0)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_bidirectional_matches_keras_with_masks(rng, merge_mode, name):
    ours = layers.Bidirectional(getattr(layers, name)(3, return_sequences=True), merge_mode=merge_mode)
    theirs = keras.layers.Bidirectional(getattr(keras.layers, name)(3, return_sequences=True),
                                        merge_mode=merge_mode)
    ours.build_for((None, None, 4))
    theirs.build((None, None, 4))
    weights = [0.5 * rng.standard_normal(w.shape).astype(np.float32) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    assert ours.count_params() == theirs.count_params()
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    mask = np.arange(5)[None, :] < np.array([5, 1, 3])[:, None]
    for call in ({}, {"mask": mask}):
        np.testing.assert_allclose(ours(x, **call).numpy(), as_list(theirs(x, **call))[0], rtol=1e-4, atol=1e-5)
