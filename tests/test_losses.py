"""Fused native losses (cpp/kernels/cpu/losses_kernels.h via ironnet.losses) against float64 references
(tests/reference/losses_ref.py, themselves checked by finite differences) and against PyTorch.
Tests taking `cpu_isa` run once per SIMD build of the kernels (portable, AVX2) this CPU supports."""
import numpy as np
import pytest

import ironnet
from ironnet import _C, losses
from reference.losses_ref import (
    HI,
    LO,
    bce_logits_ref,
    bce_ref,
    cce_logits_ref,
    cce_ref,
    huber_ref,
    mae_ref,
    mse_ref,
    sparse_cce_ref,
)
from reference.matmul_grad_ref import finite_difference

torch = pytest.importorskip("torch")
F = torch.nn.functional


# --- input makers: (y_true, y_pred) for a shape, float32 ------------------------------------------
def regression(rng, shape):
    return rng.standard_normal(shape).astype(np.float32), (2 * rng.standard_normal(shape)).astype(np.float32)


def probabilities(rng, shape):  # soft targets in [0, 1], predictions inside the clip range
    return rng.uniform(0, 1, shape).astype(np.float32), rng.uniform(0.02, 0.98, shape).astype(np.float32)


def logits(rng, shape):
    return rng.uniform(0, 1, shape).astype(np.float32), (3 * rng.standard_normal(shape)).astype(np.float32)


def class_probabilities(rng, shape):  # target rows sum to 1; prediction rows unnormalized
    t = rng.uniform(0, 1, shape)
    return (t / t.sum(-1, keepdims=True)).astype(np.float32), rng.uniform(0.1, 1, shape).astype(np.float32)


def class_logits(rng, shape):
    t = rng.uniform(0, 1, shape)
    return (t / t.sum(-1, keepdims=True)).astype(np.float32), (3 * rng.standard_normal(shape)).astype(np.float32)


def labels_for(rng, shape, dtype=np.int64):
    return rng.integers(0, shape[-1], shape[:-1]).astype(dtype)


# name -> (loss object, reference, input maker)
DENSE = {
    "mse": (losses.MeanSquaredError(), mse_ref, regression),
    "mae": (losses.MeanAbsoluteError(), mae_ref, regression),
    "huber": (losses.Huber(), huber_ref, regression),
    "huber_delta_0.3": (losses.Huber(delta=0.3), lambda t, p: huber_ref(t, p, 0.3), regression),
    "bce": (losses.BinaryCrossentropy(), bce_ref, probabilities),
    "bce_logits": (losses.BinaryCrossentropy(from_logits=True), bce_logits_ref, logits),
    "cce": (losses.CategoricalCrossentropy(), cce_ref, class_probabilities),
    "cce_logits": (losses.CategoricalCrossentropy(from_logits=True), cce_logits_ref, class_logits),
}

# Batch 1, one class, primes, a 3-D batch, 1000 classes, and one large enough for two threads.
SHAPES = [(1, 1), (1, 7), (13, 1), (7, 13), (3, 5, 11), (5, 1000), (67, 1000)]


def run(loss, y_true, y_pred):
    """The loss and d(loss)/d(y_pred) through autograd."""
    x = ironnet.from_numpy(y_pred).requires_grad_()
    out = loss(y_true, x)
    assert out.shape == () and out.dtype == ironnet.float32
    out.backward()
    return float(out.numpy()), x.grad.numpy()


def assert_close(got_loss, got_grad, ref_loss, ref_grad, rtol=1e-5):
    np.testing.assert_allclose(got_loss, ref_loss, rtol=rtol, atol=1e-6)
    scale = max(np.abs(ref_grad).max(initial=0.0), 1e-30)
    np.testing.assert_allclose(got_grad, ref_grad, rtol=rtol, atol=rtol * scale)


