"""Saving and loading models: `model.save(path)` / `load_model(path)` and `save_weights` / `load_weights`.

A model file is a zip archive with two members:

- `config.json`: {"format": "ironnet", "version": 1, "class_name": "Sequential" or "Functional",
  "config": model.get_config() (for Functional: the layers with their inbound connections, see
  Functional.get_config),
  "compile": {"optimizer": {"class_name", "config"}, "loss": {"class_name", "config"}, "metrics": [names]}
  or null when the model was not compiled (or was compiled with something that has no config, such as a
  plain function as the loss or a metric: then it comes back uncompiled).
- `model.weights.safetensors`: every weight as float32, keyed `<layer name>/<weight name>` (the layout
  `save_weights` writes on its own), with a sha256 of the data under the metadata key "ironnet.sha256"
  that loading checks when present.

The optimizer's hyperparameters are saved, its state (moments, velocities, the iteration count) is not:
a loaded model trains on with a freshly started optimizer.

Every write is atomic: the bytes go to a temporary file in the destination's folder, which is flushed,
fsynced and then renamed over the destination, so a crash leaves either the old file or the new one.
Reading a damaged file (truncated, flipped bytes, not a model at all) raises a ValueError naming the path.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import struct
import tempfile
import zipfile
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Union

import numpy as np

from .. import devices
from .. import losses as losses_mod
from .. import optimizers as optimizers_mod
from ..optimizers import schedules as schedules_mod

PathLike = Union[str, "os.PathLike[str]"]

FORMAT = "ironnet"
VERSION = 1
CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.safetensors"
_ZIP_MAGIC = b"PK\x03\x04"
_CHECKSUM_KEY = "ironnet.sha256"  # safetensors metadata: sha256 over the sorted keys, shapes and data
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # members carry a fixed date so equal models give equal files


# --- atomic writes ---------------------------------------------------------------------------------
def atomic_write(path: PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Calls `write(file)` on a temporary file beside `path`, fsyncs it and renames it over `path`.
    On any exception the temporary file is removed and `path` is left as it was."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _file_mode(path: str) -> int:
    """The destination's mode when it exists, else what a plain open() would give (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Makes the rename durable where the platform allows fsync on a folder (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- weights ---------------------------------------------------------------------------------------
def _named_weights(model: Any) -> Dict[str, Any]:
    """{"<layer name>/<weight name>": Weight} in the model's order; names must be unique."""
    out: Dict[str, Any] = {}
    for layer in model.layers:
        for weight in layer._weights:
            key = f"{layer.name}/{weight.name}"
            if key in out:
                raise ValueError(f"{model.name}: two weights are named {key!r}; give the layers unique names")
            out[key] = weight
    return out


def _check_built(model: Any, what: str) -> None:
    unbuilt = [layer.name for layer in model.layers if not layer.built]
    if unbuilt or not model.layers:
        raise ValueError(
            f"{model.name}.{what}: the model is not built yet (layers {unbuilt or 'none'}); give it an Input "
            "or input_shape=, or call it once, first"
        )


