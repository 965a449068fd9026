"""ironnet.plot: the PNGs exist, are valid and of a sensible size, are written atomically, and a
missing matplotlib gives an ImportError that says how to install it."""
import os
import struct
import sys

import numpy as np
import pytest

import ironnet
from ironnet import layers, models, plot

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from the IHDR chunk, after checking the signature and the chunk name."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == PNG_SIGNATURE, "not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def assert_png(path, min_w=300, min_h=250):
    assert os.path.isfile(path)
    w, h = png_size(path)
    assert min_w <= w <= 4000 and min_h <= h <= 4000, (w, h)
    assert 5_000 < os.path.getsize(path) < 2_000_000


def no_temp_files(folder):
    return [f for f in os.listdir(folder) if f.endswith(".tmp")] == []


def test_history_from_fit(tmp_path):
    ironnet.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0)
    out = tmp_path / "history.png"
    assert plot.history(hist, out) == str(out)
    w, h = png_size(out)
    assert w > h  # two subplots side by side: loss and accuracy
    assert_png(out)
    assert no_temp_files(tmp_path)


def test_history_from_dict_selected_metrics_and_overwrite(tmp_path):
    logs = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.2, 0.7, 0.6], "mae": [0.9, 0.6, 0.4],
            "learning_rate": [0.1, 0.01, 0.001]}
    path = str(tmp_path / "h.png")
    plot.history(logs, path)
    assert_png(path)
    wide = png_size(path)
    plot.history(logs, path, metrics=["val_loss"])  # val_ names select their metric; replaces the file
    assert_png(path)
    assert png_size(path)[0] < wide[0]
    assert no_temp_files(tmp_path)


def test_history_errors(tmp_path):
    path = tmp_path / "x.png"
    with pytest.raises(ValueError, match=r"plot.history: \['auc'\] not in the history; it has \['loss'\]"):
        plot.history({"loss": [1.0]}, path, metrics=["auc"])
    with pytest.raises(ValueError, match="the history is empty"):
        plot.history({}, path)
    with pytest.raises(ValueError, match="one value per epoch"):
        plot.history({"loss": [1.0, 2.0], "val_loss": [1.0]}, path)
    with pytest.raises(TypeError, match="expected a History"):
        plot.history([1.0, 2.0], path)
    assert os.listdir(tmp_path) == []


def test_confusion_matrix(tmp_path, rng):
    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.8, y_true, rng.integers(0, 10, 500))
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    counts = tmp_path / "cm.png"
    normed = tmp_path / "cm_norm.png"
    assert plot.confusion_matrix(y_true, y_pred, counts) == str(counts)
    plot.confusion_matrix(y_true, y_pred, normed, class_names=names, normalize=True)
    assert_png(counts, 400, 400)
    assert_png(normed, 400, 400)
    assert no_temp_files(tmp_path)


def test_confusion_matrix_errors(tmp_path):
    with pytest.raises(ValueError, match=r"y_true must hold integer labels in \[0, 2\)"):
        plot.confusion_matrix([0, 1, 2], [0, 1, 1], tmp_path / "x.png", class_names=["a", "b"])
    with pytest.raises(ValueError, match="y_true has shape"):
        plot.confusion_matrix([0, 1], [0, 1, 1], tmp_path / "x.png")
    assert os.listdir(tmp_path) == []


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    path = tmp_path / "h.png"
    path.write_bytes(b"old")

    def broken_savefig(self, *args, **kwargs):
        args[0].write(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        plot.history({"loss": [1.0, 0.5]}, path)
    assert path.read_bytes() == b"old"  # the old file is untouched
    assert sorted(os.listdir(tmp_path)) == ["h.png"]  # and the temporary file is gone


def test_missing_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "ironnet\[plot\]"'):
        plot.history({"loss": [1.0]}, tmp_path / "h.png")
    with pytest.raises(ImportError, match=r'pip install "ironnet\[plot\]"'):
        plot.confusion_matrix([0, 1], [0, 1], tmp_path / "c.png")
    assert os.listdir(tmp_path) == []