# --- the references are right: finite differences ---------------------------------------------------
@pytest.mark.parametrize("name", sorted(DENSE))
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (1, 1)])
def test_reference_gradient_matches_finite_differences(rng, name, shape):
    _, ref, make = DENSE[name]
    t, p = (a.astype(np.float64) for a in make(rng, shape))
    fd = finite_difference(lambda x: ref(t, x)[0], p.copy())
    np.testing.assert_allclose(ref(t, p)[1], fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_reference_gradient_matches_finite_differences(rng, from_logits):
    shape = (4, 6)
    p = (class_logits if from_logits else class_probabilities)(rng, shape)[1].astype(np.float64)
    labels = labels_for(rng, shape)
    fd = finite_difference(lambda x: sparse_cce_ref(labels, x, from_logits)[0], p.copy())
    np.testing.assert_allclose(sparse_cce_ref(labels, p, from_logits)[1], fd, rtol=1e-6, atol=1e-8)


def test_reference_clip_stops_the_gradient():
    t = np.array([[1.0, 0.0]])
    p = np.array([[0.0, 1.0]])  # both clipped
    loss, grad = bce_ref(t, p)
    assert np.isfinite(loss) and np.all(grad == 0)
    assert LO == pytest.approx(1e-7) and HI < 1.0


# --- native against the references --------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(DENSE))
def test_dense_losses_match_reference(rng, cpu_isa, num_threads, name, shape):
    loss, ref, make = DENSE[name]
    t, p = make(rng, shape)
    assert_close(*run(loss, t, p), *ref(t, p))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_sparse_matches_reference(rng, cpu_isa, num_threads, shape, from_logits, label_dtype):
    p = (class_logits if from_logits else class_probabilities)(rng, shape)[1]
    labels = labels_for(rng, shape, label_dtype)
    got = run(losses.SparseCategoricalCrossentropy(from_logits=from_logits), labels, p)
    assert_close(*got, *sparse_cce_ref(labels, p, from_logits))


def test_sparse_accepts_labels_with_a_trailing_axis_of_one(rng):
    p = class_logits(rng, (6, 4))[1]
    labels = labels_for(rng, (6, 4))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    flat = run(loss, labels, p)
    column = run(loss, ironnet.from_numpy(labels.reshape(6, 1)), p)
    assert flat[0] == column[0]
    np.testing.assert_array_equal(flat[1], column[1])


def test_upstream_gradient_scales_the_native_backward(rng):
    t, p = regression(rng, (5, 3))
    grad = _C.mean_squared_error_backward(ironnet.from_numpy(t)._impl, ironnet.from_numpy(p)._impl, -0.25)
    np.testing.assert_allclose(np.asarray(ironnet.Tensor(grad)), -0.25 * mse_ref(t, p)[1], rtol=1e-6)
    labels = labels_for(rng, (5, 3))
    grad = _C.sparse_categorical_crossentropy_backward(
        ironnet.from_numpy(labels)._impl, ironnet.from_numpy(p)._impl, True, 3.0
    )
    np.testing.assert_allclose(np.asarray(ironnet.Tensor(grad)), 3.0 * sparse_cce_ref(labels, p, True)[1], rtol=1e-5)


def test_loss_backpropagates_through_matmul(rng):
    a = rng.standard_normal((6, 4)).astype(np.float32)
    w = ironnet.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
    labels = labels_for(rng, (6, 3))
    loss = losses.get("sparse_categorical_crossentropy")
    loss.from_logits = True
    loss(labels, ironnet.from_numpy(a) @ w).backward()
    logits_grad = sparse_cce_ref(labels, a @ w.numpy(), True)[1]
    np.testing.assert_allclose(w.grad.numpy(), a.T.astype(np.float64) @ logits_grad, rtol=1e-4, atol=1e-6)


def test_y_true_gets_no_gradient_and_numpy_targets_are_cast(rng):
    t, p = regression(rng, (4, 3))
    target = ironnet.from_numpy(t).requires_grad_()
    x = ironnet.from_numpy(p).requires_grad_()
    losses.mse(target, x).backward()
    assert target.grad is None and x.grad is not None
    # float64 and integer NumPy targets are cast to float32 like Keras casts y_true.
    assert float(losses.mse(t.astype(np.float64), p).numpy()) == float(losses.mse(t, p).numpy())
    ints = np.round(t).astype(np.int64)
    assert float(losses.mae(ints, p).numpy()) == pytest.approx(mae_ref(ints, p)[0], rel=1e-6)


def test_non_contiguous_prediction(rng):
    t, p = regression(rng, (5, 7))
    x = ironnet.from_numpy(np.ascontiguousarray(p.T)).requires_grad_()
    out = losses.huber(t, x.T)
    out.backward()
    ref_loss, ref_grad = huber_ref(t, p)
    assert_close(float(out.numpy()), x.grad.numpy().T, ref_loss, ref_grad)


def test_empty_batch_gives_zero_loss_and_an_empty_gradient():
    for loss in (losses.MeanSquaredError(), losses.CategoricalCrossentropy(from_logits=True)):
        loss_value, grad = run(loss, np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32))
        assert loss_value == 0.0 and grad.shape == (0, 3)
    loss_value, grad = run(losses.SparseCategoricalCrossentropy(), np.zeros(0, np.int64), np.zeros((0, 3), np.float32))
    assert loss_value == 0.0 and grad.shape == (0, 3)


