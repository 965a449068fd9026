"""Training callbacks (keras.callbacks names): hooks the fit loop calls, and History."""
from __future__ import annotations

import csv
import math
import numbers
import os
from typing import Any, Callable, Dict, List, Optional, TextIO


def _higher_is_better(monitor: str) -> bool:
    """mode='auto': accuracies and the classification scores improve upward, everything else
    (losses, errors, perplexity) downward."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return "acc" in name or name.endswith(("precision", "recall", "f1", "f1_score", "r2", "auc"))


class Callback:
    """Subclass and override what you need; `self.model` is set by fit before training starts."""

    def __init__(self) -> None:
        self.model: Any = None

    def set_model(self, model: Any) -> None:
        self.model = model

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None: ...
    def on_train_end(self, logs: Optional[Dict[str, float]] = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: Optional[Dict[str, float]] = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, float]] = None) -> None: ...


class History(Callback):
    """Records every epoch's logs: `history["loss"]`, `history["val_accuracy"]`, ... (fit returns it)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: Dict[str, List[float]] = {}
        self.epoch: List[int] = []
        self.params: Dict[str, Any] = {}

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None:
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _mode_sign(who: str, monitor: str, mode: str) -> float:
    """+1 when lower values of `monitor` are better, -1 when higher are ('auto' guesses from the name)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be auto, min or max, got {mode!r}")
    if mode == "auto":
        mode = "max" if _higher_is_better(monitor) else "min"
    return 1.0 if mode == "min" else -1.0


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than min_delta for `patience` epochs;
    with restore_best_weights the model ends with the weights of its best epoch."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 restore_best_weights: bool = False, verbose: int = 0):
        super().__init__()
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.sign = _mode_sign("EarlyStopping", monitor, mode)  # compare sign * value: lower is better
        self.restore_best_weights, self.verbose = restore_best_weights, verbose
        self.stopped_epoch = 0

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None:
        self.wait, self.best, self.best_weights, self.best_epoch = 0, math.inf, None, 0

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(
                f"EarlyStopping: monitor {self.monitor!r} is not among the logged values {sorted(logs or {})}"
            )
        if self.sign * value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = self.sign * value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Optional[Dict[str, float]] = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        if self.verbose and self.stopped_epoch:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping (best epoch {self.best_epoch + 1})")


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, float]] = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: invalid loss {loss}, terminating training")
            self.model.stop_training = True


def _optimizer_of(model: Any, who: str) -> Any:
    """The model's optimizer, whose learning rate must be a plain number for a callback to set it."""
    from .optimizers.schedules import LearningRateSchedule

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise RuntimeError(f"{who}: the model has no optimizer; call compile() first")
    if isinstance(getattr(optimizer, "_learning_rate", None), LearningRateSchedule):
        raise ValueError(
            f"{who}: the optimizer's learning rate is a {type(optimizer._learning_rate).__name__} schedule, "
            "which already sets it every step; give the optimizer a number to let this callback set it"
        )
    return optimizer


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at the start of every epoch to ``schedule(epoch, lr)``,
    where epoch counts from 0 and lr is the current rate (Keras's callback). The rate an epoch used
    is logged as ``learning_rate`` at its end (so History records it)."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, got {type(schedule).__name__}"
            )
        self.schedule, self.verbose = schedule, verbose

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None:
        _optimizer_of(self.model, "LearningRateScheduler")

    def on_epoch_begin(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        lr = self.schedule(epoch, float(optimizer.learning_rate))
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(
                f"LearningRateScheduler: schedule({epoch}, lr) must return a number, got {type(lr).__name__} {lr!r}"
            )
        lr = float(lr)
        if not (math.isfinite(lr) and lr >= 0.0):
            raise ValueError(f"LearningRateScheduler: schedule({epoch}, lr) returned {lr}; it must be finite and >= 0")
        optimizer.learning_rate = lr
        if self.verbose:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` has not improved (by more than
    min_delta) for `patience` epochs, never below `min_lr`; after a reduction it waits `cooldown`
    epochs before counting again (Keras's callback and rules). The rate each epoch used is logged
    as ``learning_rate``; a reduction takes effect from the next epoch.

    mode: 'min', 'max', or 'auto' (max for accuracies, precision, recall, F1, R^2; min otherwise).
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1) to reduce the rate, got factor={factor}")
        sign = _mode_sign("ReduceLROnPlateau", monitor, mode)
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be an integer >= 0, got {value!r}")
        if not min_lr >= 0.0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), int(patience), verbose
        self.mode = "min" if sign > 0 else "max"
        self.min_delta, self.cooldown, self.min_lr = abs(float(min_delta)), int(cooldown), float(min_lr)
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None:
        _optimizer_of(self.model, "ReduceLROnPlateau")
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        lr = float(optimizer.learning_rate)
        logs["learning_rate"] = lr
        value = logs.get(self.monitor)
        if value is None:
            raise ValueError(
                f"ReduceLROnPlateau: monitor {self.monitor!r} is not among the logged values {sorted(logs)}"
            )
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.wait = value, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and lr > self.min_lr:
                new_lr = max(lr * self.factor, self.min_lr)
                optimizer.learning_rate = new_lr
                if self.verbose:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                self.cooldown_counter, self.wait = self.cooldown, 0


class ModelCheckpoint(Callback):
    """Saves the model (model.save) or its weights (save_weights_only: model.save_weights) at the end of
    every epoch, or with save_best_only only when `monitor` improved on the best value so far.

    `filepath` may hold str.format fields filled from the epoch's logs and the 1-based epoch number, as
    in Keras: "ckpt-{epoch:02d}-{val_loss:.2f}.ironnet". Files are written atomically."""

    def __init__(self, filepath: Any, monitor: str = "val_loss", save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", verbose: int = 0):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor, self.save_best_only, self.save_weights_only = monitor, save_best_only, save_weights_only
        self.sign = _mode_sign("ModelCheckpoint", monitor, mode)
        self.verbose = verbose
        self.best = math.inf  # of sign * value

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None:
        self.best = math.inf

    def _path(self, epoch: int, logs: Dict[str, float]) -> str:
        try:
            return self.filepath.format(**{**logs, "epoch": epoch + 1})
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(
                f"ModelCheckpoint: cannot fill filepath {self.filepath!r} from epoch and the logs "
                f"{sorted(logs)} ({type(err).__name__}: {err})"
            ) from None

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        logs = dict(logs or {})
        path = self._path(epoch, logs)
        if self.save_best_only:
            value = logs.get(self.monitor)
            if value is None:
                raise ValueError(
                    f"ModelCheckpoint: monitor {self.monitor!r} is not among the logged values {sorted(logs)}"
                )
            if not self.sign * value < self.best:
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.sign * self.best:.5f}")
                return
            if self.verbose:
                previous = "inf" if math.isinf(self.best) else f"{self.sign * self.best:.5f}"
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {previous} to {value:.5f}, saving to {path}")
            self.best = self.sign * value
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """Writes each epoch's logs to a CSV file: a header row ("epoch" and the log keys, sorted), then one
    row per epoch (0-based epoch, as Keras writes it), flushed as soon as the epoch ends. With append the
    rows go after an existing file's (no second header)."""

    def __init__(self, filename: Any, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self._file: Optional[TextIO] = None
        self._writer: Any = None
        self._keys: Optional[List[str]] = None

    def on_train_begin(self, logs: Optional[Dict[str, float]] = None) -> None:
        has_rows = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator)
        self._keys = None
        self._header_written = has_rows

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
        logs = logs or {}
        if self._file is None:
            self.on_train_begin()
        if self._keys is None:
            self._keys = sorted(logs)
            if not self._header_written:
                self._writer.writerow(["epoch", *self._keys])
                self._header_written = True
        self._writer.writerow([epoch, *(logs.get(key, "NA") for key in self._keys)])
        self._file.flush()

    def on_train_end(self, logs: Optional[Dict[str, float]] = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file, self._writer = None, None
