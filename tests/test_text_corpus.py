"""ironnet.datasets.python_source (the stdlib character corpus) and the baselines the real tasks
are measured against: the Kneser-Ney n-gram model (checked against a literal dictionary
implementation) and the trivial majority / persistence / mean predictors."""
from __future__ import annotations

import itertools
import os

import numpy as np
import pytest
from reference.ngram_ref import kneser_ney_prob

from ironnet import baselines
from ironnet.datasets import python_source


@pytest.fixture(scope="module")
def corpus():
    return python_source.load_data()


def test_corpus_is_deterministic_and_sized(corpus):
    (train, val), vocab = corpus
    assert train.dtype == val.dtype == np.int32
    assert 500_000 < train.size + val.size < 1_500_000  # ~0.9 MB on CPython 3.10-3.13
    assert val.size == pytest.approx(0.1 * (train.size + val.size), rel=0.01)
    (train2, val2), vocab2 = python_source.load_data()
    np.testing.assert_array_equal(train, train2)
    np.testing.assert_array_equal(val, val2)
    assert vocab.chars == vocab2.chars
    # Python source is mostly ASCII: every printable ASCII character and the newline are known.
    for c in "\n abcxyzABC019()[]{}:=_#'\"":
        assert c in vocab.chars
    assert 60 < vocab.size < 200 and vocab.chars[0] == python_source.UNKNOWN
    assert np.mean(val == 0) < 1e-3  # the unknown bucket is rare


def test_split_is_per_file_and_contiguous():
    texts = ["0123456789", "abcdefghij"]
    assert python_source.split_text(texts, 0.3) == ("0123456abcdefg", "789hij")
    # Validation is each file's tail: the real corpus's validation text ends every file.
    full = python_source.load_texts()
    train, val = python_source.split_text(full, 0.1)
    assert train + val != "".join(full) and sorted(train + val) == sorted("".join(full))
    assert val.endswith(full[-1][-1000:]) and train.startswith(full[0][:1000])


def test_files_exist_in_the_stdlib_directory():
    directory = python_source.stdlib_dir()
    assert os.path.isfile(os.path.join(directory, "os.py"))
    assert all(os.path.isfile(os.path.join(directory, f)) for f in python_source.FILES)
    assert list(python_source.FILES) == sorted(set(python_source.FILES))


def test_vocab_encode_decode_and_rare_bucket():
    vocab = python_source.CharVocab.from_text("aaabbc\n", min_count=2)
    assert vocab.chars == [python_source.UNKNOWN, "a", "b"] and vocab.size == 3
    ids = vocab.encode("abcz")
    np.testing.assert_array_equal(ids, [1, 2, 0, 0])
    assert ids.dtype == np.int32
    assert vocab.decode(ids) == "ab" + python_source.UNKNOWN * 2
    assert vocab.decode([]) == ""
    with pytest.raises(ValueError, match=r"CharVocab.decode: expects 1-D ids in \[0, 3\), got shape \(2,\) with values in \[0, 3\]"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        python_source.CharVocab.from_text("a", min_count=0)


@pytest.mark.parametrize("seq_len,stride", [(1, None), (5, None), (7, 3), (4, 1)])
def test_windows_pair_each_input_with_the_next_id(seq_len, stride):
    ids = np.arange(23, dtype=np.int32) * 2
    x, y = python_source.windows(ids, seq_len, stride)
    step = seq_len if stride is None else stride
    assert x.shape == y.shape == (len(range(0, 23 - seq_len, step)), seq_len)
    for i, row in enumerate(x):
        np.testing.assert_array_equal(row, ids[i * step : i * step + seq_len])
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])  # targets are the inputs shifted by one
    np.testing.assert_array_equal(y[:, -1], x[:, -1] + 2)


def test_windows_errors():
    with pytest.raises(ValueError, match=r"windows: expects 1-D ids, got shape \(2, 3\)"):
        python_source.windows(np.zeros((2, 3), np.int32), 2)
    with pytest.raises(ValueError, match="4 ids are too few for one window of 4 \\+ 1"):
        python_source.windows(np.zeros(4, np.int32), 4)
    with pytest.raises(ValueError, match="seq_len and stride must be >= 1, got 0"):
        python_source.windows(np.zeros(9, np.int32), 0)
    with pytest.raises(ValueError, match="validation_fraction must be in \\(0, 1\\), got 1.0"):
        python_source.split_text(["abc"], 1.0)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_kneser_ney_matches_the_literal_reference(rng, order):
    vocab_size = 5
    ids = rng.integers(0, vocab_size - 1, 41)  # id 4 never occurs: it lives on the uniform share
    discounts = tuple(rng.uniform(0.3, 1.0, order))
    model = baselines.KneserNeyLM(vocab_size, order, discounts).fit(ids)
    for context in itertools.product(range(vocab_size), repeat=order - 1):
        expected = [kneser_ney_prob(list(ids), vocab_size, discounts, context, w) for w in range(vocab_size)]
        np.testing.assert_allclose(model.next_probs(np.array(context, np.int64)), expected, rtol=1e-12)
        assert sum(expected) == pytest.approx(1.0, abs=1e-12)
    assert np.all(model.table > 0)