# --- extremes: saturated logits and probabilities of exactly 0 and 1 ---------------------------------
def test_extreme_logits_stay_finite(rng, cpu_isa, num_threads):
    x = rng.choice([-100.0, 100.0], (9, 17)).astype(np.float32)
    x[:, 0] += rng.standard_normal(9).astype(np.float32)
    t_binary = rng.integers(0, 2, x.shape).astype(np.float32)
    t_class = class_logits(rng, x.shape)[0]
    labels = labels_for(rng, x.shape)
    cases = [
        (losses.BinaryCrossentropy(from_logits=True), t_binary, bce_logits_ref(t_binary, x)),
        (losses.CategoricalCrossentropy(from_logits=True), t_class, cce_logits_ref(t_class, x)),
        (losses.SparseCategoricalCrossentropy(from_logits=True), labels, sparse_cce_ref(labels, x, True)),
    ]
    for loss, t, ref in cases:
        got_loss, got_grad = run(loss, t, x)
        assert np.isfinite(got_loss) and np.all(np.isfinite(got_grad)), loss
        assert_close(got_loss, got_grad, *ref)


def test_probabilities_of_zero_and_one_are_clipped(rng, cpu_isa):
    p = rng.choice([0.0, 1.0, 0.5], (8, 5)).astype(np.float32)
    p[:, 0] = 1.0  # no all-zero row (Keras divides by the row sum)
    t_binary = rng.integers(0, 2, p.shape).astype(np.float32)
    t_class = class_probabilities(rng, p.shape)[0]
    labels = labels_for(rng, p.shape)
    cases = [
        (losses.BinaryCrossentropy(), t_binary, bce_ref(t_binary, p)),
        (losses.CategoricalCrossentropy(), t_class, cce_ref(t_class, p)),
        (losses.SparseCategoricalCrossentropy(), labels, sparse_cce_ref(labels, p, False)),
    ]
    for loss, t, ref in cases:
        got_loss, got_grad = run(loss, t, p)
        assert np.isfinite(got_loss) and np.all(np.isfinite(got_grad)), loss
        assert_close(got_loss, got_grad, *ref)
    # A confident wrong answer costs -log(1e-7) (about 16.1), as in Keras.
    assert float(losses.binary_crossentropy(np.ones(1, np.float32), np.zeros(1, np.float32)).numpy()) == (
        pytest.approx(-np.log(LO), rel=1e-6)
    )


@pytest.mark.parametrize("target", [0.0, 1.0, 0.25])
def test_binary_crossentropy_is_accurate_element_by_element(cpu_isa, target):
    """One element at a time (a mean over many would hide a bad one), across the whole range: the
    float32 polynomial exp/log inside the kernel keep every loss and gradient within 1e-5."""
    magnitudes = np.logspace(-8, 2, 161)
    x_values = np.concatenate([-magnitudes[::-1], [0.0], magnitudes]).astype(np.float32)
    p_values = np.concatenate([np.logspace(-7, -0.31, 30), 1 - np.logspace(-0.31, -6.5, 30)]).astype(np.float32)
    t = np.array([target], np.float32)
    for from_logits, values, ref in ((True, x_values, bce_logits_ref), (False, p_values, bce_ref)):
        for v in values:
            got_loss, got_grad = run(losses.BinaryCrossentropy(from_logits=from_logits), t, np.array([v], np.float32))
            ref_loss, ref_grad = ref(t, np.array([v], np.float32))
            np.testing.assert_allclose(got_loss, ref_loss, rtol=1e-5, atol=1e-12, err_msg=f"{v!r}")
            np.testing.assert_allclose(got_grad, ref_grad, rtol=1e-5, atol=1e-12, err_msg=f"{v!r}")