def _checksum(tensors: Dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        array = tensors[key]
        digest.update(key.encode())
        digest.update(repr(tuple(array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def weights_to_bytes(model: Any, what: str = "save_weights") -> bytes:
    """The model's weights as a safetensors file (float32, with a sha256 of the data in its metadata, which
    loading checks: safetensors itself has no checksum, so this is what catches flipped data bytes)."""
    from safetensors.numpy import save

    _check_built(model, what)
    tensors = {key: np.ascontiguousarray(devices.to_host(w.tensor), dtype=np.float32).copy()
               for key, w in _named_weights(model).items()}
    # One metadata key: safetensors keeps the metadata in a hash map whose order varies from run to run,
    # and equal models should give equal files.
    return save(tensors, metadata={_CHECKSUM_KEY: _checksum(tensors)})


def _safetensors_metadata(data: bytes) -> Dict[str, str]:
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    metadata = header.get("__metadata__") or {}
    return metadata if isinstance(metadata, dict) else {}


def weights_from_bytes(data: bytes, source: str) -> Dict[str, np.ndarray]:
    """Parses a safetensors file's bytes; any damage becomes a ValueError naming `source`."""
    from safetensors.numpy import load

    try:
        if len(data) < 8:
            raise ValueError(f"{len(data)} bytes is too short for a safetensors file")
        tensors = load(data)
        expected = _safetensors_metadata(data).get(_CHECKSUM_KEY)
    except Exception as err:  # safetensors, struct and json each raise their own types
        raise ValueError(f"{source}: not a valid safetensors weights file ({type(err).__name__}: {err})") from None
    if expected is not None and _checksum(tensors) != expected:
        raise ValueError(f"{source}: the weights are corrupted (their checksum does not match)")
    return tensors


def assign_weights(model: Any, tensors: Dict[str, np.ndarray], source: str) -> None:
    """Sets every weight from `tensors` after checking that the keys, shapes and dtypes all match
    (nothing is changed when any does not)."""
    _check_built(model, "load_weights")
    named = _named_weights(model)
    missing = [key for key in named if key not in tensors]
    extra = sorted(key for key in tensors if key not in named)
    mismatched = [
        f"{key}: file {tensors[key].dtype}{list(tensors[key].shape)}, model float32{list(w.tensor.shape)}"
        for key, w in named.items()
        if key in tensors and (tensors[key].dtype != np.float32 or tuple(tensors[key].shape) != tuple(w.tensor.shape))
    ]
    problems: List[str] = []
    if missing:
        problems.append(f"missing weights {missing}")
    if extra:
        problems.append(f"unexpected weights {extra}")
    if mismatched:
        problems.append(f"mismatched weights [{'; '.join(mismatched)}]")
    if problems:
        raise ValueError(f"{source}: the weights do not fit {model.name}: " + ", ".join(problems))
    for key, weight in named.items():
        devices.assign_(weight.tensor, tensors[key])  # on the weight's device


def save_weights(model: Any, path: PathLike) -> None:
    """Writes the weights to a .safetensors file (atomically)."""
    data = weights_to_bytes(model)
    atomic_write(path, lambda f: f.write(data))


def load_weights(model: Any, path: PathLike) -> None:
    """Reads weights written by `save_weights` (or any safetensors file with the same keys, shapes and
    float32 dtype) into the built model."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == _ZIP_MAGIC:  # a whole-model file: take its weights
        data = _read_archive(data, path)[1]
    assign_weights(model, weights_from_bytes(data, path), path)


# --- compile state -----------------------------------------------------------------------------------
def _optimizer_classes() -> Dict[str, type]:
    return {cls.__name__: cls for cls in (optimizers_mod.SGD, optimizers_mod.RMSprop, optimizers_mod.Adam,
                                          optimizers_mod.AdamW)}


def _loss_classes() -> Dict[str, type]:
    return {cls.__name__: cls for cls in set(losses_mod._BY_NAME.values())}


def compile_config(model: Any) -> Optional[Dict[str, Any]]:
    """The compile() arguments as JSON, or None when uncompiled or not expressible as a config."""
    optimizer, loss, metrics = model.optimizer, model.loss, getattr(model, "_compile_metrics", [])
    if optimizer is None or loss is None:
        return None
    if type(optimizer).__name__ not in _optimizer_classes() or type(loss).__name__ not in _loss_classes():
        return None
    if not all(isinstance(m, str) for m in metrics):
        return None
    opt_config = optimizer.get_config()
    lr = optimizer._learning_rate
    if isinstance(lr, schedules_mod.LearningRateSchedule):
        opt_config["learning_rate"] = {"class_name": type(lr).__name__, "config": lr.get_config()}
    return {
        "optimizer": {"class_name": type(optimizer).__name__, "config": opt_config},
        "loss": {"class_name": type(loss).__name__, "config": loss.get_config()},
        "metrics": list(metrics),
    }


def _compile_from_config(model: Any, config: Dict[str, Any]) -> None:
    opt_spec, loss_spec = config["optimizer"], config["loss"]
    opt_config = dict(opt_spec["config"])
    lr = opt_config.get("learning_rate")
    if isinstance(lr, dict):
        schedule_cls = getattr(schedules_mod, lr["class_name"], None)
        if not (isinstance(schedule_cls, type) and issubclass(schedule_cls, schedules_mod.LearningRateSchedule)):
            raise ValueError(f"unknown learning-rate schedule {lr['class_name']!r}")
        opt_config["learning_rate"] = schedule_cls(**lr["config"])
    opt_cls = _optimizer_classes().get(opt_spec["class_name"])
    loss_cls = _loss_classes().get(loss_spec["class_name"])
    if opt_cls is None or loss_cls is None:
        raise ValueError(f"unknown optimizer {opt_spec['class_name']!r} or loss {loss_spec['class_name']!r}")
    model.compile(opt_cls(**opt_config), loss_cls(**loss_spec["config"]), metrics=list(config.get("metrics") or []))


# --- whole models ------------------------------------------------------------------------------------
def _model_classes() -> Dict[str, type]:
    """The model classes a file can hold, by the class_name saved with them."""
    from .functional import Functional
    from .sequential import Sequential

    return {"Sequential": Sequential, "Functional": Functional}


def _saved_class_name(model: Any) -> str:
    """The class_name a model is saved under: the nearest supported class it derives from."""
    for name, cls in _model_classes().items():
        if isinstance(model, cls):
            return name
    raise TypeError(f"save: only Sequential and functional models can be saved, got {type(model).__name__}")


def save_model(model: Any, path: PathLike) -> None:
    """Writes the architecture, the compile() settings and the weights to one zip file (atomically).
    Sequential and functional (Model(inputs, outputs)) models are supported."""
    config = {
        "format": FORMAT,
        "version": VERSION,
        "class_name": _saved_class_name(model),
        "config": model.get_config(),
        "compile": compile_config(model),
    }
    config_bytes = json.dumps(config, indent=2).encode()
    weights = weights_to_bytes(model, "save")

    def write(f: BinaryIO) -> None:
        with zipfile.ZipFile(f, "w") as archive:
            archive.writestr(zipfile.ZipInfo(CONFIG_MEMBER, _FIXED_TIME), config_bytes,
                             compress_type=zipfile.ZIP_DEFLATED)
            _write_member(archive, WEIGHTS_MEMBER, weights)

    atomic_write(path, write)


def _write_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    # Float data barely compresses: stored as is (the zip's CRC-32 still guards it).
    archive.writestr(zipfile.ZipInfo(name, _FIXED_TIME), data, compress_type=zipfile.ZIP_STORED)


def _read_archive(data: bytes, path: str) -> "tuple[Dict[str, Any], bytes]":
    """(config.json as a dict, the weights' bytes); any damage becomes a ValueError naming the path."""
    if data[:4] != _ZIP_MAGIC:
        raise ValueError(f"{path}: not an ironnet model file (it does not start with a zip signature)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read(CONFIG_MEMBER).decode())
            weights = archive.read(WEIGHTS_MEMBER)
    except Exception as err:  # zipfile, zlib, json and KeyError (missing member) each raise their own types
        raise ValueError(f"{path}: the model file is damaged ({type(err).__name__}: {err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{path}: not an ironnet model file (config.json has no \"format\": \"{FORMAT}\")")
    if config.get("version") != VERSION:
        raise ValueError(f"{path}: format version {config.get('version')!r} is not supported (this ironnet reads "
                         f"version {VERSION})")
    return config, weights


def load_model(path: PathLike, compile: bool = True, device: Optional[str] = None) -> Any:
    """The model saved at `path`, with its weights, compiled as it was when saved (a fresh optimizer
    with the saved hyperparameters; its state is not saved). compile=False skips compiling. The file
    does not record a device: the model loads on the CPU, then moves to `device` when one is given."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    config, weights = _read_archive(data, path)
    tensors = weights_from_bytes(weights, f"{path}:{WEIGHTS_MEMBER}")
    classes = _model_classes()
    model_cls = classes.get(config.get("class_name"))
    if model_cls is None:
        raise ValueError(f"{path}: cannot load a model of class {config.get('class_name')!r} "
                         f"(known: {', '.join(classes)})")
    try:
        model = model_cls.from_config(config["config"])
        if compile and config.get("compile"):
            _compile_from_config(model, config["compile"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: the saved configuration cannot be rebuilt ({type(err).__name__}: {err})") from None
    assign_weights(model, tensors, path)
    return model if device is None else model.to(device)
