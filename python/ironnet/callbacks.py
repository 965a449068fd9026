"""Training callbacks (keras.callbacks names): hooks the fit loop calls, and History."""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Dict, List, Optional


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


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than min_delta for `patience` epochs;
    with restore_best_weights the model ends with the weights of its best epoch."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 restore_best_weights: bool = False, verbose: int = 0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be auto, min or max, got {mode!r}")
        if mode == "auto":
            mode = "max" if _higher_is_better(monitor) else "min"
        self.monitor, self.min_delta, self.patience = monitor, abs(min_delta), patience
        self.sign = 1.0 if mode == "min" else -1.0  # compare sign * value: lower is better
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
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be auto, min or max, got {mode!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be an integer >= 0, got {value!r}")
        if not min_lr >= 0.0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr}")
        if mode == "auto":
            mode = "max" if _higher_is_better(monitor) else "min"
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), int(patience), verbose
        self.mode, self.min_delta, self.cooldown, self.min_lr = mode, abs(float(min_delta)), int(cooldown), float(min_lr)
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
