"""float64 references for the embedding lookup and masked reductions over time.

Written id by id, as plainly as possible; checked by finite differences in test_embedding.py and
test_masking.py.
"""
import numpy as np


def embedding(ids, table):
    """out[..., :] = table[ids[...], :]: ids (...) ints, table (V, D) -> (..., D)."""
    out = np.zeros((*ids.shape, table.shape[1]))
    for idx in np.ndindex(ids.shape):
        out[idx] = table[ids[idx]]
    return out


def embedding_vjp(ids, g, vocab):
    """d(sum(g * embedding(ids, table)))/d table: each id's upstream row added to its table row."""
    dtable = np.zeros((vocab, g.shape[-1]))
    for idx in np.ndindex(ids.shape):
        dtable[ids[idx]] += g[idx]
    return dtable


def masked_mean_over_time(x, mask):
    """x (B, T, D), mask (B, T) bool -> (B, D): the mean of the kept steps of each sample."""
    out = np.zeros((x.shape[0], x.shape[2]))
    for b in range(x.shape[0]):
        kept = [x[b, t] for t in range(x.shape[1]) if mask[b, t]]
        out[b] = np.mean(kept, axis=0)
    return out
