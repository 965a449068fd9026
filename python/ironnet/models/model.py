"""Model: the Keras training API (compile, fit, evaluate, predict, summary, weights) over any
network whose forward pass is `call(x, training)`; Sequential is the one built here."""
from __future__ import annotations

import math
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _C, autograd, devices, losses as losses_mod, optimizers as optimizers_mod
from .. import random as ir_random
from ..autograd import no_grad
from ..callbacks import Callback, History
from ..ops.embedding import int_tensor
from ..tensor import Tensor
from . import metrics_state, step_mask
from .progress import ProgressReporter


def _as_batch_tensor(array: np.ndarray, device: str) -> Tensor:
    """A batch as a Tensor on `device` (a view of the array on the CPU; on a GPU one asynchronous
    copy through pinned memory): integer data (token ids) stays integer, the first layer that
    computes in float32 converts it; anything else becomes float32."""
    if array.dtype.kind in "iu":
        host = int_tensor(array)
    else:
        host = Tensor(_C.TensorImpl.from_numpy(np.ascontiguousarray(array, dtype=np.float32), False))
    return host if device == "cpu" else devices.host_to_device(host, device)


class Model:
    """Subclasses provide `call(x, training)` and `layers`; this class trains and evaluates them.

    `Model(inputs, outputs, name=None)` with symbolic tensors (from Input) makes a functional model."""

    _device = "cpu"  # where the weights live; see to()

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, name: Optional[str] = None):
        self.name = name or "model"
        self.optimizer: Optional[optimizers_mod.Optimizer] = None
        self.loss: Any = None
        self.stop_training = False
        self._metrics: List[Tuple[str, metrics_state.MetricFn]] = []
        self._compile_metrics: List[Any] = []  # as given to compile(), for saving
        self.history: Optional[History] = None

    # --- what subclasses provide ---------------------------------------------------------------
    @property
    def layers(self) -> List[Any]:
        raise NotImplementedError

    def call(self, x: Tensor, training: bool = False) -> Tensor:
        raise NotImplementedError

    def call_with_mask(self, x: Any, training: bool = False) -> Tuple[Any, Optional[np.ndarray]]:
        """The outputs and their mask (batch, steps), or None when the output carries none."""
        return self.call(x, training=training), None

    def __call__(self, x: Any, training: bool = False) -> Tensor:
        return self.call(x if isinstance(x, Tensor) else _as_batch_tensor(np.asarray(x), self._device),
                         training=training)

    # --- device ----------------------------------------------------------------------------------
    @property
    def device(self) -> str:
        """Where the weights live and the model computes: 'cpu', 'cuda' (device 0) or 'cuda:N'."""
        return self._device

    def to(self, device: str) -> "Model":
        """Moves every layer's weights and state (BatchNormalization's moving statistics, stateful RNN
        states) and the optimizer's slots (momentum, moments) to `device` in place: the same Tensor
        objects, so code holding them stays valid; layers built later start there. Returns self, like
        PyTorch's Module.to. A malformed name is a ValueError; a device this build or machine lacks,
        the RuntimeError Tensor.to raises."""
        self._device = devices.canonical(device, f"{self.name}.to")
        for layer in self.layers:
            layer._move_to(self._device)
        if self.optimizer is not None:
            self.optimizer._state_follow_weights()
        return self

    def _move_for(self, device: Optional[str]) -> None:
        """fit/evaluate/predict's device argument: None keeps the model's device, else the model moves."""
        if device is not None:
            self.to(device)

    @property
    def _input_count(self) -> int:
        """How many input arrays `call` takes (a list of them when more than one); 0 for a model
        that takes exactly one array and never a list (Sequential: x=[row] is one sample)."""
        return 0

    def reset_states(self) -> None:
        """Forgets the carried-over states of every stateful layer (Keras's Model.reset_states): the next
        call starts from zeros, e.g. at the start of each pass over a long sequence fed as windows."""
        for layer in self.layers:
            if getattr(layer, "stateful", False):
                layer.reset_states()

    # --- weights ---------------------------------------------------------------------------------
    @property
    def weights(self) -> List[Tensor]:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> List[Tensor]:
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> List[Tensor]:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> List[np.ndarray]:
        return [a for layer in self.layers for a in layer.get_weights()]

    def set_weights(self, values: Sequence[Any]) -> None:
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(values) != expected:
            raise ValueError(f"{self.name}.set_weights: expected {expected} arrays, got {len(values)}")
        start = 0
        for layer in self.layers:
            n = len(layer.weights)
            layer.set_weights(values[start : start + n])
            start += n

    # --- saving (see models/saving.py for the file formats) ----------------------------------------
    def save(self, path: Any) -> None:
        """Saves the architecture, compile() settings and weights to one file (atomically); reload it with
        ironnet.models.load_model. The optimizer's state (moments, iteration count) is not saved."""
        from . import saving

        saving.save_model(self, path)

    def save_weights(self, path: Any) -> None:
        """Writes the weights to a .safetensors file (float32, keys '<layer name>/<weight name>'), atomically."""
        from . import saving

        saving.save_weights(self, path)

    def load_weights(self, path: Any) -> None:
        """Loads weights from save_weights's file (or a model file); raises ValueError naming every missing,
        unexpected or mismatched weight, and changes nothing then."""
        from . import saving

        saving.load_weights(self, path)

    # --- compile ---------------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Optional[Sequence[Any]] = None) -> None:
        """optimizer: an Optimizer or its Keras name; loss: a Loss, a Keras name or a callable
        (y_true, y_pred) -> scalar Tensor; metrics: 'accuracy', 'mse', 'mae', 'precision', 'recall',
        'f1_score', 'perplexity' or callables on arrays (see models/metrics_state.py for how each is
        computed: precision/recall/F1 threshold binary outputs at 0.5 and macro-average softmax ones)."""
        self.optimizer = optimizers_mod.get(optimizer)
        if loss is None:
            raise ValueError(f"{self.name}.compile: a loss is needed (e.g. 'sparse_categorical_crossentropy')")
        self.loss = losses_mod.get(loss)
        loss_name = loss if isinstance(loss, str) else type(self.loss).__name__
        self._metrics = metrics_state.resolve(metrics or [], _snake(loss_name),
                                              from_logits=bool(getattr(self.loss, "from_logits", False)))
        self._compile_metrics = list(metrics or [])

    def _check_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"{self.name}.{what}: call compile(optimizer, loss) first")

    # --- training --------------------------------------------------------------------------------
    def _scored(self, x: Any, y: np.ndarray, training: bool, where: str) -> Tuple[Any, np.ndarray]:
        """The predictions for batch x (copied to the model's device) and the targets they are scored
        against: all of them, or only the unmasked steps when the output carries a mask
        (models/step_mask.py). The targets stay on the host; the loss copies them to the device."""
        y_pred, mask = self.call_with_mask(_batch_tensors(x, self._device), training=training)
        return step_mask.kept_steps(y_pred, y, mask, where)

    def train_step(self, x: Any, y: np.ndarray) -> Tuple[float, np.ndarray, np.ndarray]:
        """One optimizer step on a batch (x: an array, or a list of arrays for a multi-input model);
        returns its loss, the predictions (on the host) and the targets they were scored against (y,
        less the masked steps when the output carries a mask: then both are (kept steps, ...) rows)."""
        return self._train_batch(x, y, need_predictions=True)

    def _train_batch(self, x: Any, y: np.ndarray, need_predictions: bool) -> Tuple[float, Any, np.ndarray]:
        """train_step, copying the predictions to the host only when asked (else None)."""
        weights = self.trainable_weights
        y_pred, y = self._scored(x, y, True, f"{self.name}.fit")
        loss = self.loss(y, y_pred)
        # autograd.grad, not loss.backward(): the optimizer only reads the gradients, so they need not
        # be copied into each weight's .grad (a copy per weight per step).
        self.optimizer.apply(autograd.grad(loss, weights), weights)
        # The step's one wait for the GPU: the batch loss is read for the callbacks and the progress
        # bar (the predictions copied next are ready by then).
        loss_value = float(devices.to_host(loss))
        return loss_value, devices.to_host(y_pred.detach()) if need_predictions else None, y

    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = 32, epochs: int = 1,
            verbose: Union[int, str] = "auto", callbacks: Optional[Sequence[Callback]] = None,
            validation_split: float = 0.0, validation_data: Optional[Tuple[Any, Any]] = None,
            shuffle: bool = True, initial_epoch: int = 0, device: Optional[str] = None) -> History:
        """Trains for `epochs` passes over (x, y) in shuffled mini-batches (batch_size=len(x) is full-batch
        gradient descent). validation_split holds out the last fraction of the data, before shuffling,
        as Keras does. device: None trains where the model is, else the model moves there first (see
        to()); each batch is copied there once per step. Returns the History whose .history has
        'loss', the metrics and their 'val_' forms."""
        self._check_compiled("fit")
        self._move_for(device)
        x, y = _arrays(x, y, f"{self.name}.fit", self._input_count)
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"{self.name}.fit: validation_split must be in [0, 1), got {validation_split}")
        if validation_split and validation_data is None:
            n = _length(x)
            cut = int(n * (1.0 - validation_split))
            validation_data = (_rows(x, slice(cut, n)), y[cut:])
            x, y = _rows(x, slice(0, cut)), y[:cut]
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
                raise ValueError(f"{self.name}.fit: validation_data must be a pair (x_val, y_val)")
            validation_data = _arrays(*validation_data, f"{self.name}.fit(validation_data)", self._input_count)
        n_samples = _length(x)
        batch_size = n_samples if batch_size is None else batch_size
        if batch_size <= 0:
            raise ValueError(f"{self.name}.fit: batch_size must be positive, got {batch_size}")
        steps = max(1, math.ceil(n_samples / batch_size))

        self.history = History()
        # History last, as in Keras: it records what the other callbacks add to the logs (learning_rate).
        all_callbacks = [*(callbacks or []), self.history]
        for cb in all_callbacks:
            cb.set_model(self)
        self.history.params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        reporter = ProgressReporter(verbose, epochs, steps)
        self.stop_training = False
        for cb in all_callbacks:
            cb.on_train_begin()
        rng = ir_random.generator()
        for epoch in range(initial_epoch, epochs):
            for cb in all_callbacks:
                cb.on_epoch_begin(epoch)
            reporter.epoch_begin(epoch)
            order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
            total, seen, preds, trues = 0.0, 0, [], []
            running = {name: 0.0 for name, fn in self._metrics if metrics_state.is_sample_mean(fn)} \
                if reporter.verbose == 1 else {}
            start = time.perf_counter()
            for step in range(steps):
                idx = order[step * batch_size : (step + 1) * batch_size]
                xb, yb = _rows(x, idx), y[idx]
                for cb in all_callbacks:
                    cb.on_train_batch_begin(step)
                loss, pred, scored = self._train_batch(xb, yb, need_predictions=bool(self._metrics))
                total, seen = total + loss * len(scored), seen + len(scored)  # per sample, or per kept step
                if self._metrics:
                    preds.append(pred)
                    trues.append(scored)
                shown = {"loss": total / seen}
                for name, fn in self._metrics:
                    if name in running:  # the bar's running means (verbose=1 only)
                        running[name] += metrics_state.mean_metric(fn, scored, pred) * len(scored)
                        shown[name] = running[name] / seen
                reporter.batch_end(step, shown)
                for cb in all_callbacks:
                    cb.on_train_batch_end(step, {"loss": loss})
                if self.stop_training:
                    break
            logs: Dict[str, float] = {"loss": total / max(seen, 1)}
            if self._metrics and preds:
                logs.update(self._metric_logs(np.concatenate(trues), np.concatenate(preds)))
            if validation_data is not None:
                val = self.evaluate(*validation_data, batch_size=batch_size, verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
            reporter.epoch_end(epoch, logs, time.perf_counter() - start)
            for cb in all_callbacks:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in all_callbacks:
            cb.on_train_end()
        return self.history

    def _metric_logs(self, y_true: np.ndarray, y_pred: np.ndarray) -> Dict[str, float]:
        return {name: metrics_state.mean_metric(fn, y_true, y_pred) for name, fn in self._metrics}

    # --- inference -------------------------------------------------------------------------------
    @no_grad()
    def predict(self, x: Any, batch_size: int = 32, verbose: Union[int, str] = 0,
                device: Optional[str] = None) -> np.ndarray:
        """The model's outputs for x (an array, or a list of arrays for a multi-input model), as a
        NumPy array (a list of them for a multi-output model), computed in batches in inference mode
        on `device` (None: the model's; else the model moves there first)."""
        self._move_for(device)
        x = _inputs(x, f"{self.name}.predict", self._input_count)
        n = _length(x)
        if n == 0:
            raise ValueError(f"{self.name}.predict: x is empty")
        outs = [self.call(_batch_tensors(_rows(x, slice(i, i + batch_size)), self._device), training=False)
                for i in range(0, n, batch_size)]
        if isinstance(outs[0], (list, tuple)):
            return [np.concatenate([devices.to_host(o[k]) for o in outs]) for k in range(len(outs[0]))]
        return np.concatenate([devices.to_host(o) for o in outs])

    @no_grad()
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int = 32, verbose: Union[int, str] = "auto",
                 return_dict: bool = False, device: Optional[str] = None) -> Any:
        """The loss (and metrics) over (x, y): a float, [loss, *metrics], or a dict with return_dict.
        device: None evaluates where the model is, else the model moves there first."""
        self._check_compiled("evaluate")
        self._move_for(device)
        x, y = _arrays(x, y, f"{self.name}.evaluate", self._input_count)
        total, seen, preds, trues = 0.0, 0, [], []
        for i in range(0, len(y), batch_size):
            pred, scored = self._scored(_rows(x, slice(i, i + batch_size)), y[i : i + batch_size], False,
                                        f"{self.name}.evaluate")
            total, seen = total + float(devices.to_host(self.loss(scored, pred))) * len(pred), seen + len(pred)
            preds.append(devices.to_host(pred).copy())
            trues.append(scored)
        logs = {"loss": total / seen}
        logs.update(self._metric_logs(np.concatenate(trues), np.concatenate(preds)))
        if verbose not in (0, "0"):
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    # --- description -------------------------------------------------------------------------------
    def summary(self, print_fn: Any = print) -> None:
        from .summary import format_summary

        print_fn(format_summary(self))


