"""Models (keras.models): Sequential and the Model training API."""
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
