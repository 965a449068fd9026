"""A character-level text corpus that every machine has offline: Python's own standard library.

The corpus is a fixed list of pure-Python standard-library modules (``FILES``) that exist as
single ``.py`` files in every CPython from 3.10 on, read from the running interpreter's stdlib
directory: about 0.9 million characters (CPython 3.11). The exact text, and so every figure
measured on it, varies a little between Python versions, never between runs.

    (train, val), vocab = python_source.load_data()
    x, y = python_source.windows(train, seq_len=64)      # inputs and next-character targets

``load_data`` splits each file contiguously (its first ``1 - validation_fraction`` of characters to
training, the rest to validation, so validation covers every file's style and no validation text
is ever inside a training window), builds the character vocabulary from the training part only
(characters seen fewer than ``min_count`` times share the unknown bucket, id 0), and returns the
two parts as int32 id arrays.
"""
from __future__ import annotations

import os
import sysconfig
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

# Sorted; each is a plain module (not a package) in CPython 3.10 to 3.14 and needs no C extension
# to be present as a source file. (Deliberately absent: modules that became packages, e.g.
# zipfile in 3.12, pathlib in 3.13, string in 3.14, and modules removed by PEP 594.)
FILES: tuple[str, ...] = (
    "argparse.py", "bisect.py", "calendar.py", "configparser.py", "contextlib.py", "copy.py",
    "csv.py", "dataclasses.py", "difflib.py", "fractions.py", "functools.py", "gettext.py",
    "glob.py", "heapq.py", "pprint.py", "queue.py", "random.py", "shlex.py", "shutil.py",
    "statistics.py", "tarfile.py", "textwrap.py", "threading.py", "tokenize.py",
)

UNKNOWN = "\N{REPLACEMENT CHARACTER}"  # how decode() shows the unknown/rare bucket (id 0)


def stdlib_dir() -> str:
    """The directory of the running interpreter's pure-Python standard library."""
    for candidate in (sysconfig.get_paths().get("stdlib"), os.path.dirname(os.__file__)):
        if candidate and os.path.isfile(os.path.join(candidate, "os.py")):
            return candidate
    raise FileNotFoundError(
        "python_source: cannot find the standard library's .py sources (looked in "
        f"sysconfig's 'stdlib' path and {os.path.dirname(os.__file__)!r}); this interpreter may "
        "ship its standard library compiled or zipped"
    )


def load_texts(files: Sequence[str] = FILES, directory: str | None = None) -> list[str]:
    """The text of each file in ``files`` (names relative to ``directory``, default stdlib_dir())."""
    directory = stdlib_dir() if directory is None else directory
    missing = [f for f in files if not os.path.isfile(os.path.join(directory, f))]
    if missing:
        raise FileNotFoundError(f"python_source: {len(missing)} corpus files missing from {directory!r}: {missing}")
    texts = []
    for f in files:
        with open(os.path.join(directory, f), encoding="utf-8") as fh:
            texts.append(fh.read())
    return texts


class CharVocab:
    """Characters <-> int ids. Id 0 is the unknown/rare bucket; known characters get ids 1..size-1
    in code-point order, so the same character set always gives the same ids."""

    def __init__(self, chars: Iterable[str]):
        self.chars: list[str] = [UNKNOWN] + sorted(set(chars) - {UNKNOWN})
        self._index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str, min_count: int = 1) -> "CharVocab":
        """The characters that occur at least ``min_count`` times in ``text``."""
        if min_count < 1:
            raise ValueError(f"CharVocab.from_text: min_count must be >= 1, got {min_count}")
        return cls(c for c, n in Counter(text).items() if n >= min_count)

    @property
    def size(self) -> int:
        """Number of ids, the unknown bucket included (the Embedding's input_dim)."""
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """(len(text),) int32 ids; characters outside the vocabulary become 0."""
        return np.fromiter((self._index.get(c, 0) for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids: Iterable[int]) -> str:
        """The text of 1-D ``ids``; id 0 shows as UNKNOWN."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and (ids.min() < 0 or ids.max() >= self.size)):
            raise ValueError(
                f"CharVocab.decode: expects 1-D ids in [0, {self.size}), got shape {ids.shape}"
                + (f" with values in [{ids.min()}, {ids.max()}]" if ids.size else "")
            )
        return "".join(self.chars[i] for i in ids.tolist())


def split_text(texts: Sequence[str], validation_fraction: float) -> tuple[str, str]:
    """(train, validation) text: each text's head goes to train and its tail to validation."""
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"python_source: validation_fraction must be in (0, 1), got {validation_fraction}")
    cuts = [len(t) - int(round(len(t) * validation_fraction)) for t in texts]
    return "".join(t[:c] for t, c in zip(texts, cuts)), "".join(t[c:] for t, c in zip(texts, cuts))


def load_data(
    validation_fraction: float = 0.1, min_count: int = 5, files: Sequence[str] = FILES
) -> tuple[tuple[np.ndarray, np.ndarray], CharVocab]:
    """``(train_ids, val_ids), vocab``: int32 (N_train,), (N_val,) character ids and the vocabulary
    (built on the training part; characters seen < ``min_count`` times there map to 0)."""
    train, val = split_text(load_texts(files), validation_fraction)
    vocab = CharVocab.from_text(train, min_count)
    return (vocab.encode(train), vocab.encode(val)), vocab


def windows(ids: np.ndarray, seq_len: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Language-model training pairs from a 1-D id array.

    Returns x, y: (N, seq_len) int32 with ``y[i, t] = ids[s_i + t + 1]`` the character after
    ``x[i, t] = ids[s_i + t]``, for starts ``s_i = i * stride`` (default ``stride = seq_len``:
    non-overlapping windows, every target predicted once). A tail shorter than a window is dropped.
    """
    ids = np.asarray(ids)
    stride = seq_len if stride is None else stride
    if ids.ndim != 1:
        raise ValueError(f"python_source.windows: expects 1-D ids, got shape {ids.shape}")
    if seq_len < 1 or stride < 1:
        raise ValueError(f"python_source.windows: seq_len and stride must be >= 1, got {seq_len} and {stride}")
    if ids.size < seq_len + 1:
        raise ValueError(f"python_source.windows: {ids.size} ids are too few for one window of {seq_len} + 1")
    starts = np.arange(0, ids.size - seq_len, stride)
    offsets = starts[:, None] + np.arange(seq_len)[None, :]
    return ids[offsets].astype(np.int32), ids[offsets + 1].astype(np.int32)


__all__ = ["FILES", "UNKNOWN", "CharVocab", "load_data", "load_texts", "split_text", "stdlib_dir", "windows"]
