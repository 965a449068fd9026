"""Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 grayscale images of 10 classes.

Found in ``$IRONNET_DATA/fashion-mnist``, ``~/.ironnet/datasets/fashion-mnist`` or
``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``).

Checksums: the canonical files are served from ``BASE_URL``; upstream publishes only their MD5
digests (8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd... in its README, also shipped by the
Debian package). Debian's ``dataset-fashion-mnist`` 0.0~git20200523.55506a9-1 recompressed the
files when it was built (gzip mtime 2020-06-05, MD5 digests differ from upstream's), so no
SHA-256 of the canonical ``.gz`` files could be computed or verified here. Automatic download is
therefore unavailable: ``load_data(sha256={...})`` downloads only with checksums the caller
supplies for all four files.
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

SPEC = Spec(
    name="fashion-mnist",
    base_url=BASE_URL,
    system_dirs=(SYSTEM_DIR,),
    apt_package="dataset-fashion-mnist",
)


def load_data(sha256: Mapping[str, str] | None = None, base_url: str | None = None) -> Arrays:
    """Returns ``(x_train, y_train), (x_test, y_test)`` like ``keras.datasets.fashion_mnist``.

    x: uint8 (N, 28, 28) with N = 60000 (train) / 10000 (test); y: uint8 (N,) in 0..9 (see
    CLASS_NAMES). ``sha256`` maps each of FILES to its hex digest and enables downloading from
    ``base_url`` (default BASE_URL) into ``~/.ironnet/datasets/fashion-mnist`` when no directory
    has the files. Raises FileNotFoundError naming every directory searched otherwise.
    """
    return load(SPEC, sha256=sha256, base_url=base_url)


__all__ = ["BASE_URL", "CLASS_NAMES", "FILES", "SPEC", "SYSTEM_DIR", "load_data"]
