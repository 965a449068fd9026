"""Corpus BLEU (Papineni, Roukos, Ward and Zhu, 2002) for token sequences.

Exported from ``ironnet.metrics`` as ``bleu``. A hypothesis and its references are sequences of
tokens (words, characters, ids: anything hashable); tokenization is the caller's job, as in nltk's
``corpus_bleu``, which this matches on whole corpora.

BLEU = BP * exp(sum_n w_n log p_n), with
- p_n the corpus-level *modified* n-gram precision: each hypothesis n-gram counts at most as many
  times as it occurs in the single reference where it occurs most ("clipping"), and the clipped
  counts and the hypothesis n-gram counts are each summed over the whole corpus before dividing
  (a corpus score is not the mean of sentence scores);
- BP = 1 if c > r else exp(1 - r / c), the brevity penalty, with c the total hypothesis length and
  r the sum over sentences of the reference length closest to the hypothesis length (the shorter
  one on a tie, as nltk and the original mteval script choose).

No smoothing: when some p_n is 0 (no n-gram of that order matches anywhere in the corpus) the
geometric mean is 0, so BLEU is 0.0, as the paper defines it. A hypothesis shorter than n tokens
has no n-grams and so adds nothing to p_n's denominator (nltk counts 1 there instead; the two
agree whenever every hypothesis has at least ``max_order`` tokens).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence

__all__ = ["bleu"]

Tokens = Sequence[Hashable]


def _ngrams(tokens: Tokens, n: int) -> Counter:
    """Counts of every contiguous n-token window of ``tokens``."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _clipped_matches(hypothesis: Tokens, references: Sequence[Tokens], n: int) -> tuple[int, int]:
    """(clipped n-gram matches, hypothesis n-gram count) of one sentence."""
    counts = _ngrams(hypothesis, n)
    if not counts:
        return 0, 0
    max_ref: Counter = Counter()
    for ref in references:
        max_ref |= _ngrams(ref, n)  # Counter union keeps the per-n-gram maximum
    return sum(min(c, max_ref[g]) for g, c in counts.items()), sum(counts.values())


def _closest_ref_length(hyp_len: int, references: Sequence[Tokens]) -> int:
    """The reference length nearest to the hypothesis length; the shorter one on a tie."""
    return min((len(r) for r in references), key=lambda r: (abs(r - hyp_len), r))


def _check(references: Sequence[Sequence[Tokens]], hypotheses: Sequence[Tokens], max_order: int) -> None:
    if isinstance(max_order, bool) or not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"bleu: max_order must be a positive int, got {max_order!r}")
    if len(references) != len(hypotheses):
        raise ValueError(
            f"bleu: got {len(hypotheses)} hypotheses but {len(references)} reference lists; "
            "each hypothesis needs its own list of references"
        )
    if not hypotheses:
        raise ValueError("bleu: empty corpus (no hypotheses)")
    for i, (refs, hyp) in enumerate(zip(references, hypotheses)):
        if isinstance(hyp, str) or any(isinstance(r, str) for r in refs):
            raise TypeError(
                f"bleu: sentence {i} is a str; pass token sequences (e.g. 'a b'.split()), and for "
                "each hypothesis a list of references"
            )
        if len(refs) == 0:
            raise ValueError(f"bleu: hypothesis {i} has no references")


def bleu(
    references: Sequence[Sequence[Tokens]],
    hypotheses: Sequence[Tokens],
    max_order: int = 4,
) -> float:
    """Corpus BLEU in [0, 1] with uniform weights 1/max_order over 1..max_order-grams.

    references: one list of reference token sequences per hypothesis (any number >= 1 each).
    hypotheses: the candidate token sequences, one per sentence.
    Example: ``bleu([[ "the cat sat".split() ]], ["the cat sat".split()], max_order=3) == 1.0``.
    """
    _check(references, hypotheses, max_order)
    matches = [0] * max_order
    totals = [0] * max_order
    hyp_len = ref_len = 0
    for refs, hyp in zip(references, hypotheses):
        hyp_len += len(hyp)
        ref_len += _closest_ref_length(len(hyp), refs)
        for n in range(1, max_order + 1):
            m, t = _clipped_matches(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
    if min(matches) == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    brevity = 1.0 if hyp_len > ref_len else math.exp(1.0 - ref_len / hyp_len)
    return float(brevity * math.exp(log_precision))
