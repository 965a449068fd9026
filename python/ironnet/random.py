"""The library's random source: one explicit, seedable generator for weight initialization and
seeded layers (Keras's keras.utils.set_random_seed plays the same role)."""
from __future__ import annotations

from typing import Optional

import numpy as np

_generator = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Makes weight initialization (and every seeded op that draws from here) reproducible."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator(seed: Optional[int] = None) -> np.random.Generator:
    """A generator of its own for `seed`, else the library's (advanced by every draw)."""
    return np.random.default_rng(seed) if seed is not None else _generator
