"""Interpolated Kneser-Ney written the slow, literal way: dictionaries of n-gram counts and one
probability at a time by recursion, straight from the definition (Chen and Goodman, 1998: raw
counts at the highest order, continuation counts below it). The vectorized KneserNeyLM is checked
against it."""
from __future__ import annotations

from collections import Counter


def kneser_ney_prob(ids, vocab_size: int, discounts, context: tuple, w: int) -> float:
    """P(w | context) under interpolated Kneser-Ney of order len(context) + 1 fitted on ``ids``."""
    order = len(context) + 1
    top = Counter(tuple(ids[i : i + order]) for i in range(len(ids) - order + 1))
    return _prob(top, order, vocab_size, discounts, tuple(context), w)


def _counts_of_order(top: Counter, order: int, k: int) -> Counter:
    """Raw counts for the highest order; below it, N1+(. g): how many distinct ids precede g."""
    if k == order:
        return top
    preceding: dict = {}
    for gram in {gram[order - k - 1 :] for gram in top}:  # every distinct (k+1)-gram seen
        preceding.setdefault(gram[1:], set()).add(gram[0])
    return Counter({g: len(s) for g, s in preceding.items()})


def _prob(top: Counter, order: int, vocab_size: int, discounts, context: tuple, w: int) -> float:
    k = len(context) + 1
    lower = 1.0 / vocab_size if k == 1 else _prob(top, order, vocab_size, discounts, context[1:], w)
    d = discounts[k - 1]
    following = {g: c for g, c in _counts_of_order(top, order, k).items() if g[:-1] == context}
    total = sum(following.values())
    if total == 0:
        return lower
    return (max(following.get(context + (w,), 0) - d, 0.0) + d * len(following) * lower) / total
