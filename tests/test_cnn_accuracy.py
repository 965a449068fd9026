"""CNNs on the real Fashion-MNIST, fixed seed: the issue's accuracy thresholds on the 10,000 test images.

Marked slow: minutes of training on two cores. CI runs them once, in the README's test command."""
import numpy as np
import pytest

import ironnet
from ironnet import layers, models, optimizers

pytestmark = pytest.mark.slow


def fashion():
    (x_tr, y_tr), (x_te, y_te) = ironnet.datasets.fashion_mnist.load_data()
    scale = np.float32(1 / 255)
    return (x_tr.reshape(-1, 28, 28, 1) * scale, y_tr), (x_te.reshape(-1, 28, 28, 1) * scale, y_te)


def decaying_adam(batch_size, rate):
    """Adam from 1e-3, the learning rate multiplied by `rate` each epoch of 60,000 samples."""
    steps_per_epoch = -(-60_000 // batch_size)
    return optimizers.Adam(optimizers.schedules.ExponentialDecay(1e-3, decay_steps=steps_per_epoch, decay_rate=rate))


def test_small_cnn_reaches_91_percent():
    # Measured with this seed: 91.8% after 15 epochs (91.5-91.8% from epoch 11 on).
    ironnet.set_random_seed(0)
    (x_tr, y_tr), (x_te, y_te) = fashion()
    model = models.Sequential([
        layers.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(decaying_adam(64, 0.9), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_tr, y_tr, epochs=15, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
    assert accuracy >= 0.91, accuracy


def conv_bn_relu(filters):
    """Conv (no bias: the batch norm's beta replaces it) -> BatchNormalization -> relu."""
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(),
            layers.Activation("relu")]


def test_deeper_cnn_with_batch_norm_dropout_and_augmentation_reaches_93_percent():
    # Measured with this seed: 93.1-93.2% from epoch 10 to 12.
    # Dropout only after the last batch norm: dropout ahead of a batch norm shifts the variance it sees
    # between training and inference, which cost about 0.5% accuracy here.
    ironnet.set_random_seed(0)
    (x_tr, y_tr), (x_te, y_te) = fashion()
    model = models.Sequential([
        layers.Input((28, 28, 1)),
        layers.RandomFlip("horizontal", seed=1),
        *conv_bn_relu(32), *conv_bn_relu(32), layers.MaxPooling2D(2),
        *conv_bn_relu(64), *conv_bn_relu(64), layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.3, seed=2),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.5, seed=3),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(decaying_adam(64, 0.8), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_tr, y_tr, epochs=13, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
    assert accuracy >= 0.93, accuracy