def test_kneser_ney_perplexity_and_log_probs(rng):
    ids = rng.integers(0, 6, 5000)
    model = baselines.KneserNeyLM(6, 3).fit(ids)
    lp = model.log_probs(ids[:10])
    assert lp.shape == (8,)
    expected = [np.log(model.next_probs(ids[t - 2 : t])[ids[t]]) for t in range(2, 10)]
    np.testing.assert_allclose(lp, expected, rtol=1e-14)
    assert model.perplexity(ids[:10]) == pytest.approx(np.exp(-np.mean(expected)), rel=1e-14)
    # A model of uniform random text is close to uniform: perplexity near the vocabulary size.
    assert 5.0 < model.perplexity(rng.integers(0, 6, 2000)) < 7.0


def test_kneser_ney_orders_on_the_corpus(corpus):
    """Longer contexts help on real text, and tuning on the training text alone beats (or ties)
    the default discounts on the held-out tail it tuned on."""
    (train, val), vocab = corpus
    ppl = [baselines.KneserNeyLM(vocab.size, n).fit(train).perplexity(val) for n in (1, 2, 3)]
    assert 15.0 < ppl[0] < 30.0 and ppl[2] < 0.7 * ppl[1] < 0.7 * ppl[0]
    cut = train.size - int(train.size * 0.1)  # fit_tuned's held-out tail
    head, tail = train[:cut], train[cut:]
    default = baselines.KneserNeyLM(vocab.size, 2).fit(head).perplexity(tail)
    tuned = baselines.KneserNeyLM(vocab.size, 2).fit_tuned(train, heldout_fraction=0.1)
    assert all(d in (*baselines.ngram.DISCOUNT_GRID, 0.75) for d in tuned.discounts)
    assert baselines.KneserNeyLM(vocab.size, 2, tuned.discounts).fit(head).perplexity(tail) <= default


def test_kneser_ney_errors():
    with pytest.raises(ValueError, match=r"vocab_size\*\*order = 1000\*\*3 entries is over"):
        baselines.KneserNeyLM(1000, 3)
    with pytest.raises(ValueError, match=r"need 3 discounts in \[0, 1\], got \(0.5, 0.5\)"):
        baselines.KneserNeyLM(5, 3, (0.5, 0.5))
    model = baselines.KneserNeyLM(5, 3)
    with pytest.raises(ValueError, match="KneserNeyLM.perplexity: call fit"):
        model.perplexity([1, 2, 3])
    with pytest.raises(ValueError, match=r"KneserNeyLM.fit: ids must be in \[0, 5\), got \[0, 7\]"):
        model.fit([0, 7, 1, 2])
    with pytest.raises(ValueError, match=r"KneserNeyLM.fit: expects 1-D integer ids, got float64 array of shape \(3,\)"):
        model.fit([0.5, 1.0, 2.0])
    model.fit([0, 1, 2, 3, 4, 0])
    with pytest.raises(ValueError, match=r"KneserNeyLM.log_probs: needs at least 3 ids \(order 3\), got 2"):
        model.log_probs([1, 2])


def test_trivial_baselines():
    assert baselines.majority_class_accuracy([1, 2, 2, 0], [2, 2, 1, 0, 2]) == pytest.approx(3 / 5)
    assert baselines.majority_class_accuracy([3, 1, 1, 3], [1, 3, 3]) == pytest.approx(1 / 3)  # tie: 1
    assert baselines.persistence_mse([1.0, 2.0], [2.0, 2.0]) == pytest.approx(0.5)
    assert baselines.mean_mse([[0.0, 2.0]], [1.0, 3.0]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"persistence_mse: last_values \(2,\) and targets \(3,\)"):
        baselines.persistence_mse([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="majority_class_accuracy: empty labels"):
        baselines.majority_class_accuracy([], [1])
