"""Layers (keras.layers names, arguments and weight layouts)."""
from .base import Layer
from .core import Activation, Dense, Flatten, Input, InputLayer
from .merging import Add, Concatenate, Multiply, Subtract
from .regularization import Dropout
from .symbolic import SymbolicTensor

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Flatten", "Dropout",
           "Add", "Subtract", "Multiply", "Concatenate", "SymbolicTensor"]
