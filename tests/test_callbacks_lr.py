"""LearningRateScheduler and ReduceLROnPlateau: the rate the optimizer uses each epoch, the
'learning_rate' History records, Keras's patience/cooldown/min_lr rules, and the errors."""
import numpy as np
import pytest

import ironnet
from ironnet import callbacks, layers, models, optimizers


def tiny_model(lr=0.1, use_bias=True):
    model = models.Sequential([layers.Dense(1, input_shape=(3,), use_bias=use_bias)])
    model.compile(optimizers.SGD(lr), "mse")
    return model


def regression(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32))


class WeightsAtEpochEnd(callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = [self.model.get_weights()[0].copy()]

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights()[0].copy())


class ScriptedLogs(callbacks.Callback):
    """Overwrites a logged value with a scripted sequence, before the callbacks listed after it see it."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


# --- LearningRateScheduler -------------------------------------------------------------------------

def test_scheduler_sets_the_rate_each_epoch_and_logs_it():
    ironnet.set_random_seed(0)
    x, y = regression()
    model = tiny_model(lr=0.1)
    seen = []

    def halve_from_epoch_2(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr * 0.5

    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(halve_from_epoch_2)])
    expected = [0.1, 0.1, 0.05, 0.025, 0.0125]
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-12)
    assert [e for e, _ in seen] == [0, 1, 2, 3, 4]
    assert [lr for _, lr in seen] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.025], rel=1e-12)  # the current rate
    assert model.optimizer.learning_rate == pytest.approx(0.0125, rel=1e-12)
    assert set(history.history) == {"loss", "learning_rate"}


def test_scheduler_rate_is_the_one_the_updates_use():
    ironnet.set_random_seed(0)
    x, y = regression()
    model = tiny_model()
    weights = WeightsAtEpochEnd()
    model.fit(x, y, epochs=3, batch_size=len(x), verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 if epoch == 0 else 0.0), weights])
    assert not np.array_equal(weights.weights[0], weights.weights[1])  # epoch 0 trained
    np.testing.assert_array_equal(weights.weights[1], weights.weights[3])  # rate 0: epochs 1-2 froze it


def test_scheduler_with_initial_epoch_and_verbose(capsys):
    x, y = regression()
    model = tiny_model()
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 * (epoch + 1), verbose=1)
    history = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[schedule])
    assert history.history["learning_rate"] == pytest.approx([0.03, 0.04])
    out = capsys.readouterr().out
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.03" in out


def test_scheduler_errors():
    x, y = regression()
    with pytest.raises(TypeError, match="LearningRateScheduler: schedule must be a function"):
        callbacks.LearningRateScheduler(0.1)
    for bad, what in (("0.1", "str '0.1'"), (None, "NoneType None"), (np.array([0.1, 0.2]), "ndarray")):
        with pytest.raises(ValueError, match=rf"schedule\(0, lr\) must return a number, got {what}"):
            tiny_model().fit(x, y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr, b=bad: b)])
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"returned .*; it must be finite and >= 0"):
            tiny_model().fit(x, y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr, b=bad: b)])
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)), "mse")
    with pytest.raises(ValueError, match="learning rate is a ExponentialDecay schedule"):
        model.fit(x, y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: lr)])


def test_scheduler_accepts_numpy_scalars():
    x, y = regression()
    history = tiny_model().fit(x, y, epochs=2, verbose=0,
                               callbacks=[callbacks.LearningRateScheduler(lambda e, lr: np.float32(0.5) * lr)])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025])
    assert all(type(v) is float for v in history.history["learning_rate"])


# --- ReduceLROnPlateau -----------------------------------------------------------------------------

def test_plateau_of_a_real_val_loss_reduces_after_patience():
    """The model has no bias and the validation inputs are zeros, so its val loss is the same
    every epoch: a plateau from the first epoch on, while the training loss keeps falling."""
    ironnet.set_random_seed(0)
    x, y = regression()
    model = tiny_model(lr=0.05, use_bias=False)
    val = (np.zeros((8, 3), np.float32), np.ones((8, 1), np.float32))
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
    history = model.fit(x, y, epochs=7, batch_size=8, validation_data=val, verbose=0, callbacks=[reduce])
    assert np.ptp(history.history["val_loss"]) == 0.0 and history.history["loss"][-1] < history.history["loss"][0]
    # epoch 0 sets best; epochs 1, 2 without improvement: reduced after epoch 2, again after 4 and 6
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125])
    assert model.optimizer.learning_rate == pytest.approx(0.00625)


@pytest.mark.parametrize("cooldown, expected", [
    # patience 2, factor 0.5, min_lr 0.02; the value plateaus from epoch 0 (rates logged per epoch,
    # the rate used in that epoch; a reduction takes effect from the next)
    (0, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]),
    # cooldown 1: the epoch after a reduction clears wait and then counts (Keras's order)
    (1, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02]),
    # cooldown 2: one epoch is skipped entirely before counting resumes
    (2, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02]),
])
def test_patience_cooldown_and_min_lr(cooldown, expected):
    x, y = regression()
    script = ScriptedLogs("val_loss", [1.0] * 10)
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=cooldown, min_lr=0.02)
    history = tiny_model(0.1).fit(x, y, epochs=10, validation_data=(x, y), verbose=0, callbacks=[script, reduce])
    assert history.history["learning_rate"] == pytest.approx(expected)


def test_improvement_resets_the_wait_and_min_delta_counts():
    x, y = regression()
    # 0.9995 is not an improvement on 1.0 with min_delta 1e-3; 0.5 is
    script = ScriptedLogs("val_loss", [1.0, 0.9995, 0.5, 0.5, 0.5, 0.5])
    reduce = callbacks.ReduceLROnPlateau(factor=0.1, patience=2, min_delta=1e-3)
    history = tiny_model(0.1).fit(x, y, epochs=6, validation_data=(x, y), verbose=0, callbacks=[script, reduce])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.1, 0.01])


def test_max_mode_for_accuracy_and_verbose(capsys):
    x, y = regression()
    script = ScriptedLogs("val_accuracy", [0.5, 0.6, 0.6, 0.7, 0.4])
    reduce = callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, verbose=1)
    assert reduce.mode == "max"
    history = tiny_model(0.1).fit(x, y, epochs=5, verbose=0, callbacks=[script, reduce])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05])
    assert "Epoch 3: ReduceLROnPlateau reducing learning rate to 0.05" in capsys.readouterr().out
    assert callbacks.ReduceLROnPlateau(monitor="val_f1_score").mode == "max"
    assert callbacks.ReduceLROnPlateau(monitor="val_perplexity").mode == "min"


def test_state_resets_between_fits():
    x, y = regression()
    model = tiny_model(0.1)
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, patience=1)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ScriptedLogs("val_loss", [1.0] * 3), reduce])
    assert model.optimizer.learning_rate == pytest.approx(0.025)
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[ScriptedLogs("val_loss", [2.0] * 2), reduce])
    assert history.history["learning_rate"] == pytest.approx([0.025, 0.025])  # best restarts from inf


def test_plateau_errors():
    for factor in (1.0, 1.5, 0.0, -0.1):
        with pytest.raises(ValueError, match=rf"ReduceLROnPlateau: factor must be in \(0, 1\).*factor={factor}"):
            callbacks.ReduceLROnPlateau(factor=factor)
    with pytest.raises(ValueError, match="mode must be auto, min or max, got 'up'"):
        callbacks.ReduceLROnPlateau(mode="up")
    with pytest.raises(ValueError, match="patience must be an integer >= 0, got -1"):
        callbacks.ReduceLROnPlateau(patience=-1)
    with pytest.raises(ValueError, match="cooldown must be an integer >= 0, got 1.5"):
        callbacks.ReduceLROnPlateau(cooldown=1.5)
    with pytest.raises(ValueError, match="min_lr must be >= 0, got -1"):
        callbacks.ReduceLROnPlateau(min_lr=-1)
    x, y = regression()
    with pytest.raises(ValueError, match=r"monitor 'val_loss' is not among the logged values \['learning_rate', 'loss'\]"):
        tiny_model().fit(x, y, verbose=0, callbacks=[callbacks.ReduceLROnPlateau()])