def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _as_array(x: Any) -> np.ndarray:
    """x as a NumPy array: integer arrays as they are (ids for an Embedding, or pixels converted a batch
    at a time), anything else as float32 once, up front."""
    x = np.asarray(devices.to_host(x) if isinstance(x, Tensor) else x)
    return x if x.dtype == np.float32 or x.dtype.kind in "iu" else x.astype(np.float32)


def _inputs(x: Any, what: str, n_inputs: int) -> Any:
    """x as one array (see _as_array), or (for a model with several inputs) a list of them of one length."""
    if n_inputs <= 1:
        if n_inputs == 1 and isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], (np.ndarray, Tensor)):
            x = x[0]
        return _as_array(x)
    if not isinstance(x, (list, tuple)) or len(x) != n_inputs:
        got = f"a list of {len(x)}" if isinstance(x, (list, tuple)) else f"a single {type(x).__name__}"
        raise ValueError(f"{what}: the model has {n_inputs} inputs, so x must be a list of {n_inputs} arrays; "
                         f"got {got}")
    xs = [_as_array(a) for a in x]
    lengths = [len(a) for a in xs]
    if len(set(lengths)) != 1:
        raise ValueError(f"{what}: the input arrays must have the same number of samples, got "
                         f"{', '.join(f'{n} ({a.shape})' for n, a in zip(lengths, xs))}")
    return xs


def _length(x: Any) -> int:
    return len(x) if isinstance(x, np.ndarray) else len(x[0])


def _rows(x: Any, index: Any) -> Any:
    """The samples `index` (a slice or index array) of one array or of each array in a list."""
    return x[index] if isinstance(x, np.ndarray) else [a[index] for a in x]


def _batch_tensors(x: Any, device: str) -> Any:
    return _as_batch_tensor(x, device) if isinstance(x, np.ndarray) else [_as_batch_tensor(a, device) for a in x]


def _arrays(x: Any, y: Any, what: str, n_inputs: int = 0) -> Tuple[Any, np.ndarray]:
    if x is None or y is None:
        raise ValueError(f"{what}: both x and y are needed")
    x = _inputs(x, what, n_inputs)
    y = np.asarray(devices.to_host(y) if isinstance(y, Tensor) else y)
    n = _length(x)
    if n != len(y):
        shape = x.shape if isinstance(x, np.ndarray) else [a.shape for a in x]
        raise ValueError(f"{what}: x has {n} samples ({shape}) but y has {len(y)} ({y.shape})")
    if n == 0:
        raise ValueError(f"{what}: x and y are empty")
    return x, y
