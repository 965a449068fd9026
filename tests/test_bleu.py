"""ironnet.metrics.bleu (corpus BLEU) against nltk's corpus_bleu, the oracle, plus hand-worked
cases for the rules the oracle does not pin down and the errors."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from nltk.translate.bleu_score import corpus_bleu

from ironnet import metrics

# Papineni et al.'s running example (also nltk's doctest): three references for the first sentence.
HYP1 = "It is a guide to action which ensures that the military always obeys the commands of the party".split()
REF1 = [
    "It is a guide to action that ensures that the military will forever heed Party commands".split(),
    "It is the guiding principle which guarantees the military forces always being under the command of the Party".split(),
    "It is the practical guide for the army always to heed the directions of the party".split(),
]
HYP2 = "he read the book because he was interested in world history".split()
REF2 = ["he was interested in world history because he read the book".split()]


def nltk_bleu(references, hypotheses, max_order=4) -> float:
    with warnings.catch_warnings():  # nltk warns (and returns ~1e-77, not 0) when some p_n is 0
        warnings.simplefilter("ignore", UserWarning)
        return float(corpus_bleu(references, hypotheses, weights=(1.0 / max_order,) * max_order))


def test_papineni_example_multiple_references():
    refs, hyps = [REF1, REF2], [HYP1, HYP2]
    assert metrics.bleu(refs, hyps) == pytest.approx(nltk_bleu(refs, hyps), abs=1e-12)
    assert metrics.bleu(refs, hyps) == pytest.approx(0.5921, abs=1e-4)  # nltk documents 0.5920...
    # Corpus BLEU pools the counts: it is not the mean of the sentence scores.
    mean_of_sentences = (metrics.bleu([REF1], [HYP1]) + metrics.bleu([REF2], [HYP2])) / 2
    assert abs(metrics.bleu(refs, hyps) - mean_of_sentences) > 0.01


@pytest.mark.parametrize("max_order", [1, 2, 3, 4])
def test_random_corpora_match_nltk(rng, max_order):
    """Small vocabularies so that n-grams repeat and clipping matters; 1-3 references of varied
    lengths (the closest-length rule and its tie-break); every hypothesis has >= 4 tokens."""
    for _ in range(20):
        vocab = rng.integers(3, 8)
        n = rng.integers(1, 6)
        hyps = [list(rng.integers(0, vocab, rng.integers(4, 15))) for _ in range(n)]
        refs = [[list(rng.integers(0, vocab, rng.integers(3, 16))) for _ in range(rng.integers(1, 4))] for _ in range(n)]
        assert metrics.bleu(refs, hyps, max_order) == pytest.approx(nltk_bleu(refs, hyps, max_order), abs=1e-12)


def test_clipping_by_the_best_reference():
    # Papineni's "the the the the the the the": 2 of 7 unigrams count (the most 'the' in one reference).
    hyp = ["the"] * 7
    refs = [["the", "cat", "is", "on", "the", "mat"], ["there", "is", "a", "cat", "on", "the", "mat"]]
    assert metrics.bleu([refs], [hyp], max_order=1) == pytest.approx(2 / 7, abs=1e-15)
    assert metrics.bleu([refs], [hyp], max_order=1) == pytest.approx(nltk_bleu([refs], [hyp], 1), abs=1e-15)


def test_short_hypothesis_brevity_penalty():
    ref = "a b c d e f g h i j".split()
    hyp = "a b c d e".split()  # every n-gram matches; only the brevity penalty is left
    expected = math.exp(1 - 10 / 5)
    assert metrics.bleu([[ref]], [hyp]) == pytest.approx(expected, abs=1e-15)
    assert metrics.bleu([[ref]], [hyp]) == pytest.approx(nltk_bleu([[ref]], [hyp]), abs=1e-15)
    # With two references the closest length is used (5 against 10 -> the 6-token one); a tie
    # between 4 and 6 around 5 picks the shorter one, 4, so there is no penalty at all.
    six, four = ref[:6], ref[:4]
    for refs in ([ref, six], [six, four]):
        assert metrics.bleu([refs], [hyp]) == pytest.approx(nltk_bleu([refs], [hyp]), abs=1e-15)
    assert metrics.bleu([[six, four]], [hyp]) == pytest.approx(1.0, abs=1e-15)


def test_hypotheses_shorter_than_the_order():
    # Alone, a 3-token hypothesis has no 4-grams: p_4 is undefined, BLEU is 0 (nltk agrees).
    assert metrics.bleu([[["a", "b", "c"]]], [["a", "b", "c"]]) == 0.0
    assert nltk_bleu([[["a", "b", "c"]]], [["a", "b", "c"]]) == pytest.approx(0.0, abs=1e-12)
    # In a corpus it adds nothing to the 3- and 4-gram counts; worked by hand: 4 tokens + 2 tokens
    # all matching, c = r = 6: p1 = 6/6, p2 = (3+1)/(3+1), p3 = 2/2, p4 = 1/1.
    refs = [[["a", "b", "c", "d"]], [["x", "y"]]]
    hyps = [["a", "b", "c", "d"], ["x", "y"]]
    assert metrics.bleu(refs, hyps) == pytest.approx(1.0, abs=1e-15)
    # (nltk counts 1 n-gram for the short sentence at orders 3 and 4, giving (1/2 * 2/3)^(1/4).)
    assert nltk_bleu(refs, hyps) == pytest.approx((1 / 2 * 2 / 3) ** 0.25, abs=1e-12)


def test_zero_matches():
    refs = [["a b c d e".split()], ["f g h i".split()]]
    assert metrics.bleu(refs, ["v w x y z".split(), "p q r s".split()]) == 0.0  # no unigram
    # Unigrams and bigrams match but no trigram anywhere: the geometric mean is 0.
    hyps = ["a b x d e".split(), "f g y i".split()]
    assert metrics.bleu(refs, hyps) == 0.0
    assert nltk_bleu(refs, hyps) == pytest.approx(0.0, abs=1e-12)
    assert metrics.bleu(refs, hyps, max_order=2) == pytest.approx(nltk_bleu(refs, hyps, 2), abs=1e-15)
    assert metrics.bleu(refs, hyps, max_order=2) > 0.0


def test_identical_corpus_scores_one_and_any_tokens_work():
    sentences = [list("hello world"), [1, 2, 3, 4, 5], [("t", 1), ("t", 2), ("t", 3), ("t", 4)]]
    assert metrics.bleu([[s] for s in sentences], sentences) == pytest.approx(1.0, abs=1e-15)
    ids = np.arange(6)  # NumPy arrays of ids are sequences too
    assert metrics.bleu([[ids]], [ids]) == pytest.approx(1.0, abs=1e-15)


def test_errors():
    with pytest.raises(ValueError, match="bleu: got 2 hypotheses but 1 reference lists"):
        metrics.bleu([[["a"]]], [["a"], ["b"]])
    with pytest.raises(ValueError, match="bleu: empty corpus"):
        metrics.bleu([], [])
    with pytest.raises(ValueError, match="bleu: hypothesis 0 has no references"):
        metrics.bleu([[]], [["a", "b"]])
    with pytest.raises(TypeError, match="bleu: sentence 0 is a str; pass token sequences"):
        metrics.bleu([["a b c"]], ["a b c"])
    with pytest.raises(ValueError, match="bleu: max_order must be a positive int, got 0"):
        metrics.bleu([[["a"]]], [["a"]], max_order=0)
