"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grayscale images.

Found in ``$IRONNET_DATA/mnist`` or ``~/.ironnet/datasets/mnist`` (the four IDX files, gzipped
or not). No distribution package was available to check the canonical files against, so no
SHA-256 is built in and automatic download is unavailable: ``load_data(sha256={...})`` downloads
from ``BASE_URL`` only with checksums the caller supplies for all four files.
"""
from __future__ import annotations

from collections.abc import Mapping

from ._mnist_like import FILES, Arrays, Spec, load

BASE_URL = "http://yann.lecun.com/exdb/mnist/"

SPEC = Spec(name="mnist", base_url=BASE_URL)


def load_data(sha256: Mapping[str, str] | None = None, base_url: str | None = None) -> Arrays:
    """Returns ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.mnist``.

    x: uint8 (N, 28, 28), y: uint8 (N,) in 0..9. See fashion_mnist.load_data for ``sha256`` and
    ``base_url``.
    """
    return load(SPEC, sha256=sha256, base_url=base_url)


__all__ = ["BASE_URL", "FILES", "SPEC", "load_data"]
