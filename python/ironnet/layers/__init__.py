"""Layers (keras.layers names, arguments and weight layouts)."""
from .augmentation import RandomFlip, RandomRotation, RandomTranslation
from .base import Layer
from .bidirectional import Bidirectional
from .convolutional import Conv1D, Conv2D
from .core import Activation, Dense, Flatten, Input, InputLayer
from .embedding import Embedding
from .jordan import JordanRNN
from .masking import Masking
from .merging import Add, Concatenate, Multiply, Subtract
from .normalization import BatchNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)
from .recurrent import GRU, LSTM, SimpleRNN
from .regularization import Dropout
from .symbolic import SymbolicTensor
from .time_distributed import TimeDistributed

# Every built-in layer class, by the name its saved configs use.
_BUILT_IN = (InputLayer, Dense, Activation, Flatten, Dropout, Add, Subtract, Multiply, Concatenate,
             Conv1D, Conv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D,
             GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
             BatchNormalization, RandomFlip, RandomRotation, RandomTranslation, Embedding, Masking, TimeDistributed,
             SimpleRNN, JordanRNN, LSTM, GRU, Bidirectional)

__all__ = ["Layer", "Input", "SymbolicTensor", "serialize", "deserialize", "InputLayer", "Dense", "Activation",
           "Flatten", "Dropout", "Add", "Subtract", "Multiply", "Concatenate", "Conv1D", "Conv2D", "MaxPooling1D",
           "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "BatchNormalization", "RandomFlip", "RandomRotation",
           "RandomTranslation", "Embedding", "Masking", "TimeDistributed", "SimpleRNN", "JordanRNN", "LSTM", "GRU",
           "Bidirectional"]


def _registry() -> dict:
    return {cls.__name__: cls for cls in _BUILT_IN}


def serialize(layer: Layer) -> dict:
    """{"class_name": ..., "config": layer.get_config()}: what `deserialize` turns back into a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec: dict) -> Layer:
    """A new layer from {"class_name": "Dense", "config": {...}} (the built-in layers, by class name)."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"layers.deserialize: expected {{'class_name': ..., 'config': ...}}, got {spec!r}")
    cls = _registry().get(spec["class_name"])
    if cls is None:
        raise ValueError(
            f"layers.deserialize: unknown layer class {spec['class_name']!r}; known: {', '.join(sorted(_registry()))}"
        )
    config = spec.get("config", {})
    if not isinstance(config, dict):
        raise ValueError(f"layers.deserialize: the config of {spec['class_name']} must be a dict, got {config!r}")
    try:
        return cls.from_config(config)
    except TypeError as err:  # a missing or unknown argument: the file, not the caller, is at fault
        raise ValueError(f"layers.deserialize: the config of {spec['class_name']} does not fit its constructor "
                         f"({err})") from None
