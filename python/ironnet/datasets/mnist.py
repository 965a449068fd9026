"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grayscale images.

Found in ``$IRONNET_DATA/mnist`` or ``~/.ironnet/datasets/mnist`` (the four IDX files, gzipped or
not); otherwise downloaded from ``BASE_URL`` (the mirror torchvision uses, since the original host
refuses scripted downloads) and checked against the canonical files' published MD5 digests.
"""
from __future__ import annotations

from collections.abc import Mapping

from ._mnist_like import FILES, Arrays, Spec, load

BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"

# The canonical MNIST files' MD5 digests, as published with them.
MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

SPEC = Spec(name="mnist", base_url=BASE_URL, checksums=MD5)


def load_data(checksums: Mapping[str, str] | None = None, base_url: str | None = None) -> Arrays:
    """Returns ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.mnist``.

    x: uint8 (N, 28, 28), y: uint8 (N,) in 0..9. See fashion_mnist.load_data for ``checksums`` and
    ``base_url``.
    """
    return load(SPEC, checksums=checksums, base_url=base_url)


__all__ = ["BASE_URL", "FILES", "MD5", "SPEC", "load_data"]
