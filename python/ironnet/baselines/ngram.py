"""A smoothed character n-gram count model (interpolated Kneser-Ney), the language-model baseline.

Interpolated Kneser-Ney (as in Chen and Goodman, 1998), with one absolute discount D_k per
order k. For the highest order n, with context h (n-1 ids) and next id w:

    P_n(w | h) = (max(c(h w) - D_n, 0) + D_n * N1+(h .) * P_{n-1}(w | h[1:])) / c(h .)

and P_n(w | h) = P_{n-1}(w | h[1:]) for a context never seen (c(h .) = 0). Lower orders use the
same formula on *continuation* counts (the number of distinct ids seen before an n-gram) instead of
raw counts, which is what makes Kneser-Ney better than plain absolute discounting; order 1
interpolates with the uniform distribution, so no id ever has probability 0.

Character vocabularies are small (~100), so every table is dense, a (V,)*n NumPy array: the
whole model is a handful of vectorized array operations. ``order`` is limited so that V**order
stays below ``MAX_TABLE`` entries.

The discounts are chosen on the training text only (``fit_tuned``): fit on its first 90%, pick
each order's D from a grid by the perplexity of the last 10%, then refit on all of it.
"""
from __future__ import annotations

import numpy as np

MAX_TABLE = 50_000_000  # entries of the (V,)*order probability table (float64: 400 MB)
DISCOUNT_GRID = (0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)


def ngram_counts(ids: np.ndarray, vocab_size: int, order: int) -> np.ndarray:
    """(V,)*order int64 array: counts of every contiguous ``order``-gram of the 1-D ``ids``."""
    flat = np.zeros(ids.size - order + 1, np.int64)
    for k in range(order):
        flat = flat * vocab_size + ids[k : ids.size - order + 1 + k]
    return np.bincount(flat, minlength=vocab_size**order).reshape((vocab_size,) * order)


def _interpolate(counts: np.ndarray, discount: float, lower: np.ndarray) -> np.ndarray:
    """One Kneser-Ney level: P(w | h) from counts (..., V) over the last axis, backing off to
    ``lower`` (broadcast against counts: it drops the first context id)."""
    total = counts.sum(axis=-1, keepdims=True).astype(np.float64)
    types = (counts > 0).sum(axis=-1, keepdims=True)
    discounted = np.maximum(counts - discount, 0.0) + discount * types * lower
    seen = total > 0
    return np.where(seen, discounted / np.where(seen, total, 1.0), lower)


class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram model over integer ids in [0, vocab_size).

    fit(train_ids) or fit_tuned(train_ids), then perplexity(ids) / log_probs(ids) /
    next_probs(context). ``discounts[k-1]`` is the discount of order k.
    """

    def __init__(self, vocab_size: int, order: int = 3, discounts: tuple[float, ...] | None = None):
        if order < 1 or vocab_size < 1:
            raise ValueError(f"KneserNeyLM: order and vocab_size must be >= 1, got {order} and {vocab_size}")
        if vocab_size**order > MAX_TABLE:
            raise ValueError(
                f"KneserNeyLM: a dense table of vocab_size**order = {vocab_size}**{order} entries is over "
                f"{MAX_TABLE}; use a smaller order or vocabulary"
            )
        discounts = (0.75,) * order if discounts is None else tuple(float(d) for d in discounts)
        if len(discounts) != order or not all(0.0 <= d <= 1.0 for d in discounts):
            raise ValueError(f"KneserNeyLM: need {order} discounts in [0, 1], got {discounts}")
        self.vocab_size, self.order, self.discounts = vocab_size, order, discounts
        self.table: np.ndarray | None = None  # (V,)*order: P(w = last index | context = the others)

    def _ids(self, ids, op: str, min_len: int) -> np.ndarray:
        a = np.asarray(ids)
        if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"KneserNeyLM.{op}: expects 1-D integer ids, got {a.dtype} array of shape {a.shape}")
        if a.size < min_len:
            raise ValueError(f"KneserNeyLM.{op}: needs at least {min_len} ids (order {self.order}), got {a.size}")
        if a.size and (a.min() < 0 or a.max() >= self.vocab_size):
            raise ValueError(f"KneserNeyLM.{op}: ids must be in [0, {self.vocab_size}), got [{a.min()}, {a.max()}]")
        return a.astype(np.int64)

    def fit(self, train_ids) -> "KneserNeyLM":
        """Counts the n-grams of 1-D ``train_ids`` and builds the probability table."""
        ids = self._ids(train_ids, "fit", self.order)
        counts = ngram_counts(ids, self.vocab_size, self.order)
        levels = [counts]  # levels[j]: counts for order `order - j`, continuation counts below the top
        for _ in range(self.order - 1):
            levels.append((levels[-1] > 0).sum(axis=0))
        prob = np.full(self.vocab_size, 1.0 / self.vocab_size)  # order 0: uniform
        for k, c in enumerate(reversed(levels), start=1):
            prob = _interpolate(c, self.discounts[k - 1], prob)
        self.table = prob
        return self

    def fit_tuned(self, train_ids, heldout_fraction: float = 0.1) -> "KneserNeyLM":
        """Chooses the discounts by held-out perplexity on the tail of ``train_ids`` (coordinate
        search over DISCOUNT_GRID and the current value, highest order first, so the held-out
        perplexity never gets worse than the starting discounts), then fits on all of ``train_ids``."""
        ids = self._ids(train_ids, "fit_tuned", 2 * self.order)
        cut = ids.size - max(self.order, int(ids.size * heldout_fraction))
        head, tail = ids[:cut], ids[cut:]
        best = list(self.discounts)
        for k in reversed(range(self.order)):
            scores = {}
            for d in sorted({*DISCOUNT_GRID, best[k]}):
                trial = best[:k] + [d] + best[k + 1 :]
                scores[d] = KneserNeyLM(self.vocab_size, self.order, tuple(trial)).fit(head).perplexity(tail)
            best[k] = min(scores, key=scores.get)
        self.discounts = tuple(best)
        return self.fit(ids)

    def _table(self, op: str) -> np.ndarray:
        if self.table is None:
            raise ValueError(f"KneserNeyLM.{op}: call fit() first")
        return self.table

    def log_probs(self, ids, _op: str = "log_probs") -> np.ndarray:
        """(len(ids) - order + 1,) natural-log probabilities of ids[t] given the order-1 ids before
        it, for t = order-1 .. len(ids)-1 (the first order-1 ids only serve as context)."""
        table = self._table(_op)
        a = self._ids(ids, _op, self.order)
        index = tuple(a[k : a.size - self.order + 1 + k] for k in range(self.order))
        return np.log(table[index])

    def perplexity(self, ids) -> float:
        """exp(-mean log_probs(ids)): the per-id perplexity of a 1-D id sequence."""
        return float(np.exp(-np.mean(self.log_probs(ids, "perplexity"))))

    def next_probs(self, context) -> np.ndarray:
        """(V,) distribution of the next id after the last order-1 ids of ``context``."""
        table = self._table("next_probs")
        a = self._ids(context, "next_probs", self.order - 1)
        return table[tuple(a[a.size - self.order + 1 :])] if self.order > 1 else table


__all__ = ["DISCOUNT_GRID", "KneserNeyLM", "MAX_TABLE", "ngram_counts"]
