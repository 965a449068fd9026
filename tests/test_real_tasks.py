"""The three real recurrent tasks of examples/, trained with their fixed seeds, each against its
baseline on the same data: a character LM against the Kneser-Ney trigram, a digit classifier
against the majority class, a forecaster against persistence. Each takes up to about a minute on
two cores, so they are marked slow. They run at the default thread count (OMP_NUM_THREADS, else
every core)."""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))
import char_lm  # noqa: E402  (examples/ is not a package)
import sequence_classifier  # noqa: E402
import time_series  # noqa: E402

pytestmark = pytest.mark.slow


def test_char_lm_beats_the_trigram_and_samples_text():
    start = time.perf_counter()
    r = char_lm.run(epochs=3, units=128, cell="gru")
    print(f"char LM: validation perplexity {r['val_perplexity']:.3f} against the trigram's "
          f"{r['trigram_perplexity']:.3f}; {time.perf_counter() - start:.1f} s")
    assert 4.0 < r["trigram_perplexity"] < 8.0  # a sane baseline, so beating it means something
    assert r["val_perplexity"] < 0.8 * r["trigram_perplexity"]
    # exp(loss) is the perplexity (the metric clips probabilities as the loss does).
    assert r["val_perplexity"] == pytest.approx(np.exp(r["val_loss"]), rel=1e-4)
    vocab = r["vocab"]
    text = char_lm.sample(r["model"], vocab, "def ", 200, 1.0, np.random.default_rng(0))
    assert len(text) == 200 and set(text) <= set(vocab.chars[1:])
    # The samples read like Python to an independent judge: the trigram finds them far likelier
    # than uniformly random characters (perplexity vocab.size), near its perplexity on real code.
    assert r["trigram"].perplexity(vocab.encode("def " + text)) < 3 * r["trigram_perplexity"]
    uniform = np.random.default_rng(0).integers(1, vocab.size, 200)
    assert r["trigram"].perplexity(uniform) > 5 * r["trigram_perplexity"]


def test_sequence_classifier_beats_the_majority_class():
    r = sequence_classifier.run(epochs=10)
    print(f"digits GRU: test accuracy {r['accuracy']:.4f} against {r['majority_accuracy']:.4f}; "
          f"{r['train_seconds']:.1f} s")
    assert r["majority_accuracy"] < 0.15
    assert r["accuracy"] > 0.9


def test_time_series_forecast_beats_persistence():
    r = time_series.run(epochs=6)
    print(f"membrane GRU: test MSE {r['mse']:.3e} against persistence {r['persistence_mse']:.3e} and mean "
          f"{r['mean_mse']:.3e}; {r['train_seconds']:.1f} s")
    assert r["mse"] < 0.8 * r["persistence_mse"] < 0.8 * r["mean_mse"]
