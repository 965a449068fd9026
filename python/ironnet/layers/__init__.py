"""Layers (keras.layers names, arguments and weight layouts)."""
from .base import Layer
from .core import Activation, Dense, Flatten, Input, InputLayer
from .regularization import Dropout

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Dropout"]
