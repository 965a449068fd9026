"""Datasets with Keras's ``load_data()`` shape: ``(x_train, y_train), (x_test, y_test)``.

- ``fashion_mnist``, ``mnist``: IDX files found locally (see ``_files`` for the search order).
- ``digits``: scikit-learn's 8x8 digits (optional extra ``ironnet[datasets]``).
- ``membrane``: matplotlib's sample time series ``membrane.dat`` as next-value windows.
- ``python_source``: a character corpus from the Python standard library's own sources (offline
  everywhere), with its vocabulary, train/validation split and next-character windows.
"""
from . import digits, fashion_mnist, membrane, mnist, python_source
from ._files import download
from ._idx import read_idx, write_idx

__all__ = ["digits", "download", "fashion_mnist", "membrane", "mnist", "python_source", "read_idx", "write_idx"]
