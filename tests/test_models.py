"""Sequential + compile/fit/evaluate/predict/summary, callbacks, a custom loop, and the accuracy
targets on real data (XOR, scikit-learn's digits, Fashion-MNIST) with fixed seeds."""
import numpy as np
import pytest

import ironnet
from ironnet import callbacks, layers, models, optimizers


def mlp(input_dim, hidden=(256, 128), classes=10, dropout=0.0):
    stack = [layers.Dense(hidden[0], activation="relu", input_shape=(input_dim,))]
    stack += [layers.Dense(h, activation="relu") for h in hidden[1:]]
    if dropout:
        stack.append(layers.Dropout(dropout, seed=0))
    stack.append(layers.Dense(classes, activation="softmax"))
    return models.Sequential(stack)


def test_summary_matches_keras_counts():
    model = mlp(784)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # Keras reports 200,960 + 32,896 + 1,290 = 235,146 parameters for this model.
    for expected in ("(None, 256)", "200,960", "(None, 128)", "32,896", "(None, 10)", "1,290",
                     "Total params: 235,146", "Trainable params: 235,146", "Non-trainable params: 0"):
        assert expected in text, expected
    assert model.count_params() == 235_146


def test_xor_learns():
    ironnet.set_random_seed(0)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    y = np.array([[0], [1], [1], [0]], np.float32)
    model = models.Sequential([
        layers.Dense(8, activation="relu", input_shape=(2,)),
        layers.Dense(4, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=300, batch_size=4, verbose=0)
    np.testing.assert_array_equal((model.predict(x) > 0.5).astype(int).ravel(), [0, 1, 1, 0])


def digits():
    (x_tr, y_tr), (x_te, y_te) = ironnet.datasets.digits.load_data()
    flat = lambda a: a.reshape(len(a), -1).astype(np.float32) / 16.0
    return (flat(x_tr), y_tr), (flat(x_te), y_te)


def test_digits_mlp_reaches_97_percent():
    ironnet.set_random_seed(0)
    (x_tr, y_tr), (x_te, y_te) = digits()
    model = mlp(64, hidden=(64,))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_tr, y_tr, epochs=40, batch_size=32, validation_split=0.1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 40 and history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x_te, y_te, verbose=0)
    assert acc >= 0.97, acc


def test_fashion_mnist_mlp_reaches_88_percent_within_10_epochs():
    ironnet.set_random_seed(0)
    (x_tr, y_tr), (x_te, y_te) = ironnet.datasets.fashion_mnist.load_data()
    x_tr = x_tr.reshape(len(x_tr), -1).astype(np.float32) / 255.0
    x_te = x_te.reshape(len(x_te), -1).astype(np.float32) / 255.0
    model = mlp(784)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_tr, y_tr, epochs=10, batch_size=128, verbose=0)
    _, acc = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
    assert acc >= 0.88, acc


def test_fit_logs_predict_and_evaluate_forms():
    ironnet.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(0.1), "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=60, batch_size=len(x), verbose=0)  # full-batch gradient descent
    assert history.history["loss"][-1] < 1e-3 and history.epoch == list(range(60))
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [1.0, -2.0, 0.5], atol=0.05)
    assert model.predict(x).shape == (50, 1)
    loss, mae = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"loss": loss, "mae": mae}


def test_early_stopping_restores_best_weights():
    class Recorder(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = self.model.stop_training  # sees the model it trains

    ironnet.set_random_seed(2)
    (x_tr, y_tr), _ = digits()
    model = mlp(64, hidden=(32,))
    model.compile(optimizers.SGD(2.0), "sparse_categorical_crossentropy")  # too large: val loss will rise
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x_tr, y_tr, epochs=50, batch_size=32, validation_split=0.2, callbacks=[stop, Recorder()],
                        verbose=0)
    losses = history.history["val_loss"]
    assert len(losses) < 50 and stop.stopped_epoch == len(losses) - 1
    best = int(np.argmin(losses))
    assert len(losses) - 1 - best == 3  # patience 2: stopped on the third epoch without improvement
    restored = model.evaluate(*digits()[0], verbose=0)
    assert np.isfinite(restored)


def test_terminate_on_nan():
    model = models.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(optimizers.SGD(1e30), "mse")
    x = np.ones((8, 1), np.float32) * 1e10
    history = model.fit(x, x, epochs=5, batch_size=1, callbacks=[callbacks.TerminateOnNaN()], verbose=0)
    assert len(history.history["loss"]) == 1


def test_custom_training_loop_with_trainable_weights():
    ironnet.set_random_seed(3)
    (x_tr, y_tr), (x_te, y_te) = digits()
    model = mlp(64, hidden=(32,))
    loss_fn = ironnet.losses.SparseCategoricalCrossentropy()
    opt = optimizers.Adam(0.01)
    for epoch in range(5):
        for i in range(0, len(x_tr), 64):
            weights = model.trainable_weights
            for w in weights:
                w.grad = None
            loss = loss_fn(y_tr[i : i + 64], model(x_tr[i : i + 64], training=True))
            loss.backward()
            opt.apply([w.grad for w in weights], weights)
    acc = np.mean(np.argmax(model.predict(x_te), axis=1) == y_te)
    assert acc > 0.9, acc


def test_verbose_modes_print(capsys):
    model = models.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x = np.zeros((4, 2), np.float32)
    model.fit(x, x[:, :1], epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_model_errors():
    model = models.Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(RuntimeError, match=r"sequential.fit: call compile\(optimizer, loss\) first"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="a loss is needed"):
        model.compile("adam")
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"x has 3 samples \(\(3, 2\)\) but y has 2"):
        model.fit(np.zeros((3, 2)), np.zeros((2, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be in \[0, 1\)"):
        model.fit(np.zeros((3, 2)), np.zeros((3, 1)), validation_split=1.0, verbose=0)
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        model.compile("adam", "mse", metrics=["auc"])
    with pytest.raises(TypeError, match="sequential.add: expected a Layer, got int"):
        model.add(3)
    with pytest.raises(ValueError, match="EarlyStopping: monitor 'val_loss' is not among the logged values"):
        model.fit(np.zeros((3, 2)), np.zeros((3, 1)), callbacks=[callbacks.EarlyStopping()], verbose=0)
