"""Shared loader for datasets in the MNIST file layout (four IDX files, 28x28 uint8 images)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _files
from ._idx import read_idx

STEMS = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
FILES = tuple(stem + ".gz" for stem in STEMS)  # the names on the download servers


@dataclass(frozen=True)
class Spec:
    name: str  # directory name under $IRONNET_DATA and ~/.ironnet/datasets
    base_url: str  # canonical source of FILES
    system_dirs: Sequence[str] = ()
    apt_package: str | None = None
    # The digest upstream publishes for each file in FILES (MD5 for both MNISTs), checked after
    # every download.
    checksums: Mapping[str, str] = field(default_factory=dict)


Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _read_split(images_path: str, labels_path: str) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(images_path)
    y = read_idx(labels_path)
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: expected uint8 images (N, 28, 28), got {x.dtype} {x.shape}")
    if y.dtype != np.uint8 or y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(
            f"{labels_path}: expected {x.shape[0]} uint8 labels (N,) to match {images_path}, "
            f"got {y.dtype} {y.shape}"
        )
    return x, y


def _not_found(spec: Spec, dirs: Sequence[str], reason: str) -> FileNotFoundError:
    looked = "\n".join(f"  - {d}" for d in dirs)
    how = [
        f"put the files {', '.join(FILES)} (gzipped or not) in $IRONNET_DATA/{spec.name} "
        f"or {_files.home_dir(spec.name)}"
    ]
    if spec.apt_package:
        how.insert(0, f"install the Debian/Ubuntu package: apt-get install {spec.apt_package}")
    how.append(
        f"or, online, load_data() downloads them from {spec.base_url} and checks their digests"
    )
    return FileNotFoundError(
        f"{spec.name}: dataset files not found; looked in:\n{looked}\n{reason}\nTo get them: "
        + "; ".join(how)
    )


def load(
    spec: Spec, checksums: Mapping[str, str] | None = None, base_url: str | None = None
) -> Arrays:
    dirs = _files.candidate_dirs(spec.name, spec.system_dirs)
    paths = _files.locate(STEMS, dirs)
    if paths is None:
        checksums = checksums if checksums is not None else spec.checksums
        url = base_url or spec.base_url
        try:
            fetched = _files.fetch(spec.name, url, FILES, checksums)
        except OSError as e:  # offline, HTTP error, unwritable home
            raise _not_found(spec, dirs, f"Downloading from {url} failed: {e}") from e
        paths = {stem: fetched[stem + ".gz"] for stem in STEMS}
    train = _read_split(paths[STEMS[0]], paths[STEMS[1]])
    test = _read_split(paths[STEMS[2]], paths[STEMS[3]])
    return train, test


