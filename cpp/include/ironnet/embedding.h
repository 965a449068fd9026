// Embedding lookup kernels, callable from C++: a row gather forward, a row scatter-add backward.
// Index is int32_t or int64_t; every id must already be in [0, vocab) (the op entry point checks).
#pragma once
#include <cstdint>

namespace ironnet::cpu {

// out[i, :] = table[ids[i], :] for i < n.   ids: (n,)  table: (vocab, dim)  out: (n, dim)
template <class Index>
void embedding_forward(int64_t n, int64_t dim, const Index* ids, const float* table, float* out,
                       int num_threads = 0);

// dtable[ids[i], :] += dy[i, :] for i < n, in increasing i for every row (so the sums, and their
// float32 rounding, do not depend on the thread count).   dy: (n, dim)  dtable: (vocab, dim)
template <class Index>
void embedding_backward(int64_t n, int64_t vocab, int64_t dim, const Index* ids, const float* dy, float* dtable,
                        int num_threads = 0);

}  // namespace ironnet::cpu
