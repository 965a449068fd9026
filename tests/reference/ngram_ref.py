"""Interpolated Kneser-Ney written the slow, literal way: dictionaries of n-gram counts and one
probability at a time by recursion, straight from Chen and Goodman (1998), eq. (26) with the
continuation counts of section 3.5. The vectorized KneserNeyLM is checked against it."""
from __future__ import annotations

from collections import Counter


def kneser_ney_prob(ids, vocab_size: int, discounts, context: tuple, w: int) -> float:
    """P(w | context) under interpolated Kneser-Ney of order len(context) + 1 fitted on ``ids``."""
    order = len(context) + 1
    top = Counter(tuple(ids[i : i + order]) for i in range(len(ids) - order + 1))
    return _prob(top, order, vocab_size, discounts, context, w, highest=True)


def _counts_of_order(top: Counter, order: int, k: int, highest: bool) -> Counter:
    """Raw counts for the highest order; below it, N1+(. g): how many distinct ids precede g."""
    if highest:
        return top
    preceding: dict = {}
    for gram in _grams_of_order(top, order, k + 1):
        preceding.setdefault(gram[1:], set()).add(gram[0])
    return Counter({g: len(s) for g, s in preceding.items()})


def _grams_of_order(top: Counter, order: int, k: int) -> set:
    """Every distinct k-gram inside the order-grams seen (the suffixes of the top n-grams)."""
    return {gram[order - k :] for gram in top}


def _prob(top, order, vocab_size, discounts, context, w, highest) -> float:
    k = len(context) + 1
    lower = 1.0 / vocab_size if k == 1 else _prob(top, order, vocab_size, discounts, context[1:], w, highest=False)
    counts = _counts_of_order(top, order, k, highest and k == order)
    d = discounts[k - 1]
    following = {g: c for g, c in counts.items() if g[:-1] == tuple(context)}
    total = sum(following.values())
    if total == 0:
        return lower
    return (max(following.get(tuple(context) + (w,), 0) - d, 0.0) + d * len(following) * lower) / total
