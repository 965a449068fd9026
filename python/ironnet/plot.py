"""Pictures of training: the loss and metric curves of a History, and a confusion matrix, as PNGs.

matplotlib is an optional extra (``pip install "ironnet[plot]"``), imported only when a function
here is called. Figures are drawn on matplotlib's Agg canvas directly (``Figure`` +
``FigureCanvasAgg``), never through ``pyplot``: nothing here changes the backend or the global
figure list of a program that also uses pyplot interactively.

Every file is written atomically: the PNG goes to a temporary file in the destination folder,
which then replaces ``path`` (``os.replace``), so a reader never sees a half-written image and a
failed draw leaves no file behind.
"""
from __future__ import annotations

import math
import os
import secrets
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import metrics as M

__all__ = ["history", "confusion_matrix"]

PathLike = Union[str, "os.PathLike[str]"]

_INSTALL_HINT = 'ironnet.plot needs matplotlib; install it with: pip install "ironnet[plot]"'


def _matplotlib() -> Tuple[Any, Any, Any]:
    """(Figure, FigureCanvasAgg, MaxNLocator), imported on first use."""
    try:
        import matplotlib  # noqa: F401  (first, so a missing package fails here and not half-way)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return Figure, FigureCanvasAgg, MaxNLocator


def _save_atomically(fig: Any, canvas_cls: Any, path: PathLike, dpi: int) -> str:
    """Renders `fig` as a PNG into a temporary file beside `path`, then renames it onto `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    canvas_cls(fig)  # attaches the Agg canvas to the figure
    # O_EXCL on a fresh random name (as mkstemp), but mode 0o666 so the umask decides the
    # permissions the finished file gets, as it would for a plain open().
    while True:
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=dpi)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _history_dict(history_or_dict: Any) -> Tuple[Dict[str, List[float]], List[int]]:
    """The per-epoch values and the (1-based) epoch numbers of a History or a plain dict."""
    logs = getattr(history_or_dict, "history", history_or_dict)
    if not isinstance(logs, Mapping):
        raise TypeError(
            f"plot.history: expected a History (fit's return value) or a dict of lists, got {type(history_or_dict).__name__}"
        )
    logs = {str(k): [float(v) for v in vals] for k, vals in logs.items()}
    if not logs or not any(logs.values()):
        raise ValueError("plot.history: the history is empty (no epoch was recorded)")
    lengths = {len(v) for v in logs.values()}
    if len(lengths) != 1:
        raise ValueError(
            f"plot.history: every series needs one value per epoch, got lengths {{{', '.join(f'{k}: {len(v)}' for k, v in logs.items())}}}"
        )
    n = lengths.pop()
    epochs = list(getattr(history_or_dict, "epoch", None) or range(n))
    if len(epochs) != n:
        epochs = list(range(n))
    return logs, [e + 1 for e in epochs]


def history(history_or_dict: Any, path: PathLike, metrics: Optional[Sequence[str]] = None,
            title: str = "Training history", dpi: int = 100) -> str:
    """Draws the loss and each metric against the epoch, one subplot each, into a PNG at `path`.

    history_or_dict: the History that ``fit`` returns, or a dict ``{"loss": [...], "val_loss": [...]}``.
    metrics: the series to draw (names without ``val_``), default every one logged, loss first; a
    ``val_<name>`` series, when present, is drawn as a dashed curve on its metric's subplot.
    Returns `path`.
    """
    logs, epochs = _history_dict(history_or_dict)
    available = [k for k in logs if not k.startswith("val_")]
    available += [k[4:] for k in logs if k.startswith("val_") and k[4:] not in logs]  # val-only series
    if metrics is None:
        names = sorted(available, key=lambda k: (k != "loss", available.index(k)))
    else:
        names = [m[4:] if m.startswith("val_") else m for m in metrics]
        unknown = [m for m in names if m not in available]
        if unknown:
            raise ValueError(f"plot.history: {unknown} not in the history; it has {available}")
        if not names:
            raise ValueError("plot.history: metrics is empty; pass None to draw every series")
    Figure, canvas_cls, MaxNLocator = _matplotlib()

    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(4.8 * cols, 3.6 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    marker = "o" if len(epochs) <= 30 else None
    for ax, name in zip(axes, names):
        if name in logs:  # a series with no validation twin (the learning rate) is labelled by its name
            label = "training" if f"val_{name}" in logs else name.replace("_", " ")
            # a rate holds for a whole epoch and changes between epochs: drawn as steps
            style = "steps-post" if name in ("learning_rate", "lr") else "default"
            ax.plot(epochs, logs[name], marker=marker, markersize=4, color="tab:blue", label=label, drawstyle=style)
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], marker=marker, markersize=4, linestyle="--",
                    color="tab:orange", label="validation")
        if name in ("learning_rate", "lr") and min(logs[name]) > 0 and max(logs[name]) > 10 * min(logs[name]):
            ax.set_yscale("log")
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle(title)
    return _save_atomically(fig, canvas_cls, path, dpi)


def confusion_matrix(y_true: Any, y_pred: Any, path: PathLike, class_names: Optional[Sequence[str]] = None,
                     normalize: bool = False, title: Optional[str] = None, dpi: int = 100) -> str:
    """Draws the confusion matrix of class labels as a heat map with each cell's value written in it.

    y_true, y_pred: (N,) class labels (for probabilities, argmax them first). Rows are the true
    class, columns the predicted one (scikit-learn's orientation). With `class_names` the labels
    must be integers in [0, len(class_names)) and every class gets a row, present or not;
    without, the classes are the sorted labels present in either input. normalize=True divides
    each row by its count (each true class's row sums to 1; an empty row stays 0).
    Returns `path`.
    """
    a = np.asarray(y_true)
    b = np.asarray(y_pred)
    if class_names is not None:
        names = [str(c) for c in class_names]
        counts = M.confusion_matrix(a, b, num_classes=len(names))
    else:
        counts = M.confusion_matrix(a, b)
        names = [str(c) for c in np.unique(np.concatenate([a.reshape(-1), b.reshape(-1)]))]  # validated above
    k = counts.shape[0]
    if normalize:
        rows = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows != 0)
    else:
        values = counts.astype(np.float64)
    Figure, canvas_cls, _ = _matplotlib()

    side = min(max(4.5, 0.55 * k + 2.5), 30.0)
    fig = Figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.subplots()
    vmax = 1.0 if normalize else max(float(values.max()), 1.0)
    image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class" if normalize else "count")
    ax.set_xticks(range(k), labels=names)
    ax.set_yticks(range(k), labels=names)
    if max((len(n) for n in names), default=0) > 3 or k > 12:
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title or ("confusion matrix (normalized over each true class)" if normalize else "confusion matrix"))
    if k <= 40:
        size = max(6.0, min(11.0, 120.0 / k))
        for i in range(k):
            for j in range(k):
                text = f"{values[i, j]:.2f}" if normalize else f"{int(counts[i, j])}"
                dark = values[i, j] > 0.55 * vmax
                ax.text(j, i, text, ha="center", va="center", fontsize=size, color="white" if dark else "black")
    return _save_atomically(fig, canvas_cls, path, dpi)
