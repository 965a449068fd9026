"""Models (keras.models): Sequential, the functional Model(inputs, outputs) and the training API."""
from .functional import Functional
from .model import Model
from .saving import load_model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "Functional", "load_model"]
