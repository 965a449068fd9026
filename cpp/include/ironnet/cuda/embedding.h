// Embedding launchers on the GPU (cuda/embedding.cu). Declarations only: no CUDA headers here.
// Every pointer is device memory; ids are trusted to lie in [0, vocab) (the op entry checks them).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ironnet::cuda {

// out (n, dim) = table rows picked by ids (n,).  Index: int32_t or int64_t.
template <class Index>
void embedding_forward(int64_t n, int64_t dim, const Index* ids, const float* table, float* out, int device);

// Bytes of device scratch embedding_backward needs for n ids (n < 2^31).
template <class Index>
size_t embedding_backward_scratch_bytes(int64_t n, int64_t vocab, int device);

// dtable (vocab, dim), zeroed by the caller: row ids[i] += dy row i for every i, each row summed in
// increasing i (so bit for bit what the CPU kernel computes), no atomics.
template <class Index>
void embedding_backward(int64_t n, int64_t vocab, int64_t dim, const Index* ids, const float* dy, float* dtable,
                        void* scratch, size_t scratch_bytes, int device);

}  // namespace ironnet::cuda
