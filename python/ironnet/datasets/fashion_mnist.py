"""Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 grayscale images of 10 classes.

Found in ``$IRONNET_DATA/fashion-mnist``, ``~/.ironnet/datasets/fashion-mnist`` or
``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``).

When no directory has the files, load_data() downloads them from ``BASE_URL`` into
``~/.ironnet/datasets/fashion-mnist`` and checks each against the MD5 digest the dataset's authors
publish (the same digests torchvision and other loaders check; Debian's package recompressed the
files, so its copies have other digests and are found, not downloaded).
"""
from __future__ import annotations

from collections.abc import Mapping

from ._mnist_like import FILES, Arrays, Spec, load

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

# Published by the authors of Fashion-MNIST for the files at BASE_URL.
MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

SPEC = Spec(
    name="fashion-mnist",
    base_url=BASE_URL,
    system_dirs=(SYSTEM_DIR,),
    apt_package="dataset-fashion-mnist",
    checksums=MD5,
)


def load_data(checksums: Mapping[str, str] | None = None, base_url: str | None = None) -> Arrays:
    """Returns ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.fashion_mnist``.

    x: uint8 (N, 28, 28) with N = 60000 (train) / 10000 (test); y: uint8 (N,) in 0..9 (see
    CLASS_NAMES). When no directory has the files they are downloaded from ``base_url`` (default
    BASE_URL) and checked against ``checksums`` (file -> MD5 or SHA-256 hex; default: the published
    MD5). Raises FileNotFoundError naming every directory searched when that fails (offline).
    """
    return load(SPEC, checksums=checksums, base_url=base_url)


__all__ = ["BASE_URL", "CLASS_NAMES", "FILES", "MD5", "SPEC", "SYSTEM_DIR", "load_data"]
