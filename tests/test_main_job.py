"""`python -m ironnet`, the README's main job, end to end on the small digits set."""
import os

import numpy as np
import pytest

import ironnet
from ironnet.__main__ import main, model_path_for


def test_main_job_trains_reports_and_saves(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--dataset", "digits", "--epochs", "15", "--batch-size", "32", "--verbose", "0",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Total params:" in text and "Test accuracy on 8x8 digits:" in text
    accuracy = float(text.split("Test accuracy on 8x8 digits: ")[1].split()[0])
    assert accuracy >= 0.9, accuracy
    for name in ("training_curves.png", "confusion_matrix.png"):
        with open(out / name, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    model = ironnet.models.load_model(model_path_for(str(out), "digits"))
    (_, _), (x_te, y_te) = ironnet.datasets.digits.load_data()
    predicted = np.argmax(model.predict(x_te[..., None] / np.float32(16)), axis=1)
    assert abs(np.mean(predicted == y_te) - accuracy) < 1e-4  # the reloaded model scores the same


def test_main_job_refuses_an_unknown_device_before_any_work(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--device", "gpu0"])
    assert exit_info.value.code == 2
    assert "--device: unknown device 'gpu0'" in capsys.readouterr().err


@pytest.mark.skipif(ironnet.cuda.is_available(), reason="checks the message of a machine without a GPU")
def test_main_job_says_why_cuda_is_unavailable(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--device", "cuda"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--device: device 'cuda'" in err
    assert "built without CUDA" in err or "is not available (0 CUDA devices)" in err


@pytest.mark.cuda
@pytest.mark.big
def test_main_job_trains_on_the_gpu(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--dataset", "digits", "--epochs", "15", "--batch-size", "32", "--verbose", "0",
                 "--out", str(out), "--device", "cuda"]) == 0
    text = capsys.readouterr().out
    assert "epochs on cuda in" in text
    accuracy = float(text.split("Test accuracy on 8x8 digits: ")[1].split()[0])
    assert accuracy >= 0.9, accuracy
