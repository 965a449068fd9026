"""`python -m ironnet`: the main job. Trains a convolutional network on Fashion-MNIST (scikit-learn's 8x8 digits
when Fashion-MNIST is not on this machine, and it says so), shows the model summary and the training
progress, reports the test accuracy, and saves the trained model and its training curves.

`python -m ironnet.demo_gemm` is the tensor-API tour and GEMM-versus-NumPy benchmark.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional, Tuple

import numpy as np

import ironnet
from ironnet import layers, models, optimizers

Data = Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def load(dataset: str) -> Tuple[str, Data]:
    """The dataset as (N, H, W, 1) float images in [0, 1] and integer labels; Fashion-MNIST falls back
    to digits."""
    if dataset == "fashion_mnist":
        try:
            (x_tr, y_tr), (x_te, y_te) = ironnet.datasets.fashion_mnist.load_data()
            return "Fashion-MNIST", ((_images(x_tr, 255), y_tr), (_images(x_te, 255), y_te))
        except FileNotFoundError as err:
            first_line = str(err).splitlines()[0]
            print(f"Fashion-MNIST is not on this machine ({first_line}).")
            print("Falling back to scikit-learn's bundled 8x8 digits; for the real thing: "
                  "apt-get install dataset-fashion-mnist, or set IRONNET_DATA.\n")
    (x_tr, y_tr), (x_te, y_te) = ironnet.datasets.digits.load_data()
    return "8x8 digits", ((_images(x_tr, 16), y_tr), (_images(x_te, 16), y_te))


def _images(pixels: np.ndarray, top: int) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, H, W, 1) in [0, 1]: channels_last, one channel."""
    return pixels[..., None] * np.float32(1 / top)


def build_model(input_shape: Tuple[int, ...], classes: int) -> models.Sequential:
    """Two conv blocks ('same' padding, so 8x8 digits fit as well as 28x28 images), then a classifier."""
    return models.Sequential([
        layers.Input(input_shape),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3, seed=0),
        layers.Dense(classes, activation="softmax"),
    ], name="fashion_cnn")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ironnet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["fashion_mnist", "digits"], default="fashion_mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="ironnet-output", help="folder for the saved model and plots")
    parser.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1, help="fit's progress display")
    parser.add_argument("--device", default="cpu", help="where to train: 'cpu', 'cuda' or 'cuda:N'")
    args = parser.parse_args(argv)
    try:
        device = ironnet.devices.canonical(args.device, "--device")
    except (TypeError, ValueError, RuntimeError) as error:
        parser.error(str(error))  # exits with status 2 and the message, before any work

    ironnet.show_config()
    ironnet.set_random_seed(args.seed)
    name, ((x_tr, y_tr), (x_te, y_te)) = load(args.dataset)
    classes = int(y_tr.max()) + 1
    print(f"\n{name}: {len(x_tr)} training and {len(x_te)} test images of {x_tr.shape[1:]}, {classes} classes\n")

    model = build_model(x_tr.shape[1:], classes)
    model.summary()
    model.compile(optimizers.Adam(args.learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_tr, y_tr, epochs=args.epochs, batch_size=args.batch_size, validation_split=0.1,
                        verbose=args.verbose, device=device)
    seconds = time.perf_counter() - start
    trained = len(history.epoch) * int(len(x_tr) * 0.9)
    loss, accuracy = model.evaluate(x_te, y_te, batch_size=1000, verbose=0)
    print(f"\nTrained {len(history.epoch)} epochs on {device} in {seconds:.1f} s ({trained / seconds:,.0f} samples/s)")
    print(f"Test accuracy on {name}: {accuracy:.4f} (loss {loss:.4f})")

    os.makedirs(args.out, exist_ok=True)
    model_path = model_path_for(args.out, args.dataset)
    model.save(model_path)
    curves = ironnet.plot.history(history, os.path.join(args.out, "training_curves.png"))
    predictions = np.argmax(model.predict(x_te, batch_size=1000), axis=1)
    class_names = FASHION_CLASSES if name == "Fashion-MNIST" else None
    confusion = ironnet.plot.confusion_matrix(y_te, predictions, os.path.join(args.out, "confusion_matrix.png"),
                                              class_names=class_names)
    print(f"Saved the model to {model_path} (ironnet.models.load_model reads it back),")
    print(f"the training curves to {curves} and the confusion matrix to {confusion}")
    return 0


def model_path_for(folder: str, dataset: str) -> str:
    return os.path.join(folder, f"{dataset}_cnn.ironnet")


if __name__ == "__main__":
    sys.exit(main())