def test_categorical_crossentropy_probabilities_element_by_element(cpu_isa):
    """A row with one tiny and one large probability: each log in the fused row loop is accurate."""
    for q in np.logspace(-7, -0.01, 40):
        p = np.array([[q, 1.0 - q]], np.float32)
        for t in (np.array([[1.0, 0.0]], np.float32), np.array([[0.0, 1.0]], np.float32)):
            assert_close(*run(losses.CategoricalCrossentropy(), t, p), *cce_ref(t, p))


def test_kinks_mae_subgradient_zero_and_huber_at_delta(cpu_isa):
    t = np.array([[0.0, 1.0, 2.0, -1.0]], np.float32)
    p = np.array([[0.0, 1.0, 3.0, -1.5]], np.float32)  # equal, equal, +1, -0.5
    _, grad = run(losses.MeanAbsoluteError(), t, p)
    np.testing.assert_array_equal(grad, np.array([[0.0, 0.0, 0.25, -0.25]], np.float32))
    _, grad = run(losses.Huber(delta=1.0), t, p)  # |e| == delta is the quadratic side: e itself
    np.testing.assert_allclose(grad, np.array([[0.0, 0.0, 0.25, -0.125]]), rtol=1e-7)
    loss_value, grad = run(losses.Huber(delta=0.0), t, p)
    assert loss_value == 0.0 and np.all(grad == 0.0)


def test_nan_predictions_give_a_nan_loss(rng, cpu_isa):
    """A diverged model must show up as NaN, not be silently dropped by a clamp or a max."""
    x = rng.standard_normal((3, 6)).astype(np.float32)
    x[1, 2] = np.nan
    t = class_logits(rng, x.shape)[0]
    labels = labels_for(rng, x.shape)
    cases = [
        (losses.MeanSquaredError(), t),
        (losses.BinaryCrossentropy(from_logits=True), t),
        (losses.CategoricalCrossentropy(from_logits=True), t),
        (losses.SparseCategoricalCrossentropy(from_logits=True), labels),
    ]
    for loss, target in cases:
        loss_value, grad = run(loss, target, x)
        assert np.isnan(loss_value), loss
        assert np.isnan(grad[1, 2]), loss
        assert np.all(np.isfinite(grad[[0, 2]])), loss  # the other rows are untouched


# --- PyTorch as an oracle where the semantics coincide ------------------------------------------
def torch_run(fn, y_pred, *args):
    x = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    out = fn(x, *args)
    out.backward()
    return out.item(), x.grad.numpy()


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (3, 5, 11), (67, 1000)], ids=str)
def test_elementwise_losses_match_torch(rng, shape):
    t, p = regression(rng, shape)
    tt = torch.tensor(t, dtype=torch.float64)
    assert_close(*run(losses.MeanSquaredError(), t, p), *torch_run(F.mse_loss, p, tt))
    assert_close(*run(losses.MeanAbsoluteError(), t, p), *torch_run(F.l1_loss, p, tt))
    for delta in (1.0, 0.5):
        huber_torch = torch_run(lambda x, y: F.huber_loss(x, y, delta=delta), p, tt)
        assert_close(*run(losses.Huber(delta), t, p), *huber_torch)
    t, p = probabilities(rng, shape)  # inside Keras's clip range, where torch's BCE agrees
    assert_close(*run(losses.BinaryCrossentropy(), t, p), *torch_run(F.binary_cross_entropy, p, torch.tensor(t).double()))
    t, x = logits(rng, shape)
    x[..., 0] = 100.0
    x.flat[-1] = -100.0
    bce_torch = torch_run(F.binary_cross_entropy_with_logits, x, torch.tensor(t).double())
    assert_close(*run(losses.BinaryCrossentropy(from_logits=True), t, x), *bce_torch)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (13, 1), (7, 13), (67, 1000)], ids=str)
def test_crossentropies_match_torch(rng, shape):
    t, x = class_logits(rng, shape)
    x[0, 0] = 100.0
    x[-1, -1] = -100.0
    tt = torch.tensor(t, dtype=torch.float64)
    assert_close(*run(losses.CategoricalCrossentropy(from_logits=True), t, x), *torch_run(F.cross_entropy, x, tt))
    labels = labels_for(rng, shape)
    tl = torch.tensor(labels)
    sparse = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert_close(*run(sparse, labels, x), *torch_run(F.cross_entropy, x, tl))
    # Probabilities: log_softmax(log p) = log(p / sum(p)), Keras's row normalization, when inside the clip.
    t, p = class_probabilities(rng, shape)
    tt = torch.tensor(t, dtype=torch.float64)
    cce_torch = torch_run(lambda q, y: F.cross_entropy(torch.log(q), y), p, tt)
    assert_close(*run(losses.CategoricalCrossentropy(), t, p), *cce_torch)
    sparse_torch = torch_run(lambda q, y: F.cross_entropy(torch.log(q), y), p, tl)
    assert_close(*run(losses.SparseCategoricalCrossentropy(), labels, p), *sparse_torch)


# --- errors -------------------------------------------------------------------------------------------
def test_shape_mismatch_names_both_shapes(rng):
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true \(3, 4\) and y_pred \(4, 3\)"):
        losses.mse(np.zeros((3, 4), np.float32), np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: y_true \(2, 5\) and y_pred \(2, 6\)"):
        losses.categorical_crossentropy(np.zeros((2, 5), np.float32), np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match=r"labels \(3,\) do not match y_pred \(2, 6\)"):
        losses.sparse_categorical_crossentropy(np.zeros(3, np.int64), np.zeros((2, 6), np.float32))


def test_wrong_dtypes_are_type_errors():
    labels = ironnet.from_numpy(np.zeros((2, 3), np.int32))
    with pytest.raises(TypeError, match=r"mean_absolute_error: y_pred \(2, 3\) must be float32, got int32"):
        losses.mae(np.zeros((2, 3), np.float32), labels)
    with pytest.raises(TypeError, match=r"binary_crossentropy: y_true \(2, 3\) must be float32, got int32"):
        losses.binary_crossentropy(labels, np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"sparse_categorical_crossentropy: labels \(2,\) must be int32 or int64"):
        losses.sparse_categorical_crossentropy(np.array([0.0, 1.0]), np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("bad", [3, -1, 1000])
@pytest.mark.parametrize("from_logits", [False, True])
def test_labels_out_of_range(bad, from_logits):
    labels = np.array([0, bad, 1], np.int32)
    message = rf"sparse_categorical_crossentropy: label {bad} at position 1 is out of range for 3 classes"
    with pytest.raises(ValueError, match=message):
        losses.sparse_categorical_crossentropy(labels, np.ones((3, 3), np.float32), from_logits)
    with pytest.raises(ValueError, match="out of range for 3 classes"):
        _C.sparse_categorical_crossentropy_backward(
            ironnet.from_numpy(labels)._impl, ironnet.from_numpy(np.ones((3, 3), np.float32))._impl, from_logits, 1.0
        )


def test_bad_arguments():
    with pytest.raises(ValueError, match="huber: delta must be a finite number >= 0, got -1"):
        losses.huber(np.zeros(2, np.float32), np.zeros(2, np.float32), delta=-1.0)
    with pytest.raises(ValueError, match=r"needs a last \(class\) axis of at least 1 class"):
        losses.categorical_crossentropy(np.zeros((2, 0), np.float32), np.zeros((2, 0), np.float32))
    with pytest.raises(ValueError, match="reduction 'sum' is not supported yet"):
        losses.MeanSquaredError(reduction="sum")


def test_get_resolves_keras_names():
    expected = {
        "mse": losses.MeanSquaredError,
        "mean_squared_error": losses.MeanSquaredError,
        "mae": losses.MeanAbsoluteError,
        "huber": losses.Huber,
        "binary_crossentropy": losses.BinaryCrossentropy,
        "categorical_crossentropy": losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
    }
    for name, cls in expected.items():
        assert type(losses.get(name)) is cls
    loss = losses.Huber(delta=2.0)
    assert losses.get(loss) is loss and losses.get(losses.mse) is losses.mse and losses.get(None) is None
    with pytest.raises(ValueError, match=r"unknown loss 'msee'; valid names: .*mean_squared_error.*mse"):
        losses.get("msee")


def test_functions_match_classes(rng):
    t, p = class_logits(rng, (4, 5))
    assert float(losses.mse(t, p).numpy()) == float(losses.MeanSquaredError()(t, p).numpy())
    assert float(losses.categorical_crossentropy(t, p, from_logits=True).numpy()) == float(
        losses.CategoricalCrossentropy(from_logits=True)(t, p).numpy()
    )
